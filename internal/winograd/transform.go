package winograd

// FilterTransform returns U = G g Gᵀ of a 3×3 filter g (row-major), U[ξ]
// at ξ = 4i + j, computed in float64 and rounded to float32 once.
func FilterTransform(g []float32) [Tiles]float32 {
	var t [4][3]float64 // G g
	for j := 0; j < 3; j++ {
		g0, g1, g2 := float64(g[j]), float64(g[3+j]), float64(g[6+j])
		t[0][j], t[1][j], t[2][j], t[3][j] = g0, (g0+g1+g2)/2, (g0-g1+g2)/2, g2
	}
	var u [Tiles]float32
	for i := 0; i < 4; i++ {
		r0, r1, r2 := t[i][0], t[i][1], t[i][2]
		u[i*4], u[i*4+1], u[i*4+2], u[i*4+3] = float32(r0), float32((r0+r1+r2)/2), float32((r0-r1+r2)/2), float32(r2)
	}
	return u
}

// Layout is how the transforms see one h×w channel plane of a 3×3,
// stride-1, padding-1 convolution: TH×TW tiles of 2×2 outputs, each
// reading a 4×4 block of the plane padded by one zero on every side
// (and, for odd sizes, another row or column of zeros after it). The
// padded plane is held as four parity sub-planes, each H2×W2 values
// (H2 = TH+1, W2 = TW+1) in a slot of Sub values: sub-plane py·2+px holds
// the padded values at even or odd rows (py) and columns (px), so that
// the four columns a row of tiles reads are contiguous runs (the even
// ones at X and X+1, the odd ones at X and X+1), and likewise its rows.
//
// For F(4×4, 3×3) (NewLayoutF4, M = 4) the tiles are 4×4 outputs reading
// 6×6 blocks, and the plane is held as sixteen sub-planes, py·4+px
// holding the padded values at rows ≡ py and columns ≡ px (mod 4), so
// that the six columns a row of tiles reads are again contiguous runs.
type Layout struct {
	H, W, TH, TW, H2, W2, Sub int
	M                         int // the side of an output tile: 2 or 4
}

// NewLayout returns the F(2×2, 3×3) layout of an h×w plane.
func NewLayout(h, w int) Layout { return newLayout(2, h, w) }

// NewLayoutF4 returns the F(4×4, 3×3) layout of an h×w plane.
func NewLayoutF4(h, w int) Layout { return newLayout(4, h, w) }

// newLayout returns the layout of an h×w plane in tiles of m×m outputs.
func newLayout(m, h, w int) Layout {
	th, tw := (h+m-1)/m, (w+m-1)/m
	h2, w2 := th+1, tw+1
	return Layout{H: h, W: w, TH: th, TW: tw, H2: h2, W2: w2, Sub: h2*w2 + 2*maxLanes, M: m}
}

// Tiles is the number of transformed positions ξ of the layout's scheme:
// Tiles or TilesF4.
func (l Layout) Tiles() int { return (l.M + 2) * (l.M + 2) }

// PlaneSize is the number of values Split writes for one plane.
func (l Layout) PlaneSize() int { return l.M * l.M * l.Sub }

// Split writes the h×w plane img, padded, into dst (PlaneSize values) as
// the layout's parity sub-planes.
func (l Layout) Split(dst, img []float32) {
	dst = dst[:l.PlaneSize()]
	if l.M == 4 {
		l.splitF4(dst, img)
		return
	}
	for py := 0; py < 2; py++ {
		even, odd := dst[(2*py)*l.Sub:(2*py+1)*l.Sub], dst[(2*py+1)*l.Sub:(2*py+2)*l.Sub]
		for y2 := 0; y2 < l.H2; y2++ {
			e, o := even[y2*l.W2:(y2+1)*l.W2], odd[y2*l.W2:(y2+1)*l.W2]
			iy := 2*y2 + py - 1 // the input row of padded row 2·y2+py
			if iy < 0 || iy >= l.H {
				clear(e)
				clear(o)
				continue
			}
			splitRow(e, o, img[iy*l.W:(iy+1)*l.W])
		}
		clear(even[l.H2*l.W2:])
		clear(odd[l.H2*l.W2:])
	}
}

