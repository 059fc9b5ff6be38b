package resnet

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"

	"github.com/xrayllm/xray/internal/graphlock"
	"github.com/xrayllm/xray/internal/inputsize"
	"github.com/xrayllm/xray/internal/pool"
	"github.com/xrayllm/xray/internal/team"
	"github.com/xrayllm/xray/weights"
	G "gorgonia.org/gorgonia"
)

// DefaultClasses are the original app's class names, in the order of the
// classifier's outputs.
func DefaultClasses() []string { return []string{"NORMAL", "PNEUMONIA"} }

// InputSize is the side of the square input the model takes, as the
// original app's Resize((224, 224)): the model is tensor-in, tensor-out,
// and its input is 3×InputSize×InputSize values per image (package
// preprocess makes them; its default output size is this constant).
const InputSize = inputsize.Side

// inputLen is the number of values in one preprocessed image.
const inputLen = 3 * InputSize * InputSize

// Model is a loaded ResNet classifier. Its parameters are read-only once
// loaded; each run takes a graph from a pool (one per batch size in use),
// so a Model is safe for concurrent use by many goroutines, and at most
// Concurrency runs proceed at once.
type Model struct {
	layout  layout
	classes []string
	params  params
	set     settings
	runners *pool.Pool[runnerKey, *runner]
	// team runs the parallel passes of every graph's ops; a graph that
	// finds it busy with another graph's pass runs on its caller alone.
	team *team.Team
}

// settings are what Options change.
type settings struct {
	arch        *Arch
	classes     []string
	maxBatch    int
	concurrency int
	winograd    *bool // nil: unless XRAY_CONV=direct
}

// Option configures Load and New.
type Option func(*settings)

// WithArch fixes the architecture instead of reading it from the
// checkpoint's keys.
func WithArch(a Arch) Option { return func(s *settings) { s.arch = &a } }

// WithClasses names the classifier's outputs, in order. The default is
// DefaultClasses; the checkpoint's fc.weight must have one row per name.
func WithClasses(names ...string) Option {
	return func(s *settings) { s.classes = slices.Clone(names) }
}

// WithMaxBatch sets how many images one graph run computes (default 8);
// larger batches are split.
func WithMaxBatch(n int) Option { return func(s *settings) { s.maxBatch = n } }

// WithConcurrency sets how many runs may proceed at once (default
// GOMAXPROCS). Each running graph holds its activations in memory.
func WithConcurrency(n int) Option { return func(s *settings) { s.concurrency = n } }

// WithWinograd turns Winograd's F(4×4, 3×3) and F(2×2, 3×3) for the 3x3,
// stride-1 convolutions on or off. It is on by default unless the
// environment has XRAY_CONV=direct. Its transformed weights take 4 or
// 16/9 times those convolutions' weights (about 210 MB for ResNet34, made
// on first use); a server short of memory may turn it off at the cost of
// a quarter to a half more time per forward pass. See the package comment for the graphs
// that use it.
func WithWinograd(on bool) Option { return func(s *settings) { s.winograd = &on } }

// winograd reports whether graphs may use the Winograd path.
func (s settings) winogradOn() bool {
	if s.winograd != nil {
		return *s.winograd
	}
	return winogradAsked()
}

// Load reads a PyTorch checkpoint and builds the model.
func Load(path string, opts ...Option) (*Model, error) {
	sd, err := weights.Load(path, nil)
	if err != nil {
		return nil, err
	}
	return New(sd, opts...)
}

