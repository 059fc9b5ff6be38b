package resnet

import (
	"os"
	"sync"

	"github.com/xrayllm/xray/internal/gemm"
	"github.com/xrayllm/xray/internal/winograd"
	"gorgonia.org/tensor"
)

// Winograd's F(4×4, 3×3) and F(2×2, 3×3) for the 3x3, stride-1, padding-1
// convolutions (see package internal/winograd for the arithmetic). Over
// channels the element-wise product of the transformed filters U and
// input tiles V becomes 36 (or 16) independent products, one per
// transformed position ξ:
// M[ξ] (Cout × tiles) = U[ξ] (Cout × Cin) · V[ξ] (Cin × tiles), on the
// GEMM's kernels, with U transformed and packed once per weight. The
// tiles are processed in chunks of whole tile rows, each chunk's V and
// M small enough to stay in the core's cache, the chunks shared out
// among goroutines: each transforms its chunk's input, multiplies, and
// writes the output transform, followed by the op's convPost through the
// GEMM's own epilogue code (the same float32 steps as the direct path).
// A small map (layer3's and layer4's) is one block whose three steps are
// shared out instead (op_conv_winograd_phased.go). Each map takes the
// scheme needing the fewer multiply-adds (winogradScratch.layout):
// F(4×4) for layer1 to layer3 (2.25 products per output against F(2×2)'s
// 4 and direct's 9), F(2×2) for layer4's 7x7 maps (about 1.9x faster
// there than the direct product). The transformed weights take 36/9 and
// 16/9 of those weights' memory (about 210 MB for ResNet34), on top of
// the direct product's, each made on first use.
//
// The rounding differs from the direct product's, which sums in oneDNN's
// order and so stays closest to PyTorch: Winograd's error against exact
// arithmetic is about 1–2x the direct product's, but its distance from
// PyTorch's values is larger (about twice the direct path's on the
// narrow fixture's logits). The input gradient stays the direct one
// (convGradOp), the same convolution mathematically.
//
// F(4×4)'s rounding error is larger (its transforms multiply by 4, 5 and
// 8 and its filter transform by sixths): on 100 reference images its
// logits move by up to 4.7e-6 from the direct path's (F(2×2): 2e-6),
// probabilities by 2e-6; the tolerance against PyTorch is 1e-3.
//
// The path is on by default for every eligible convolution of the graphs
// without probes (classification, activations, TTA, occlusion, ScoreCAM's
// masked passes).
// Graphs whose gradient runs back through convolutions (any probe before
// the last block's output) keep the direct product: the CAMs that fuse
// layer2 with deeper layers min-max scale small activations, and there
// Winograd's rounding, through the ReLU masks of the backward pass, moves
// the map by up to 3.7e-3 (the tolerance is 2e-3). A CAM at the last
// stage only differentiates the pooling and the classifier, and its maps
// stay 1.2e-6 from pytorch-grad-cam's with Winograd. WithWinograd, or
// the environment variable XRAY_CONV=direct (read once), turns the path
// off, e.g. to save the transformed weights' memory in a server;
// XRAY_CONV=winograd2 keeps every map on F(2×2, 3×3) (about 140 MB).

// convAsked is the environment's XRAY_CONV, read once per process:
// "direct" turns the Winograd path off, "winograd2" makes it F(2×2, 3×3).
var convAsked = sync.OnceValue(func() string { return os.Getenv("XRAY_CONV") })

// winogradAsked reports whether the environment leaves the Winograd path
// on.
func winogradAsked() bool { return convAsked() != "direct" }

// winogradTileAsked is the output tile side of the Winograd scheme the
// environment asks for: 2 with XRAY_CONV=winograd2, else 4.
func winogradTileAsked() int {
	if convAsked() == "winograd2" {
		return 2
	}
	return 4
}

// convPath chooses how an eligible convolution op computes its product.
type convPath int

const (
	pathBySettings convPath = iota // the graph's settings decide (winogradScratch)
	pathDirect                     // the direct product
	pathWinograd                   // Winograd's, in the scheme winogradScratch.layout picks
)