// splitRow writes a padded row's even columns into e and its odd ones
// into o: padded column x is row[x−1], zero outside the row.
func splitRow(e, o, row []float32) {
	w := len(row)
	e[0] = 0
	for x := 1; x < len(e); x++ {
		e[x] = 0
		if c := 2*x - 1; c < w {
			e[x] = row[c]
		}
	}
	for x := range o {
		o[x] = 0
		if c := 2 * x; c < w {
			o[x] = row[c]
		}
	}
}

// InputScratch is the number of values Input needs as scratch for a run
// of rows tile rows.
func (l Layout) InputScratch(rows int) int { return l.M * (l.M + 2) * l.qStride(rows) }

// qStride is the slot of one plane of Input's column pass.
func (l Layout) qStride(rows int) int { return (rows+1)*l.W2 + 2*maxLanes }

// Input writes the input transform V = Bᵀ d B of tile rows [ty0,
// ty0+rows) of one split plane p: the tiles' values at ξ go to v[ξ],
// row after row of TW tiles. Each v[ξ] must hold (rows−1)·TW + Span(TW)
// values; it may overwrite up to Span(TW)−TW values past the last tile.
// q is scratch of InputScratch(rows) values.
func (k Kernels) Input(v [][]float32, p []float32, l Layout, ty0, rows int, q []float32) {
	if l.M == 4 {
		k.inputF4(v, p, l, ty0, rows, q)
		return
	}
	qs := l.qStride(rows)
	n := (rows + 1) * l.W2
	for py := 0; py < 2; py++ { // B applied to each padded row: the tiles' columns
		even, odd := p[(2*py)*l.Sub+ty0*l.W2:], p[(2*py+1)*l.Sub+ty0*l.W2:]
		o := q[py*4*qs:]
		k.Butterfly(o[:qs], o[qs:2*qs], o[2*qs:3*qs], o[3*qs:4*qs], even, odd, even[1:], odd[1:], n, 1, 0, 0)
	}
	for j := 0; j < 4; j++ { // Bᵀ applied to the tiles' four rows
		q0, q1 := q[j*qs:(j+1)*qs], q[(4+j)*qs:(5+j)*qs]
		k.Butterfly(v[j], v[4+j], v[8+j], v[12+j], q0, q1, q0[l.W2:], q1[l.W2:], l.TW, rows, l.W2, l.TW)
	}
}

// OutputScratch is the number of values Output needs as scratch for n
// tiles.
func (l Layout) OutputScratch(n int) int { return l.M * (l.M + 2 + l.M) * Span(n) }

// Output writes the output transform Y = Aᵀ M A of tile rows [ty0,
// ty0+rows) of one output channel into its h×w plane out, where m[ξ]
// holds the rows' tiles at ξ, row after row of TW (and Span of them).
// tmp is scratch of OutputScratch(rows·TW) values.
func (k Kernels) Output(out []float32, m [][]float32, l Layout, ty0, rows int, tmp []float32) {
	if l.M == 4 {
		k.outputF4(out, m, l, ty0, rows, tmp)
		return
	}
	n := rows * l.TW
	s := Span(n)
	var half [8][]float32 // Aᵀ M: row i, column j at half[4i+j]
	for i := range half {
		half[i] = tmp[i*s : (i+1)*s]
	}
	for j := 0; j < 4; j++ {
		k.Gather(half[j], half[4+j], m[j], m[4+j], m[8+j], m[12+j], n)
	}
	rowsOut := [2][]float32{tmp[8*s : 10*s], tmp[10*s : 12*s]}
	for i, r := range rowsOut {
		k.GatherInterleaved(r, half[4*i], half[4*i+1], half[4*i+2], half[4*i+3], n)
	}
	l.copyRows(out, rowsOut[:], ty0, rows)
}

// copyRows copies tile rows [ty0, ty0+rows) of the output transform into
// the h×w plane out: rowsOut[i] holds output row i of every tile row's
// tiles, M·TW values a tile row, interleaved tile by tile.
func (l Layout) copyRows(out []float32, rowsOut [][]float32, ty0, rows int) {
	for r := 0; r < rows; r++ {
		for i, src := range rowsOut {
			y := l.M*(ty0+r) + i
			if y >= l.H {
				break
			}
			copy(out[y*l.W:(y+1)*l.W], src[l.M*l.TW*r:l.M*l.TW*r+l.W])
		}
	}
}