// New builds a model from a state dict, checking that every key the
// architecture needs is there with the right shape and nothing else is.
func New(sd weights.StateDict, opts ...Option) (*Model, error) {
	s := settings{classes: DefaultClasses(), maxBatch: 8, concurrency: runtime.GOMAXPROCS(0)}
	for _, o := range opts {
		o(&s)
	}
	if s.maxBatch < 1 || s.concurrency < 1 {
		return nil, fmt.Errorf("resnet: max batch and concurrency must be at least 1, got %d and %d", s.maxBatch, s.concurrency)
	}
	var arch Arch
	if s.arch != nil {
		arch = *s.arch
	} else {
		a, err := ArchFromKeys(sd.Names())
		if err != nil {
			return nil, err
		}
		arch = a
	}
	for _, n := range arch.Blocks {
		if n < 1 {
			return nil, fmt.Errorf("resnet: architecture %q has a stage without blocks: %v", arch.Name, arch.Blocks)
		}
	}
	l := newLayout(arch, sd)
	if err := l.checkHead(s.classes); err != nil {
		return nil, err
	}
	if err := l.check(sd); err != nil {
		return nil, err
	}
	ps, err := newParams(l, sd)
	if err != nil {
		return nil, err
	}
	m := &Model{layout: l, classes: s.classes, params: ps, set: s, team: team.New(runtime.GOMAXPROCS(0))}
	runtime.AddCleanup(m, (*team.Team).Close, m.team) // a model dropped without Close
	m.runners = pool.New(s.concurrency, s.concurrency, m.newRunner, (*runner).close)
	return m, nil
}

// Arch returns the model's architecture.
func (m *Model) Arch() Arch { return m.layout.arch }

// Classes returns the class names, in the order of the logits.
func (m *Model) Classes() []string { return slices.Clone(m.classes) }

// MaxBatch returns how many images one graph run computes at most
// (WithMaxBatch); Forward splits larger inputs.
func (m *Model) MaxBatch() int { return m.set.maxBatch }

// LayerNames lists the named activations, as Graph.Node takes them.
func (m *Model) LayerNames() []string { return m.layout.arch.LayerNames() }

// SpatialLayerNames lists the layers with a spatial (N×C×H×W) output: the
// ones a probe, and so a CAM, may target (see Arch.SpatialLayerNames).
func (m *Model) SpatialLayerNames() []string { return m.layout.arch.SpatialLayerNames() }

// Close releases the model's idle graphs and stops the goroutines that
// run their parallel passes. The model must not be used afterwards.
func (m *Model) Close() {
	m.runners.Close()
	m.team.Close()
}

// Prediction is the classifier's answer for one image.
type Prediction struct {
	// Label is the class with the highest logit; Index is its position.
	Label string `json:"label"`
	Index int    `json:"index"`
	// Probs are the softmax probabilities, in the order of Classes.
	Probs []float64 `json:"probs"`
	// Logits are the classifier's raw outputs.
	Logits []float32 `json:"logits"`
}

// PredictTensor classifies preprocessed input: n images of 3×224×224
// values each, in NCHW order, as preprocess produces them.
func (m *Model) PredictTensor(ctx context.Context, x []float32) ([]Prediction, error) {
	logits, err := m.Forward(ctx, x)
	if err != nil {
		return nil, err
	}
	out := make([]Prediction, len(logits))
	for i, l := range logits {
		out[i] = m.Prediction(l)
	}
	return out, nil
}

// Prediction turns one image's logits into a Prediction: the softmax
// probabilities and the class with the highest logit (the first of ties).
func (m *Model) Prediction(logits []float32) Prediction {
	probs := Softmax(logits)
	best := 0
	for i, v := range logits {
		if v > logits[best] {
			best = i
		}
	}
	return Prediction{Label: m.classes[best], Index: best, Probs: probs, Logits: logits}
}

