// Package team runs the parts of a parallel step on goroutines that stay
// awake between steps, each member taking the same share every step.
//
// Starting a goroutine per step and waiting for it costs a microsecond on
// bare metal, but on a virtual machine waking a parked thread can take
// 100 µs or more (measured on the 2-core VM behind BENCHMARKS.md: a step
// of two 100 µs halves took 180 µs, no faster than one core), longer than
// most of a network's steps, so the work runs on one core after all. A
// Team keeps its workers spinning for a while after each step (idle), yielding
// to any other goroutine that wants to run, so that the next step starts
// on every core at once, and parks them when steps stop coming.
//
// The parts of a step are cut into one contiguous range per member, and
// member i always starts with range i: a member reads next what it wrote
// in the step before, from its own cache, instead of from the other
// core's (on that VM, writing 256 KB and reading it on the other core took
// 62 µs against 30–46 µs on one). A member that finishes early
// takes parts from the far end of another's range, so a late or busy
// member never holds a step up.
package team

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// idle is how long a worker spins after its last step before it parks:
// long enough to bridge the gaps between the steps of a forward pass,
// short enough not to take much from other processes when the cores are
// shared. Measured on a 2-core VM, one image on two threads: 33.1 ms with
// 2 ms of spinning, 34.7 ms with 500 µs, 39.3 ms with 100 µs (medians of
// 4 runs side by side; 100 µs lost the second core entirely in a
// sitting); two processes each running forward passes at once: 85–115 ms
// a pass with 2 ms, 73–77 ms with 500 µs, 60–85 ms with 100 µs.
const idle = 500 * time.Microsecond

// waitSpin is how long a caller spins for its workers' last parts before
// it sleeps.
const waitSpin = 50 * time.Microsecond

// yieldEvery is how many spins a waiting goroutine makes between yields
// to the scheduler (and looks at the clock).
const yieldEvery = 64

// Team is a set of worker goroutines that run the parts of one step at a
// time together with the goroutine that asks for the step. A Team is safe
// for concurrent use: a step asked for while another runs is run by its
// caller alone. A nil *Team starts fresh goroutines for every step, as
// many as GOMAXPROCS.
type Team struct {
	busy    sync.Mutex // held by the step the workers share
	job     atomic.Pointer[job]
	parked  atomic.Int32 // workers waiting on wake
	wake    chan struct{}
	done    chan struct{}
	workers int
	close   sync.Once
}

// New returns a team of size goroutines in all: the caller of Run and
// size-1 workers, started now. Close stops the workers.
func New(size int) *Team {
	t := &Team{workers: max(0, size-1), done: make(chan struct{})}
	t.wake = make(chan struct{}, max(1, t.workers))
	for w := range t.workers {
		go t.work(w + 1)
	}
	return t
}

// Size is the number of goroutines that share a step: the workers and the
// caller (GOMAXPROCS for a nil Team). A step of Size parts gives each one
// part.
func (t *Team) Size() int {
	if t == nil {
		return runtime.GOMAXPROCS(0)
	}
	return t.workers + 1
}

// Close stops the workers; steps asked for afterwards run on the caller
// alone. It may be called at any time, more than once.
func (t *Team) Close() {
	if t != nil {
		t.close.Do(func() { close(t.done) })
	}
}

// Run calls f(part, member) for every part in [0, n), spread over the
// team, and returns when every call has returned. member, in [0, Size()),
// names the goroutine making the call: calls with the same member never
// overlap, so f may keep scratch space per member. f must be safe to call
// concurrently for different parts. Each member starts with the same
// contiguous range of parts at every step with the same n (see the
// package comment).
func (t *Team) Run(n int, f func(part, member int)) {
	switch {
	case n <= 0:
		return
	case t == nil:
		spawn(n, f)
		return
	case n == 1 || n > math.MaxInt32 || t.workers == 0 || !t.busy.TryLock():
		for i := range n {
			f(i, 0)
		}
		return
	}
	defer t.busy.Unlock()
	j := newJob(n, t.workers+1, f)
	t.job.Store(j)
	t.wakeParked()
	j.do(0)
	j.wait()
	t.job.Store(nil)
}