// winogradChunkBytes bounds a chunk's transformed input and product
// (16·(Cin+Cout)·tiles values): about the core's L2 cache and L1 together,
// the fastest of 0.4–3 MB on this Zen 5 (smaller chunks stream the
// transformed weights more often and make more, shorter calls).
const winogradChunkBytes = 1536 << 10

// winogradScratch holds the Winograd path's buffers while it runs: the
// split input planes, the transformed input and product that the
// goroutines share in phases (see phased), and each goroutine's buffers.
// differentiated marks the scratch of a graph whose gradient runs back
// through convolutions (see layout.backThroughConvs): they keep the direct
// product unless a test forces a path.
type winogradScratch struct {
	split, v, m    []float32
	workers        []*winogradWorker
	errs           []error // each member's first error in each
	differentiated bool
	tile           int  // the largest output tile side of the schemes (see layout)
	off            bool // the model's WithWinograd(false) or XRAY_CONV=direct
	chunkBytes     int  // winogradChunkBytes when 0 (tests make it small)
}

// winogradWorker is one goroutine's buffers: the column pass (q), the
// transformed input (v) and product (m) of a chunk, the output transform's
// scratch, the GEMM's workspace and the epilogue.
type winogradWorker struct {
	planes       [][]float32 // the views a transform is given
	q, v, m, tmp []float32
	ws           gemm.Workspace
	ep           gemm.Epilogue
}

// layout returns the layout of an h×w map in the scheme that needs the
// fewer multiply-adds in its products, counting the columns each
// image's product rounds up to whole panels: F(4×4, 3×3) unless tile
// (the largest scheme allowed) is 2 or the map is so small that its few
// 4×4 tiles waste most of a panel (layer4's 7x7 maps at 224x224: 4 tiles
// of 36 products in a panel of 16 columns, against F(2×2)'s 16 of 16).
// With the portable GEMM kernel (XRAY_GEMM=go, and every CPU without
// AVX2) it is always F(2×2): F(4×4)'s transforms only pay off as vector
// assembly, and without fused multiply-adds its rounding grows past what
// the fixtures' stage statistics allow.
func (sc *winogradScratch) layout(h, w int) winograd.Layout {
	f2 := winograd.NewLayout(h, w)
	if sc.tile != 4 || gemm.DefaultKernel() == gemm.KernelGo {
		return f2
	}
	f4 := winograd.NewLayoutF4(h, w)
	cost := func(l winograd.Layout) int { return l.Tiles() * ceilDiv(l.TH*l.TW, gemm.PanelWidth) }
	if cost(f4) < cost(f2) {
		return f4
	}
	return f2
}

// planesOf returns wk's n plane views, for one transform call.
func (wk *winogradWorker) planesOf(n int) [][]float32 {
	if cap(wk.planes) < n {
		wk.planes = make([][]float32, n)
	}
	return wk.planes[:n]
}

// winograd reports whether the op computes its product by Winograd.
func (op *convOp) winograd() bool {
	g := op.geom
	if g.kh != 3 || g.kw != 3 || g.stride != 1 || g.pad != 1 {
		return false
	}
	switch op.path {
	case pathWinograd:
		return true
	case pathBySettings:
		return !op.scratch.wino.off && !op.scratch.wino.differentiated
	}
	return false
}

// winogradRun is one forward run of the Winograd path: the op, its
// transforms and packed weights, and the images' layout.
type winogradRun struct {
	op       *convOp
	k        winograd.Kernels
	u        []*gemm.Packed
	l        winograd.Layout
	split    []float32 // images × Cin split planes
	out, res []float32 // NCHW; res nil without a residual
	chunks   int       // chunks per image, of TH/chunks tile rows or one more
	plane    int       // values of one split plane
}

