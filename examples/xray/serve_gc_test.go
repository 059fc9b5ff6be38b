package main

import (
	"runtime/debug"
	"testing"
)

// serve lowers the collector's target unless GOGC is set, and restores it.
func TestKeepHeapSmall(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	e, _, _ := testEnv(nil)
	restore := keepHeapSmall(e)
	if got := debug.SetGCPercent(serveGCPercent); got != serveGCPercent {
		t.Errorf("GC percent %d while serving, want %d", got, serveGCPercent)
	}
	restore()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GC percent %d after serving, want 100 back", got)
	}
	e, _, _ = testEnv(map[string]string{"GOGC": "200"})
	keepHeapSmall(e)()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set: GC percent %d, want it untouched", got)
	}
}
