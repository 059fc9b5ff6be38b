package winograd

// Winograd's F(4×4, 3×3), on the interpolation points 0, ±1, ±2 and ∞:
// each 4×4 block of output comes from the 6×6 input tile around it
// (tiles overlap by 2), as
//
//	Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A
//
// with
//
//	Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0;
//	      0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1]
//	G  = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1⁄24 1⁄12 ⅙; 1⁄24 −1⁄12 ⅙; 0 0 1]
//	Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]
//
// 36 products per 16 outputs instead of F(2×2)'s 16 per 4 (and direct's
// 144), at the price of larger rounding errors: the factors 4, 5 and 8
// and G's sixths. Bᵀ and Aᵀ act on six values at a time (Input6 and
// Output6 below), applied element by element to runs of tiles like
// F(2×2)'s Butterfly and Gather.

// TilesF4 is the number of transformed positions ξ of F(4×4, 3×3).
const TilesF4 = 36

// FilterTransformF4 returns U = G g Gᵀ of a 3×3 filter g (row-major) for
// F(4×4, 3×3), U[ξ] at ξ = 6i + j, computed in float64 and rounded to
// float32 once.
func FilterTransformF4(g []float32) [TilesF4]float32 {
	gt := func(a, b, c float64) [6]float64 { // G applied to (a, b, c)
		return [6]float64{a / 4, -(a + b + c) / 6, -(a - b + c) / 6, a/24 + b/12 + c/6, a/24 - b/12 + c/6, c}
	}
	var t [6][3]float64 // G g
	for j := 0; j < 3; j++ {
		col := gt(float64(g[j]), float64(g[3+j]), float64(g[6+j]))
		for i := range col {
			t[i][j] = col[i]
		}
	}
	var u [TilesF4]float32
	for i := 0; i < 6; i++ {
		row := gt(t[i][0], t[i][1], t[i][2])
		for j, v := range row {
			u[6*i+j] = float32(v)
		}
	}
	return u
}

// input6 is Bᵀ applied to d0…d5, each float32 operation rounded in this
// order (the products by 2 and 4 are exact; those by 5 are rounded
// before they are added, never fused).
func input6(d0, d1, d2, d3, d4, d5 float32) (o0, o1, o2, o3, o4, o5 float32) {
	t0, t1 := d4-4*d2, d3-4*d1
	t2, t3 := d4-d2, 2*(d3-d1)
	o0 = 4*d0 - float32(5*d2) + d4
	o5 = 4*d1 - float32(5*d3) + d5
	return o0, t0 + t1, t0 - t1, t2 + t3, t2 - t3, o5
}

// output6 is Aᵀ applied to m0…m5, each float32 operation rounded in this
// order (every product is by a power of two, so exact).
func output6(m0, m1, m2, m3, m4, m5 float32) (y0, y1, y2, y3 float32) {
	s12, d12 := m1+m2, m1-m2
	s34, d34 := m3+m4, m3-m4
	return m0 + s12 + s34, d12 + 2*d34, s12 + 4*s34, d12 + 8*d34 + m5
}

// goInput6 is Input6 in Go.
func goInput6(o, in [6][]float32, n, rows, sa, so int) {
	s := Span(n)
	for r := 0; r < rows; r++ {
		i0, j0 := r*sa, r*so
		d0, d1, d2, d3, d4, d5 := in[0][i0:i0+s], in[1][i0:i0+s], in[2][i0:i0+s], in[3][i0:i0+s], in[4][i0:i0+s], in[5][i0:i0+s]
		w0, w1, w2, w3, w4, w5 := o[0][j0:j0+s], o[1][j0:j0+s], o[2][j0:j0+s], o[3][j0:j0+s], o[4][j0:j0+s], o[5][j0:j0+s]
		for i := range w0 {
			w0[i], w1[i], w2[i], w3[i], w4[i], w5[i] = input6(d0[i], d1[i], d2[i], d3[i], d4[i], d5[i])
		}
	}
}

// goOutput6 is Output6 in Go.
func goOutput6(o [4][]float32, in [6][]float32, n int) {
	s := Span(n)
	m0, m1, m2, m3, m4, m5 := in[0][:s], in[1][:s], in[2][:s], in[3][:s], in[4][:s], in[5][:s]
	w0, w1, w2, w3 := o[0][:s], o[1][:s], o[2][:s], o[3][:s]
	for i := range w0 {
		w0[i], w1[i], w2[i], w3[i] = output6(m0[i], m1[i], m2[i], m3[i], m4[i], m5[i])
	}
}

// goOutput6Interleaved is Output6Interleaved in Go.
func goOutput6Interleaved(dst []float32, in [6][]float32, n int) {
	s := Span(n)
	m0, m1, m2, m3, m4, m5 := in[0][:s], in[1][:s], in[2][:s], in[3][:s], in[4][:s], in[5][:s]
	w := dst[:4*s]
	for i := range m0 {
		w[4*i], w[4*i+1], w[4*i+2], w[4*i+3] = output6(m0[i], m1[i], m2[i], m3[i], m4[i], m5[i])
	}
}

// Input6 computes, for rows runs of n values, the k-th run's values at
// offset k·sa in the inputs in[0…5] and at k·so in the outputs o[0…5],
// (o0, …, o5) = Bᵀ (d0, …, d5) by the operations of input6. Each input
// must hold (rows−1)·sa + Span(n) values and each output (rows−1)·so +
// Span(n); the values past a run's n-th of an output are overwritten with
// garbage, so runs are written in increasing order and a later run may
// start inside that spill. The outputs must not overlap the inputs.
func (k Kernels) Input6(o, in *[6][]float32, n, rows, sa, so int) {
	if n <= 0 || rows <= 0 {
		return
	}
	need, out := (rows-1)*sa+Span(n), (rows-1)*so+Span(n)
	for i := range in {
		_, _ = in[i][need-1], o[i][out-1]
	}
	k.input6(*o, *in, n, rows, sa, so)
}

