//go:build !race

package gemm

// raceEnabled reports whether the race detector is on; the slowest
// reference checks are skipped under it.
const raceEnabled = false