// wait returns when every part of j has returned: it spins for a while
// (a part still running on a worker usually ends within microseconds),
// then sleeps until the worker that ends the last part wakes it, so
// that a caller whose worker lost its core to another process does not
// burn its own core waiting.
func (j *job) wait() {
	deadline := time.Now().Add(waitSpin)
	for spins := 1; j.pending.Load() > 0; spins++ {
		if spins%yieldEvery != 0 {
			continue
		}
		runtime.Gosched()
		if time.Now().After(deadline) {
			done := make(chan struct{}, 1)
			j.done.Store(&done)
			if j.pending.Load() > 0 {
				<-done
			}
			return
		}
	}
}

// wakeParked asks the parked workers to join; a step does not wait for
// them (the others take their parts), they are there for the next one.
func (t *Team) wakeParked() {
	for range t.parked.Load() {
		select {
		case t.wake <- struct{}{}:
		default:
		}
	}
}

// work is worker member's loop: run its share of each step, spin while
// steps keep coming, park when they stop.
func (t *Team) work(member int) {
	var last *job
	since := time.Now()
	for spins := 1; ; spins++ {
		if j := t.job.Load(); j != nil && j != last {
			last = j
			j.do(member)
			since = time.Now()
			continue
		}
		if spins%yieldEvery != 0 {
			continue
		}
		runtime.Gosched()
		if time.Since(since) < idle {
			continue
		}
		if !t.park() {
			return
		}
		since = time.Now()
	}
}

// park waits for a wake-up and reports whether the team is still open.
func (t *Team) park() bool {
	t.parked.Add(1)
	defer t.parked.Add(-1)
	select {
	case <-t.wake:
		return true
	case <-t.done:
		return false
	}
}

// spawn runs the parts in one contiguous range per goroutine, on up to
// GOMAXPROCS fresh goroutines, the caller's among them.
func spawn(n int, f func(part, member int)) {
	w := min(n, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for m := 1; m < w; m++ {
		wg.Go(func() {
			for i := m * n / w; i < (m+1)*n/w; i++ {
				f(i, m)
			}
		})
	}
	for i := range n / w {
		f(i, 0)
	}
	wg.Wait()
}

// job is one step: parts [0, n) of f, cut into one range per member.
type job struct {
	f       func(part, member int)
	ranges  []span
	pending atomic.Int64                  // parts not yet returned
	done    atomic.Pointer[chan struct{}] // set by a caller that sleeps in wait
}

// span is a range of parts [lo, hi) packed into one word, so that its
// owner taking from the front and another member taking from the back
// never take the same part.
type span struct{ v atomic.Uint64 }

// newJob cuts n parts of f into members ranges.
func newJob(n, members int, f func(part, member int)) *job {
	j := &job{f: f, ranges: make([]span, members)}
	for m := range j.ranges {
		j.ranges[m].v.Store(pack(m*n/members, (m+1)*n/members))
	}
	j.pending.Store(int64(n))
	return j
}

// do runs member's own range from its front, then the others' from their
// backs, until no part is left.
func (j *job) do(member int) {
	for {
		i, ok := j.ranges[member].take(true)
		if !ok {
			break
		}
		j.run(i, member)
	}
	for k := 1; k < len(j.ranges); k++ {
		r := &j.ranges[(member+k)%len(j.ranges)]
		for {
			i, ok := r.take(false)
			if !ok {
				break
			}
			j.run(i, member)
		}
	}
}

// run calls part i on member and counts it done.
func (j *job) run(i, member int) {
	j.f(i, member)
	if j.pending.Add(-1) == 0 {
		if done := j.done.Load(); done != nil {
			*done <- struct{}{} // buffered: never blocks
		}
	}
}

// take removes the first (front) or last part of the range.
func (s *span) take(front bool) (int, bool) {
	for {
		old := s.v.Load()
		lo, hi := unpack(old)
		if lo >= hi {
			return 0, false
		}
		i, next := lo, pack(lo+1, hi)
		if !front {
			i, next = hi-1, pack(lo, hi-1)
		}
		if s.v.CompareAndSwap(old, next) {
			return i, true
		}
	}
}

// pack puts a range's bounds, each below 2³², into one word.
func pack(lo, hi int) uint64 { return uint64(uint32(lo)) | uint64(uint32(hi))<<32 }

// unpack is the inverse of pack.
func unpack(v uint64) (lo, hi int) { return int(uint32(v)), int(uint32(v >> 32)) }
