package resnet

import (
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/xrayllm/xray/internal/gemm"
	"github.com/xrayllm/xray/internal/winograd"
	"gorgonia.org/tensor"
)

// Winograd's F(2×2, 3×3) for the 3x3, stride-1, padding-1 convolutions
// (see package internal/winograd for the arithmetic). Over channels the
// element-wise product of the transformed filters U and input tiles V
// becomes 16 independent products, one per transformed position ξ:
// M[ξ] (Cout × tiles) = U[ξ] (Cout × Cin) · V[ξ] (Cin × tiles), on the
// GEMM's kernels, with U transformed and packed once per weight. The
// tiles are processed in chunks of whole tile rows, each chunk's V and
// M small enough to stay in the core's cache, the chunks shared out
// among goroutines: each transforms its chunk's input, multiplies, and
// writes the output transform, followed by the op's convPost through the
// GEMM's own epilogue code (the same float32 steps as the direct path).
//
// The rounding differs from the direct product's, which sums in oneDNN's
// order and so stays closest to PyTorch: Winograd's error against exact
// arithmetic is about 1–2x the direct product's, but its distance from
// PyTorch's values is larger (about twice the direct path's on the
// narrow fixture's logits). The input gradient stays the direct one
// (convGradOp), the same convolution mathematically.
//
// The path is off by default: the narrow fixture's stage statistics
// (TestStagesMatchPyTorch, within 1e-4 of a standard deviation) leave
// their tolerance, and in graphs that differentiate, the CAMs that fuse
// layer2 with deeper layers (their ReLU masks and activations move) leave
// theirs. The environment variable XRAY_CONV=winograd, read once, turns it
// on for every eligible convolution of the graphs without probes
// (classification, activations, ScoreCAM's masked passes); graphs with
// probes, which Grad-CAM differentiates, keep the direct product.

// winogradAsked reports, once per process, whether XRAY_CONV=winograd asks
// for the Winograd path.
var winogradAsked = sync.OnceValue(func() bool { return os.Getenv("XRAY_CONV") == "winograd" })

// convPath chooses how an eligible convolution op computes its product.
type convPath int

const (
	pathByEnvironment convPath = iota // XRAY_CONV decides
	pathDirect                        // the direct product
	pathWinograd                      // Winograd's F(2×2, 3×3)
)

// winogradChunkBytes bounds a chunk's transformed input and product
// (16·(Cin+Cout)·tiles values): about the core's L2 cache and L1 together,
// found fastest on Zen 5 (smaller chunks stream the transformed weights
// more often and make more, shorter calls).
const winogradChunkBytes = 1536 << 10

// winogradScratch holds the Winograd path's buffers while it runs: the
// split input planes and each goroutine's buffers. differentiated marks
// the scratch of a graph with probes, whose convolutions keep the direct
// product unless a test forces a path.
type winogradScratch struct {
	split          []float32
	workers        []*winogradWorker
	differentiated bool
	chunkBytes     int // winogradChunkBytes when 0 (tests make it small)
}

// winogradWorker is one goroutine's buffers: the column pass (q), the
// transformed input (v) and product (m) of a chunk, the output transform's
// scratch, the GEMM's workspace and the epilogue.
type winogradWorker struct {
	q, v, m, tmp []float32
	ws           gemm.Workspace
	ep           gemm.Epilogue
}

// winogradPacked holds a weight's 16 transformed matrices U[ξ], packed.
type winogradPacked struct {
	once sync.Once
	u    [winograd.Tiles]*gemm.Packed
	err  error
}

// winogradWeight returns the weight's transformed matrices, U[ξ] = (G g
// Gᵀ)[ξ] for every (Cout, Cin) filter g, each packed as a Cout × Cin
// matrix, transforming them on the first call.
func (w *convWeight) winogradWeight() (*[winograd.Tiles]*gemm.Packed, error) {
	wp := &w.wino
	wp.once.Do(func() {
		kk := w.cin * w.cout
		u := make([]float32, winograd.Tiles*kk)
		for f := 0; f < kk; f++ {
			for xi, v := range winograd.FilterTransform(w.data[f*9 : f*9+9]) {
				u[xi*kk+f] = v
			}
		}
		for xi := range wp.u {
			m := gemm.Matrix{Rows: w.cout, Cols: w.cin, Stride: w.cin, Data: u[xi*kk : (xi+1)*kk]}
			if wp.u[xi], wp.err = gemm.Pack(m); wp.err != nil {
				return
			}
		}
	})
	return &wp.u, wp.err
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
	case pathByEnvironment:
		return winogradAsked() && !op.scratch.wino.differentiated
	}
	return false
}

// winogradRun is one forward run of the Winograd path: the op, its
// transforms and packed weights, and the images' layout.
type winogradRun struct {
	op       *convOp
	k        winograd.Kernels
	u        *[winograd.Tiles]*gemm.Packed
	l        winograd.Layout
	split    []float32 // images × Cin split planes
	out, res []float32 // NCHW; res nil without a residual
	chunks   int       // chunks per image, of TH/chunks tile rows or one more
	plane    int       // values of one split plane
}

