package resnet

import "github.com/xrayllm/xray/internal/team"

// minSplit is the number of values an elementwise pass (or col2im) touches
// below which it runs on one goroutine.
const minSplit = 1 << 16

// parallel calls f on disjoint ranges covering [0, n), one per member of
// t, when the pass touches size values or more, and waits for them.
func parallel(t *team.Team, n, size int, f func(lo, hi int)) {
	w := min(n, t.Size())
	if size < minSplit || w < 2 {
		f(0, n)
		return
	}
	per := (n + w - 1) / w
	t.Run((n+per-1)/per, func(i, _ int) { f(i*per, min((i+1)*per, n)) })
}
