package team

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// counts runs a step of n parts on t and returns how often each part ran.
func counts(t *Team, n int) []int32 {
	c := make([]int32, n)
	busy := make([]atomic.Int32, t.Size())
	t.Run(n, func(i, m int) {
		if busy[m].Add(1) != 1 {
			panic("two calls on one member at once")
		}
		atomic.AddInt32(&c[i], 1)
		busy[m].Add(-1)
	})
	return c
}

func checkOnce(t *testing.T, c []int32) {
	t.Helper()
	for i, v := range c {
		if v != 1 {
			t.Fatalf("part %d of %d ran %d times", i, len(c), v)
		}
	}
}

func TestRunEveryPartOnce(t *testing.T) {
	for _, size := range []int{1, 2, 3, 8} {
		tm := New(size)
		for _, n := range []int{0, 1, 2, 3, 7, 64, 1000} {
			for range 20 {
				checkOnce(t, counts(tm, n))
			}
		}
		tm.Close()
	}
}

func TestNilAndClosedTeams(t *testing.T) {
	var nilTeam *Team
	if nilTeam.Size() != runtime.GOMAXPROCS(0) {
		t.Fatalf("nil team has size %d, want GOMAXPROCS", nilTeam.Size())
	}
	checkOnce(t, counts(nilTeam, 10))
	tm := New(2)
	tm.Close()
	tm.Close() // twice is fine
	checkOnce(t, counts(tm, 10))
}

// A step run while another holds the team runs on its caller, and both
// finish with every part done once.
func TestConcurrentSteps(t *testing.T) {
	tm := New(2)
	defer tm.Close()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for r := range 50 {
				n := 1 + (g*31+r)%40
				c := counts(tm, n)
				for i, v := range c {
					if v != 1 {
						t.Errorf("goroutine %d, step %d: part %d ran %d times", g, r, i, v)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// A step whose parts block until every part has started can only finish
// if the workers take part: it shows the team is really parallel, also
// after the workers have parked.
func TestWorkersJoin(t *testing.T) {
	tm := New(2)
	defer tm.Close()
	for _, pause := range []time.Duration{0, 3 * idle} {
		time.Sleep(pause)
		deadline := time.Now().Add(10 * time.Second)
		joined := false
		for !joined && time.Now().Before(deadline) {
			var started atomic.Int32
			var both atomic.Bool
			tm.Run(2, func(int, int) {
				started.Add(1)
				for wait := time.Now().Add(time.Millisecond); time.Now().Before(wait); {
					if started.Load() == 2 {
						both.Store(true)
					}
				}
			})
			joined = both.Load()
		}
		if !joined {
			t.Fatalf("after a pause of %v the worker never ran a part alongside the caller", pause)
		}
	}
}

func TestSpanTakesEachPartOnce(t *testing.T) {
	var s span
	s.v.Store(pack(3, 1003))
	var seen [1003]atomic.Int32
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for {
				i, ok := s.take(g%2 == 0)
				if !ok {
					return
				}
				seen[i].Add(1)
			}
		})
	}
	wg.Wait()
	for i := range seen {
		want := int32(0)
		if i >= 3 {
			want = 1
		}
		if seen[i].Load() != want {
			t.Fatalf("part %d taken %d times, want %d", i, seen[i].Load(), want)
		}
	}
}
