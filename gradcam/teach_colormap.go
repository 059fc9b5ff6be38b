package gradcam

// Diverging returns a blue–white–red colormap for signed maps such as
// Steps.Weighted: intensity 0 is dark blue (most negative), 127–128 white
// (zero) and 255 dark red (most positive), interpolated linearly between
// ColorBrewer's RdBu colours. Map a signed value v with |v| ≤ m to the
// intensity (v/m + 1)·127.5, so that zero stays white whatever the range.
func Diverging() Table {
	// ColorBrewer RdBu (11 classes), from blue to red.
	anchors := [...][3]float64{
		{5, 48, 97}, {33, 102, 172}, {67, 147, 195}, {146, 197, 222}, {209, 229, 240},
		{247, 247, 247},
		{253, 219, 199}, {244, 165, 130}, {214, 96, 77}, {178, 24, 43}, {103, 0, 31},
	}
	var t Table
	last := float64(len(anchors) - 1)
	for i := range t {
		pos := float64(i) / 255 * last
		k := min(int(pos), len(anchors)-2)
		f := pos - float64(k)
		for c := range 3 {
			v := anchors[k][c]*(1-f) + anchors[k+1][c]*f
			t[i][c] = uint8(v + 0.5)
		}
	}
	return t
}
