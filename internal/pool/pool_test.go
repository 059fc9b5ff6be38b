package pool

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPoolReusesAndBounds(t *testing.T) {
	var built, closed atomic.Int32
	p := New(2, 1, func(k int) (*int, error) {
		built.Add(1)
		v := k
		return &v, nil
	}, func(*int) { closed.Add(1) })
	ctx := context.Background()
	a, _ := p.Get(ctx, 1)
	b, _ := p.Get(ctx, 1)
	if a == b {
		t.Fatal("two Gets handed out the same value")
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := p.Get(short, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("third Get with two slots: err = %v, want deadline exceeded", err)
	}
	p.Put(1, a, true)
	p.Put(1, b, true) // over maxIdle: closed
	if closed.Load() != 1 {
		t.Fatalf("closed = %d, want 1", closed.Load())
	}
	c, _ := p.Get(ctx, 1)
	if c != a {
		t.Fatal("idle value was not reused")
	}
	p.Put(1, c, false)
	if built.Load() != 2 || closed.Load() != 2 {
		t.Fatalf("built %d closed %d, want 2 and 2", built.Load(), closed.Load())
	}
}

func TestPoolConcurrent(t *testing.T) {
	var inUse, peak atomic.Int32
	p := New(3, 3, func(int) (int, error) { return 0, nil }, nil)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := p.Get(context.Background(), i%2)
			if err != nil {
				t.Error(err)
				return
			}
			n := inUse.Add(1)
			for {
				old := peak.Load()
				if n <= old || peak.CompareAndSwap(old, n) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			inUse.Add(-1)
			p.Put(i%2, v, true)
		}()
	}
	wg.Wait()
	if peak.Load() > 3 {
		t.Fatalf("%d values in use at once, limit 3", peak.Load())
	}
}

func TestPoolBuildError(t *testing.T) {
	boom := errors.New("boom")
	p := New(1, 1, func(int) (int, error) { return 0, boom }, nil)
	for i := 0; i < 3; i++ { // a failed build must give its slot back
		if _, err := p.Get(context.Background(), 0); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want boom", err)
		}
	}
}
