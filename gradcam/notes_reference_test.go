package gradcam

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/xrayllm/xray/gradcam/notes"
)

// TestNotesReference checks that the notes of every reference map are sane.
func TestNotesReference(t *testing.T) {
	dir := pureRefDir(t)
	exp := loadExpected(t, dir)
	flagged := 0
	for _, im := range exp.Images {
		for key, c := range im.Cams {
			cam := readF32(t, filepath.Join(dir, "cams", c.File), 224*224)
			n, err := notes.Compute(cam, 224, 224, nil)
			if err != nil {
				t.Fatal(err)
			}
			if n.Empty {
				t.Logf("%s %s: empty", im.File, key)
				continue
			}
			s := 0.0
			for _, v := range n.ZoneShare {
				s += v
			}
			if math.Abs(s-1) > 1e-6 {
				t.Errorf("%s %s: shares sum to %g", im.File, key, s)
			}
			in := func(p notes.Point) bool { return p.X >= 0 && p.X <= 224 && p.Y >= 0 && p.Y <= 224 }
			if !in(n.Peak) || !in(n.Centroid) || n.Spread < 0 || n.Spread > 1 || n.BorderShare < 0 || n.BorderShare > 1 {
				t.Errorf("%s %s: out of range: %+v", im.File, key, n)
			}
			if notes.ZoneAt(n.Peak.X, n.Peak.Y, 224, 224) != n.PeakZone || n.ZoneShare[n.PeakZone] == 0 {
				t.Errorf("%s %s: peak zone %s inconsistent", im.File, key, n.PeakZone)
			}
			if n.BorderAttention {
				flagged++
			}
			if key == "gradcam@layer4" {
				t.Logf("%s: %+v", im.File, n)
			}
		}
	}
	t.Logf("%d of %d maps flagged for border attention", flagged, 13*8)
}
