package resnet

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// Run sets the graph's input to x and executes vm, a machine compiled from
// this graph (or a subgraph of it), once. A panic inside Gorgonia becomes
// an error. Afterwards the nodes vm computed hold their values.
func (g *Graph) Run(vm G.VM, x []float32) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("resnet: graph run failed: %v", p)
		}
	}()
	if err := g.SetInput(x); err != nil {
		return err
	}
	vm.Reset()
	if err := vm.RunAll(); err != nil {
		return fmt.Errorf("resnet: graph run: %w", err)
	}
	return nil
}
