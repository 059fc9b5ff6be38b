package resnet

import "github.com/xrayllm/xray/internal/gemm"

// winogradInput is V[ξ], the input transform Bᵀ d B of every tile d at one
// transformed position ξ = (i, j), as the B of the product U[ξ]·V[ξ]:
// Cin rows, one column per tile of the batch's images (image by image,
// tiles row by row). It is never stored: the GEMM asks it for packed
// panels, which it computes from the padded images. With Bᵀ = [1 0 −1 0;
// 0 1 1 0; 0 −1 1 0; 0 1 0 −1], row i of Bᵀ picks two rows of d, a and b,
// and adds or subtracts the second, and likewise j for d's columns, so
// V[ξ] = (d[a][c] ± d[b][c]) ± (d[a][e] ± d[b][e]). It implements
// gemm.Source and is read-only, so panels may be packed concurrently.
type winogradInput struct {
	padded         []float32 // images × Cin planes of ph×pw
	cin, th, tw    int
	ph, pw         int
	a, b, c, e     int     // the rows (a, b) and columns (c, e) ξ combines
	rowSign, colSn float32 // +1 or −1: how the second row and column enter
}

// winogradPick is, for each row i of Bᵀ, the two entries it combines and
// the sign of the second.
var winogradPick = [4]struct {
	first, second int
	sign          float32
}{{0, 2, -1}, {1, 2, 1}, {2, 1, -1}, {1, 3, -1}}

// newWinogradInput describes V[ξ] for ξ = i·4 + j over padded images.
func newWinogradInput(xi int, padded []float32, cin, th, tw, ph, pw int) winogradInput {
	r, c := winogradPick[xi/4], winogradPick[xi%4]
	return winogradInput{padded: padded, cin: cin, th: th, tw: tw, ph: ph, pw: pw,
		a: r.first, b: r.second, rowSign: r.sign, c: c.first, e: c.second, colSn: c.sign}
}

// Size implements gemm.Source.
func (v *winogradInput) Size() (int, int) {
	return v.cin, len(v.padded) / (v.cin * v.ph * v.pw) * v.th * v.tw
}

// Pack implements gemm.Source: the panel's columns split into runs of
// tiles in one tile row of one image.
func (v *winogradInput) Pack(panel []float32, p0, depth, j0, w int) {
	columnRuns(j0, w, v.th, v.tw, func(j, n, ty, tx, run int) {
		for p := 0; p < depth; p++ {
			plane := v.padded[(n*v.cin+p0+p)*v.ph*v.pw:]
			v.packRun(panel[p*gemm.PanelWidth+j:p*gemm.PanelWidth+j+run], plane, ty, tx)
		}
	})
}

// packRun writes V[ξ] of tiles (ty, tx), (ty, tx+1), … of plane into dst.
func (v *winogradInput) packRun(dst, plane []float32, ty, tx int) {
	ra := plane[(2*ty+v.a)*v.pw : (2*ty+v.a+1)*v.pw]
	rb := plane[(2*ty+v.b)*v.pw : (2*ty+v.b+1)*v.pw]
	rs, cs := v.rowSign, v.colSn
	for k := range dst {
		x := 2 * (tx + k)
		dc := ra[x+v.c] + rs*rb[x+v.c]
		de := ra[x+v.e] + rs*rb[x+v.e]
		dst[k] = dc + cs*de
	}
}