// Softmax returns the softmax of logits, computed in float64.
func Softmax(logits []float32) []float64 {
	mx := math.Inf(-1)
	for _, v := range logits {
		mx = math.Max(mx, float64(v))
	}
	out := make([]float64, len(logits))
	var sum float64
	for i, v := range logits {
		out[i] = math.Exp(float64(v) - mx)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// Forward runs preprocessed input (n images of 3×224×224, NCHW) and
// returns n rows of logits.
func (m *Model) Forward(ctx context.Context, x []float32) ([][]float32, error) {
	n, err := batchSize(x)
	if err != nil {
		return nil, err
	}
	var out [][]float32
	for start := 0; start < n; start += m.set.maxBatch {
		k := min(m.set.maxBatch, n-start)
		rows, err := m.forwardChunk(ctx, x[start*inputLen:(start+k)*inputLen], k)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

// batchSize checks that x holds whole images and returns how many.
func batchSize(x []float32) (int, error) {
	if len(x) == 0 || len(x)%inputLen != 0 {
		return 0, fmt.Errorf("resnet: input has %d values, want a positive multiple of 3×%d×%d = %d", len(x), InputSize, InputSize, inputLen)
	}
	return len(x) / inputLen, nil
}

// forwardChunk runs one graph on k images.
func (m *Model) forwardChunk(ctx context.Context, x []float32, k int) ([][]float32, error) {
	var rows [][]float32
	err := m.withRunner(ctx, runnerKey{batch: k, fused: true}, x, func(r *runner) error {
		_, logits, err := NodeValue(r.graph.logits)
		if err != nil {
			return err
		}
		c := len(m.classes)
		for i := 0; i < k; i++ {
			rows = append(rows, logits[i*c:(i+1)*c])
		}
		return nil
	})
	return rows, err
}

// Activation is one named layer's output for a batch: its shape (N×C×H×W
// for convolutional layers, N×features for avgpool and fc) and values.
type Activation struct {
	Shape []int
	Data  []float32
}

// Activations runs preprocessed input and returns the named activations
// (see LayerNames), e.g. to show students what each stage computes.
func (m *Model) Activations(ctx context.Context, x []float32, names ...string) (map[string]Activation, error) {
	for _, n := range names {
		if !m.layout.arch.hasLayer(n) {
			return nil, m.layout.arch.unknownLayer(n)
		}
	}
	n, err := batchSize(x)
	if err != nil {
		return nil, err
	}
	if n > m.set.maxBatch {
		return nil, fmt.Errorf("resnet: activations for %d images at once; the limit is the max batch, %d", n, m.set.maxBatch)
	}
	out := map[string]Activation{}
	fused := !slices.ContainsFunc(names, m.layout.hiddenWhenFused)
	err = m.withRunner(ctx, runnerKey{batch: n, fused: fused}, x, func(r *runner) error {
		for _, name := range names {
			shape, data, err := r.graph.Value(name)
			if err != nil {
				return err
			}
			out[name] = Activation{Shape: shape, Data: data}
		}
		return nil
	})
	return out, err
}

// withRunner takes a graph for k, runs it on x and calls read while the
// values are valid.
func (m *Model) withRunner(ctx context.Context, k runnerKey, x []float32, read func(*runner) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("resnet: %w", err)
	}
	r, err := m.runners.Get(ctx, k)
	if err != nil {
		return fmt.Errorf("resnet: %w", err)
	}
	err = r.run(x)
	if err == nil {
		err = read(r)
	}
	m.runners.Put(k, r, err == nil)
	return err
}

// runner is a graph with its compiled machine.
type runner struct {
	graph *Graph
	vm    G.VM
}

// runnerKey picks a pooled graph: its batch size and whether it fuses
// (see GraphOptions.Fuse).
type runnerKey struct {
	batch int
	fused bool
}

// newRunner builds and compiles a forward graph for k.
func (m *Model) newRunner(k runnerKey) (*runner, error) {
	g, err := m.NewGraph(GraphOptions{Batch: k.batch, Fuse: k.fused})
	if err != nil {
		return nil, err
	}
	r := &runner{graph: g}
	graphlock.Do(func() { r.vm = G.NewTapeMachine(g.g) })
	return r, nil
}

// run sets the input and executes the graph once.
func (r *runner) run(x []float32) error { return r.graph.Run(r.vm, x) }

// close releases the machine.
func (r *runner) close() { r.vm.Close() }