// forwardWinograd is forward by Winograd's F(2×2, 3×3) or F(4×4, 3×3),
// for all images of x at once.
func (op *convOp) forwardWinograd(out, x, res []float32, s tensor.Shape) error {
	g, sc := op.geom, &op.scratch.wino
	n, h, w := s[0], s[2], s[3]
	r := winogradRun{op: op, l: sc.layout(h, w), out: out, res: res}
	workers, budget := op.team.Size(), sc.chunkBytes
	if budget == 0 {
		budget = winogradChunkBytes
	}
	r.plan(n, workers, budget)
	var err error
	if r.u, err = op.w.winogradWeight(r.l.M, op.team); err != nil {
		return err
	}
	if r.k, err = winograd.For(gemm.DefaultKernel()); err != nil {
		return err
	}
	r.plane = r.l.PlaneSize()
	r.split = grow(&sc.split, n*g.cin*r.plane)
	parallel(op.team, n*g.cin, len(r.split), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			r.l.Split(r.split[p*r.plane:(p+1)*r.plane], x[p*h*w:(p+1)*h*w])
		}
	})
	if r.chunks == 1 && n < workers {
		return r.phased(sc, n)
	}
	return r.each(sc, n*r.chunks, func(wk *winogradWorker, c int) error {
		k := c % r.chunks
		return r.chunk(wk, c/r.chunks, k*r.l.TH/r.chunks, (k+1)*r.l.TH/r.chunks)
	})
}

// plan chooses the chunks per image: as few as keep each within budget
// bytes, in a number the workers share evenly when the rows allow it,
// or one for small maps. The chunks split an image's tile rows as evenly
// as they can.
func (r *winogradRun) plan(images, workers, budget int) {
	g, l := r.op.geom, r.l
	tiles := budget / (4 * l.Tiles() * (g.cin + g.cout))
	per := ceilDiv(l.TH, max(1, tiles/l.TW)) // chunks per image
	if l.TH*l.TW <= winogradPhasedTiles {
		r.chunks = 1 // one product per ξ, as wide as the map (see phased)
		return
	}
	for images*per%workers != 0 && per < l.TH {
		per++
	}
	r.chunks = per
}

// ceilDiv is a/b rounded up.
func ceilDiv(a, b int) int { return (a + b - 1) / b }

// each calls f for items [0, n) on the op's team, each member with its
// own buffers and, at every call with the same n, the same contiguous
// range of items to start with, and returns the first error.
func (r *winogradRun) each(sc *winogradScratch, n int, f func(wk *winogradWorker, i int) error) error {
	members := r.op.team.Size()
	for len(sc.workers) < members {
		sc.workers = append(sc.workers, new(winogradWorker))
	}
	if cap(sc.errs) < members {
		sc.errs = make([]error, members)
	}
	sc.errs = sc.errs[:members] // cleared after every call
	r.op.team.Run(n, func(i, m int) {
		if sc.errs[m] == nil {
			sc.errs[m] = f(sc.workers[m], i)
		}
	})
	for _, err := range sc.errs {
		if err != nil {
			clear(sc.errs)
			return err
		}
	}
	return nil
}

// winogradBlock is the transformed input and product of tile rows [ty0,
// ty1) of one image: V[ξ] (Cin × cols, rows vrow apart) at v[ξ·vs:] and
// M[ξ] (Cout × cols) at m[ξ·ms:], cols the tiles rounded up to whole
// panels (no partial tiles in the products; the extra columns are
// garbage). vrow leaves room for the input transform's spill past a
// channel's last tile, so that channels may be transformed concurrently.
type winogradBlock struct {
	img, ty0, ty1, cols, vrow, vs, ms int
	v, m                              []float32
}

// block returns the block of tile rows [ty0, ty1) of image img, its
// buffers grown from v and m.
func (r *winogradRun) block(v, m *[]float32, img, ty0, ty1 int) winogradBlock {
	g, tw := r.op.geom, r.l.TW
	tiles := (ty1 - ty0) * tw
	cols := (tiles + gemm.PanelWidth - 1) / gemm.PanelWidth * gemm.PanelWidth
	vrow := max(cols, tiles-tw+winograd.Span(tw))
	b := winogradBlock{img: img, ty0: ty0, ty1: ty1, cols: cols, vrow: vrow, vs: g.cin*vrow + winograd.Slack, ms: g.cout*cols + winograd.Slack}
	b.v, b.m = grow(v, r.l.Tiles()*b.vs), grow(m, r.l.Tiles()*b.ms)
	return b
}

