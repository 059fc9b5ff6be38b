package resnet

import (
	"runtime"
	"sync"
)

// minSplit is the number of values an elementwise pass (or col2im) touches
// below which it runs on one goroutine.
const minSplit = 1 << 16

// parallel calls f on disjoint ranges covering [0, n), on up to GOMAXPROCS
// goroutines when the pass touches size values or more, and waits for
// them.
func parallel(n, size int, f func(lo, hi int)) {
	w := min(n, runtime.GOMAXPROCS(0))
	if size < minSplit || w < 2 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	per := (n + w - 1) / w
	for lo := per; lo < n; lo += per {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, min(lo+per, n))
		}()
	}
	f(0, min(per, n))
	wg.Wait()
}
