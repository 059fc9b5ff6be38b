// Package pool keeps reusable, expensive values (graphs with their
// machines) by key and bounds how many are in use at once.
package pool

import (
	"context"
	"fmt"
	"sync"
)

// Pool hands out values by key, building them on demand with New and
// keeping up to MaxIdle returned ones per key. At most cap(slots) values
// are in use at once; Get waits for a slot or for ctx. A Pool is safe for
// concurrent use.
type Pool[K comparable, V any] struct {
	newValue func(K) (V, error)
	closeFn  func(V)
	maxIdle  int
	slots    chan struct{}

	mu   sync.Mutex
	idle map[K][]V
}

// New returns a pool that builds values with newValue, allows inUse values
// out at once (at least 1) and keeps maxIdle idle values per key. closeFn,
// if not nil, releases values the pool drops.
func New[K comparable, V any](inUse, maxIdle int, newValue func(K) (V, error), closeFn func(V)) *Pool[K, V] {
	return &Pool[K, V]{
		newValue: newValue,
		closeFn:  closeFn,
		maxIdle:  maxIdle,
		slots:    make(chan struct{}, max(inUse, 1)),
		idle:     map[K][]V{},
	}
}

// Get returns a value for key, waiting for a free slot. Every successful
// Get must be followed by one Put with the same key.
func (p *Pool[K, V]) Get(ctx context.Context, key K) (V, error) {
	var zero V
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return zero, fmt.Errorf("waiting for a free model instance: %w", context.Cause(ctx))
	}
	p.mu.Lock()
	if vs := p.idle[key]; len(vs) > 0 {
		v := vs[len(vs)-1]
		p.idle[key] = vs[:len(vs)-1]
		p.mu.Unlock()
		return v, nil
	}
	p.mu.Unlock()
	v, err := p.newValue(key)
	if err != nil {
		<-p.slots
		return zero, err
	}
	return v, nil
}

// Put returns a value taken with Get. Broken values should be passed with
// ok false: they are closed instead of kept.
func (p *Pool[K, V]) Put(key K, v V, ok bool) {
	defer func() { <-p.slots }()
	p.mu.Lock()
	if ok && len(p.idle[key]) < p.maxIdle {
		p.idle[key] = append(p.idle[key], v)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	if p.closeFn != nil {
		p.closeFn(v)
	}
}

// Close releases every idle value. Values still out are released when
// they are Put back.
func (p *Pool[K, V]) Close() {
	p.mu.Lock()
	idle := p.idle
	p.idle = map[K][]V{}
	p.maxIdle = 0
	p.mu.Unlock()
	for _, vs := range idle {
		for _, v := range vs {
			if p.closeFn != nil {
				p.closeFn(v)
			}
		}
	}
}
