package notes_test

import (
	"fmt"
	"log"

	"github.com/xrayllm/xray/gradcam/notes"
)

// Notes can describe any map, not only one gradcam made: here a 4x3 map
// with all its mass in one pixel of the image's lower left.
func ExampleCompute() {
	cam := []float32{
		0, 0, 0, 0,
		0, 0, 0, 0,
		1, 0, 0, 0,
	}
	n, err := notes.Compute(cam, 4, 3, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n.PeakZone, n.Peak, n.ZoneShare[notes.RightLower], n.BorderAttention)
	// Output: right lower zone {0.5 2.5} 1 false
}