// chunk computes tile rows [ty0, ty1) of image img on one goroutine: the
// input transform, the 16 products and the output transform with the post.
func (r *winogradRun) chunk(wk *winogradWorker, img, ty0, ty1 int) error {
	g := r.op.geom
	b := r.block(&wk.v, &wk.m, img, ty0, ty1)
	for c := 0; c < g.cin; c++ {
		r.input(wk, &b, c)
	}
	for xi := range r.l.Tiles() {
		if err := r.product(wk, &b, xi); err != nil {
			return err
		}
	}
	for co := 0; co < g.cout; co++ {
		r.output(wk, &b, co)
	}
	return r.post(wk, b.img, 0, g.cout, r.l.M*ty0, min(r.l.M*ty1, r.l.H))
}

// input writes the input transform of channel c into the block.
func (r *winogradRun) input(wk *winogradWorker, b *winogradBlock, c int) {
	rows := b.ty1 - b.ty0
	planes := wk.planesOf(r.l.Tiles())
	for xi := range planes {
		planes[xi] = b.v[xi*b.vs+c*b.vrow : (xi+1)*b.vs]
	}
	q := grow(&wk.q, r.l.InputScratch(rows))
	r.k.Input(planes, r.split[(b.img*r.op.geom.cin+c)*r.plane:], r.l, b.ty0, rows, q)
	clear(planes)
}

// product computes the block's M[ξ] = U[ξ]·V[ξ].
func (r *winogradRun) product(wk *winogradWorker, b *winogradBlock, xi int) error {
	g := r.op.geom
	c := gemm.Matrix{Rows: g.cout, Cols: b.cols, Stride: b.cols, Data: b.m[xi*b.ms : xi*b.ms+g.cout*b.cols]}
	v := gemm.Matrix{Rows: g.cin, Cols: b.cols, Stride: b.vrow, Data: b.v[xi*b.vs : xi*b.vs+(g.cin-1)*b.vrow+b.cols]}
	return gemm.MulPackedMatrix(c, r.u[xi], v, gemm.Options{Workers: 1, Workspace: &wk.ws})
}

// output writes the output transform of channel co of the block into the
// op's output.
func (r *winogradRun) output(wk *winogradWorker, b *winogradBlock, co int) {
	l, rows := r.l, b.ty1-b.ty0
	planes := wk.planesOf(l.Tiles())
	for xi := range planes {
		planes[xi] = b.m[xi*b.ms+co*b.cols : (xi+1)*b.ms]
	}
	hw := l.H * l.W
	plane := (b.img*r.op.geom.cout + co) * hw
	r.k.Output(r.out[plane:plane+hw], planes, l, b.ty0, rows, grow(&wk.tmp, l.OutputScratch(rows*l.TW)))
	clear(planes)
}

// post applies the op's convPost to rows [y0, y1) of output channels
// [co0, co1) of image img.
func (r *winogradRun) post(wk *winogradWorker, img, co0, co1, y0, y1 int) error {
	p, l := r.op.post, r.l
	if p == (convPost{}) {
		return nil
	}
	hw := l.H * l.W
	at, rows, cols := (img*r.op.geom.cout+co0)*hw+y0*l.W, co1-co0, (y1-y0)*l.W
	wk.ep = gemm.Epilogue{ReLU: p.relu}
	if p.bn != nil {
		wk.ep.Scale = p.bn.scale[co0:co1]
		if p.bn.shift != nil {
			wk.ep.Shift = p.bn.shift[co0:co1]
		}
	}
	if r.res != nil {
		wk.ep.Residual = gemm.Matrix{Rows: rows, Cols: cols, Stride: hw, Data: r.res[at:]}
	}
	c := gemm.Matrix{Rows: rows, Cols: cols, Stride: hw, Data: r.out[at:]}
	err := gemm.ApplyEpilogue(c, &wk.ep, r.k.Kernel())
	wk.ep = gemm.Epilogue{} // keep no references to the run's data
	return err
}
