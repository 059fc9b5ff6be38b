package resnet

import (
	"fmt"
	"strings"
)

// Arch describes a torchvision ResNet built from BasicBlocks: the number of
// blocks in each of the four stages. The zero value is not a valid
// architecture; use ResNet18 or ResNet34.
type Arch struct {
	// Name is torchvision's name for the architecture, e.g. "resnet34".
	Name string
	// Blocks is the number of BasicBlocks in layer1..layer4.
	Blocks [4]int
}

// ResNet18 returns torchvision's resnet18 layout: [2, 2, 2, 2] BasicBlocks.
func ResNet18() Arch { return Arch{Name: "resnet18", Blocks: [4]int{2, 2, 2, 2}} }

// ResNet34 returns torchvision's resnet34 layout: [3, 4, 6, 3] BasicBlocks.
func ResNet34() Arch { return Arch{Name: "resnet34", Blocks: [4]int{3, 4, 6, 3}} }

// stageWidths are the output channels of layer1..layer4 in torchvision's
// ResNet; the stem (conv1) has 64. Narrow test networks scale them with a
// common factor read from the checkpoint (see widths).
var stageWidths = [4]int{64, 128, 256, 512}

// ArchFromKeys picks the architecture whose block count matches the
// checkpoint's keys: the highest block index present in each stage.
func ArchFromKeys(names []string) (Arch, error) {
	var blocks [4]int
	for _, n := range names {
		var stage, block int
		if _, err := fmt.Sscanf(n, "layer%d.%d.", &stage, &block); err != nil {
			continue
		}
		if stage >= 1 && stage <= 4 && block+1 > blocks[stage-1] {
			blocks[stage-1] = block + 1
		}
	}
	for _, a := range []Arch{ResNet18(), ResNet34()} {
		if a.Blocks == blocks {
			return a, nil
		}
	}
	return Arch{}, fmt.Errorf("resnet: checkpoint has %v blocks per stage; supported: resnet18 [2 2 2 2], resnet34 [3 4 6 3]", blocks)
}

// LayerNames lists, in execution order, the names of the activations a
// graph of this architecture exposes. They are torchvision's module names:
// the stem (conv1, bn1, relu, maxpool), every block's parts
// (layer1.0.conv1, layer1.0.bn1, layer1.0.relu, layer1.0.conv2,
// layer1.0.bn2, layer1.0.downsample for the first block of a stage that
// changes shape, and the block output layer1.0), each stage's output
// (layer1 .. layer4, the same node as the stage's last block), avgpool and fc.
func (a Arch) LayerNames() []string {
	names := []string{"conv1", "bn1", "relu", "maxpool"}
	for s, n := range a.Blocks {
		for b := 0; b < n; b++ {
			p := fmt.Sprintf("layer%d.%d", s+1, b)
			names = append(names, p+".conv1", p+".bn1", p+".relu", p+".conv2", p+".bn2")
			if b == 0 && s > 0 {
				names = append(names, p+".downsample")
			}
			names = append(names, p)
		}
		names = append(names, fmt.Sprintf("layer%d", s+1))
	}
	return append(names, "avgpool", "fc")
}

// SpatialLayerNames lists, in execution order, the layers whose output is
// N×C×H×W: every name of LayerNames before avgpool. They are the layers
// GraphOptions.Probes, and so a CAM, may target.
func (a Arch) SpatialLayerNames() []string {
	names := a.LayerNames()
	return names[:len(names)-2] // avgpool and fc are N×features
}

// hasLayer reports whether name is one of a's layer names.
func (a Arch) hasLayer(name string) bool {
	for _, n := range a.LayerNames() {
		if n == name {
			return true
		}
	}
	return false
}

// unknownLayer is the error for a layer name the architecture lacks.
func (a Arch) unknownLayer(name string) error {
	return fmt.Errorf("resnet: %s has no layer %q; valid names: %s", a.Name, name, strings.Join(a.LayerNames(), ", "))
}