// forwardWinograd is forward by F(2×2, 3×3), for all images of x at once.
func (op *convOp) forwardWinograd(out, x, res []float32, s tensor.Shape) error {
	u, err := op.w.winogradWeight()
	if err != nil {
		return err
	}
	k, err := winograd.For(u[0].Kernel())
	if err != nil {
		return err
	}
	g, sc := op.geom, &op.scratch.wino
	n, h, w := s[0], s[2], s[3]
	r := winogradRun{op: op, k: k, u: u, l: winograd.NewLayout(h, w), out: out, res: res}
	r.plane = r.l.PlaneSize()
	r.split = grow(&sc.split, n*g.cin*r.plane)
	parallel(n*g.cin, len(r.split), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			r.l.Split(r.split[p*r.plane:(p+1)*r.plane], x[p*h*w:(p+1)*h*w])
		}
	})
	workers, budget := runtime.GOMAXPROCS(0), sc.chunkBytes
	if budget == 0 {
		budget = winogradChunkBytes
	}
	r.plan(n, workers, budget)
	return r.runChunks(sc, min(workers, n*r.chunks))
}

// plan chooses the chunks per image: as few as keep each within budget
// bytes, in a number the workers share evenly when the rows allow it.
// The chunks split an image's tile rows as evenly as they can.
func (r *winogradRun) plan(images, workers, budget int) {
	g, l := r.op.geom, r.l
	tiles := budget / (4 * winograd.Tiles * (g.cin + g.cout))
	per := ceilDiv(l.TH, max(1, tiles/l.TW)) // chunks per image
	for images*per%workers != 0 && per < l.TH {
		per++
	}
	r.chunks = per
}

// ceilDiv is a/b rounded up.
func ceilDiv(a, b int) int { return (a + b - 1) / b }

// runChunks computes every chunk of every image on up to workers
// goroutines, each taking the next chunk, and returns the first error.
func (r *winogradRun) runChunks(sc *winogradScratch, workers int) error {
	for len(sc.workers) < workers {
		sc.workers = append(sc.workers, new(winogradWorker))
	}
	total := len(r.out) / (r.op.geom.cout * r.l.H * r.l.W) * r.chunks
	var next atomic.Int64
	errs := make([]error, workers)
	work := func(i int) {
		for {
			c := int(next.Add(1)) - 1
			if c >= total || errs[i] != nil {
				return
			}
			k := c % r.chunks
			errs[i] = r.chunk(sc.workers[i], c/r.chunks, k*r.l.TH/r.chunks, (k+1)*r.l.TH/r.chunks)
		}
	}
	var wg sync.WaitGroup
	for i := 1; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(i)
		}()
	}
	work(0)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// chunk computes tile rows [ty0, ty1) of image img: the input
// transform, the 16 products and the output transform with the post.
func (r *winogradRun) chunk(wk *winogradWorker, img, ty0, ty1 int) error {
	g, l := r.op.geom, r.l
	rows := ty1 - ty0
	tc := rows * l.TW
	cols := (tc + gemm.PanelWidth - 1) / gemm.PanelWidth * gemm.PanelWidth // whole panels: no partial tiles
	vs, ms := g.cin*cols+winograd.Slack, g.cout*cols+winograd.Slack
	v, m := grow(&wk.v, winograd.Tiles*vs), grow(&wk.m, winograd.Tiles*ms)
	q := grow(&wk.q, l.InputScratch(rows))
	var planes [winograd.Tiles][]float32
	for c := 0; c < g.cin; c++ {
		for xi := range planes {
			planes[xi] = v[xi*vs+c*cols : (xi+1)*vs]
		}
		r.k.Input(&planes, r.split[(img*g.cin+c)*r.plane:], l, ty0, rows, q)
	}
	o := gemm.Options{Workers: 1, Workspace: &wk.ws}
	for xi, u := range r.u {
		c := gemm.Matrix{Rows: g.cout, Cols: cols, Stride: cols, Data: m[xi*ms : xi*ms+g.cout*cols]}
		b := gemm.Matrix{Rows: g.cin, Cols: cols, Stride: cols, Data: v[xi*vs : xi*vs+g.cin*cols]}
		if err := gemm.MulPackedMatrix(c, u, b, o); err != nil {
			return err
		}
	}
	hw := l.H * l.W
	out := r.out[img*g.cout*hw : (img+1)*g.cout*hw]
	tmp := grow(&wk.tmp, winograd.OutputScratch(tc))
	for co := 0; co < g.cout; co++ {
		for xi := range planes {
			planes[xi] = m[xi*ms+co*cols : (xi+1)*ms]
		}
		r.k.Output(out[co*hw:(co+1)*hw], &planes, l, ty0, rows, tmp)
	}
	return r.post(wk, out, img, 2*ty0, min(2*(ty0+rows), l.H))
}

// post applies the op's convPost to rows [y0, y1) of every output channel
// of image img, whose output is out.
func (r *winogradRun) post(wk *winogradWorker, out []float32, img, y0, y1 int) error {
	p, l := r.op.post, r.l
	if p == (convPost{}) {
		return nil
	}
	hw, cout := l.H*l.W, r.op.geom.cout
	cols := (y1 - y0) * l.W
	wk.ep = gemm.Epilogue{ReLU: p.relu}
	if p.bn != nil {
		wk.ep.Scale, wk.ep.Shift = p.bn.scale, p.bn.shift
	}
	if r.res != nil {
		res := r.res[img*cout*hw : (img+1)*cout*hw]
		wk.ep.Residual = gemm.Matrix{Rows: cout, Cols: cols, Stride: hw, Data: res[y0*l.W:]}
	}
	c := gemm.Matrix{Rows: cout, Cols: cols, Stride: hw, Data: out[y0*l.W:]}
	err := gemm.ApplyEpilogue(c, &wk.ep, r.k.Kernel())
	wk.ep = gemm.Epilogue{} // keep no references to the run's data
	return err
}
