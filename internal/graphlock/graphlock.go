// Package graphlock serialises the construction of Gorgonia graphs and
// machines. Gorgonia v0.9 keeps a package-level counter (the group index
// of internal/encoding) that every node construction increments without
// synchronisation, so building two graphs at once is a data race even
// when the graphs share nothing. Running compiled graphs concurrently is
// safe and needs no lock.
package graphlock

import "sync"

// mu guards Gorgonia's own global state. It is the module's only mutable
// package-level variable, and exists because Gorgonia's does.
var mu sync.Mutex

// Do runs f while no other goroutine builds a graph or a machine.
func Do(f func()) {
	mu.Lock()
	defer mu.Unlock()
	f()
}