// Output6 computes, for n values, (y0, y1, y2, y3) = Aᵀ (m0, …, m5) by
// the operations of output6. Every slice must hold Span(n) values;
// outputs past the n-th are garbage.
func (k Kernels) Output6(o *[4][]float32, in *[6][]float32, n int) {
	if n <= 0 {
		return
	}
	s := Span(n)
	for i := range in {
		_ = in[i][s-1]
	}
	for i := range o {
		_ = o[i][s-1]
	}
	k.output6(*o, *in, n)
}

// Output6Interleaved is Output6 with its four outputs interleaved:
// dst[4t+i] = y_i[t]. The inputs hold Span(n) values and dst 4·Span(n).
func (k Kernels) Output6Interleaved(dst []float32, in *[6][]float32, n int) {
	if n <= 0 {
		return
	}
	s := Span(n)
	for i := range in {
		_ = in[i][s-1]
	}
	_ = dst[4*s-1]
	k.output6Interleaved(dst, *in, n)
}

// splitF4 is Split for F(4×4, 3×3): padded row 4·y+py, column 4·x+px
// goes to sub-plane py·4+px at (y, x); padded (row, column) (r, c) is the
// input's (r−1, c−1), zero outside it. Each input row is read once.
func (l Layout) splitF4(dst, img []float32) {
	var rows [4][]float32
	for py := 0; py < 4; py++ {
		for y := 0; y < l.H2; y++ {
			for px := range rows {
				at := (py*4+px)*l.Sub + y*l.W2
				rows[px] = dst[at : at+l.W2]
			}
			if iy := 4*y + py - 1; iy >= 0 && iy < l.H {
				splitRowF4(&rows, img[iy*l.W:(iy+1)*l.W])
				continue
			}
			for _, r := range rows {
				clear(r)
			}
		}
	}
	for sub := 0; sub < 16; sub++ {
		clear(dst[sub*l.Sub+l.H2*l.W2 : (sub+1)*l.Sub])
	}
}

// splitRowF4 writes a padded row's columns 4x+px into rows[px][x]:
// padded column c is row[c−1], zero outside the row.
func splitRowF4(rows *[4][]float32, row []float32) {
	w, r0, r1, r2, r3 := len(row), rows[0], rows[1], rows[2], rows[3]
	x := 0
	for ; x < len(r0); x++ { // the first column and any past the row
		if x > 0 && 4*x+2 < w {
			break
		}
		r0[x], r1[x], r2[x], r3[x] = at(row, 4*x-1), at(row, 4*x), at(row, 4*x+1), at(row, 4*x+2)
	}
	for ; x < len(r0) && 4*x+2 < w; x++ {
		c := row[4*x-1 : 4*x+3]
		r0[x], r1[x], r2[x], r3[x] = c[0], c[1], c[2], c[3]
	}
	for ; x < len(r0); x++ {
		r0[x], r1[x], r2[x], r3[x] = at(row, 4*x-1), at(row, 4*x), at(row, 4*x+1), at(row, 4*x+2)
	}
}

// at is row[i], or zero outside the row.
func at(row []float32, i int) float32 {
	if i < 0 || i >= len(row) {
		return 0
	}
	return row[i]
}

// inputF4 is Input for F(4×4, 3×3): Bᵀ applied to each padded row, the
// tiles' six columns (two of them the next tile's first), then to the
// tiles' six rows.
func (k Kernels) inputF4(v [][]float32, p []float32, l Layout, ty0, rows int, q []float32) {
	qs := l.qStride(rows)
	n := (rows + 1) * l.W2
	var in, out [6][]float32
	for py := 0; py < 4; py++ {
		for px := 0; px < 4; px++ {
			in[px] = p[(py*4+px)*l.Sub+ty0*l.W2:]
		}
		in[4], in[5] = in[0][1:], in[1][1:]
		for j := range out {
			out[j] = q[(py*6+j)*qs : (py*6+j+1)*qs]
		}
		k.Input6(&out, &in, n, 1, 0, 0)
	}
	for j := 0; j < 6; j++ {
		for py := 0; py < 4; py++ {
			in[py] = q[(py*6+j)*qs : (py*6+j+1)*qs]
		}
		in[4], in[5] = in[0][l.W2:], in[1][l.W2:]
		for i := range out {
			out[i] = v[6*i+j]
		}
		k.Input6(&out, &in, l.TW, rows, l.W2, l.TW)
	}
}

// outputF4 is Output for F(4×4, 3×3): Aᵀ applied to the six rows of each
// of the six columns, then to the six columns of each of the four rows,
// interleaved into output rows.
func (k Kernels) outputF4(out []float32, m [][]float32, l Layout, ty0, rows int, tmp []float32) {
	n := rows * l.TW
	s := Span(n)
	var half [4][6][]float32 // Aᵀ M: row i, column j
	for i := range half {
		for j := range half[i] {
			half[i][j] = tmp[(6*i+j)*s : (6*i+j+1)*s]
		}
	}
	var in [6][]float32
	var o [4][]float32
	for j := 0; j < 6; j++ {
		for i := range in {
			in[i] = m[6*i+j]
		}
		for i := range o {
			o[i] = half[i][j]
		}
		k.Output6(&o, &in, n)
	}
	var rowsOut [4][]float32
	for i := range rowsOut {
		rowsOut[i] = tmp[(24+4*i)*s : (28+4*i)*s]
		k.Output6Interleaved(rowsOut[i], &half[i], n)
	}
	l.copyRows(out, rowsOut[:], ty0, rows)
}
