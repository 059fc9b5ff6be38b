package gradcam

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// LayerData holds one image's target-layer activation and the gradient of
// the target score with respect to it: C channels of H*W values each,
// channel-major (CHW), as in a PyTorch tensor without its batch axis.
type LayerData struct {
	// C, H and W are the number of channels, the height and the width.
	C, H, W int
	// Acts is the activation, C*H*W values.
	Acts []float32
	// Grads is the gradient, C*H*W values; nil for gradient-free methods
	// (EigenCAM, ScoreCAM).
	Grads []float32
}

// A Method turns one image's layer data into a raw H*W CAM map (row-major,
// before ReLU); Finalize turns that into the displayed map. A method that
// also needs forward passes of the model on masked inputs implements
// MaskedMethod.
type Method interface {
	// Name is the method's name as MethodByName accepts it.
	Name() string
	// NeedsGradient reports whether Map reads LayerData.Grads.
	NeedsGradient() bool
	// Map computes the raw map.
	Map(d LayerData) ([]float32, error)
}

// A WeightedMethod is a Method whose map is a weighted sum of the
// activation channels, sum_c Weights[c]*Acts[c]. Its weights are what a
// student inspects between the gradient and the map.
type WeightedMethod interface {
	Method
	// Weights returns the C channel weights.
	Weights(d LayerData) ([]float32, error)
}

// weightsFunc computes channel weights from validated layer data.
type weightsFunc func(d LayerData) []float32

// mapFunc computes a raw map from validated layer data.
type mapFunc func(d LayerData) ([]float32, error)

// weighted is a method defined by its channel weights, as in
// pytorch-grad-cam's BaseCAM.get_cam_weights.
type weighted struct {
	name    string
	grad    bool
	weights weightsFunc
}

// Every method type implements Method; those with channel weights
// implement WeightedMethod.
var (
	_ WeightedMethod = weighted{}
	_ Method         = spatial{}
)

func (m weighted) Name() string        { return m.name }
func (m weighted) NeedsGradient() bool { return m.grad }

// Weights returns the method's channel weights.
func (m weighted) Weights(d LayerData) ([]float32, error) {
	if err := d.check(m.name, m.grad); err != nil {
		return nil, err
	}
	return m.weights(d), nil
}

// Map returns sum_c w[c]*Acts[c].
func (m weighted) Map(d LayerData) ([]float32, error) {
	w, err := m.Weights(d)
	if err != nil {
		return nil, err
	}
	return weightedSum(d, w), nil
}

// spatial is a method defined directly by its map, as in pytorch-grad-cam's
// get_cam_image overrides. Methods whose map is a channel sum of
// spatially weighted activations also set acts.
type spatial struct {
	name string
	grad bool
	fn   mapFunc
	acts func(d LayerData) []float32
}

func (m spatial) Name() string        { return m.name }
func (m spatial) NeedsGradient() bool { return m.grad }

// Map computes the method's raw map.
func (m spatial) Map(d LayerData) ([]float32, error) {
	if err := d.check(m.name, m.grad); err != nil {
		return nil, err
	}
	return m.fn(d)
}

// GradCAM is Grad-CAM (Selvaraju et al. 2017): channel weights are the
// spatial mean of the gradient, w[c] = mean_ij G[c,i,j].
func GradCAM() Method { return weighted{name: "gradcam", grad: true, weights: gradCAMWeights} }

// HiResCAM (Draelos & Carin 2020) multiplies gradient and activation
// element-wise and sums over channels: sum_c G[c]*A[c].
func HiResCAM() Method {
	return spatial{name: "hirescam", grad: true, fn: channelSum(hiResCAMActs), acts: hiResCAMActs}
}

// GradCAMPlusPlus is Grad-CAM++ (Chattopadhay et al. 2018, eq. 19, as
// pytorch-grad-cam computes it): with S[c] = sum_ij A[c,i,j],
// a = G² / (2G² + S[c]·G³ + 1e-6) where G ≠ 0 (else 0), and
// w[c] = sum_ij max(G,0)·a.
func GradCAMPlusPlus() Method {
	return weighted{name: "gradcamplusplus", grad: true, weights: gradCAMPlusPlusWeights}
}

// XGradCAM (Fu et al. 2020): w[c] = sum_ij G[c,i,j]·A[c,i,j] / (S[c] + 1e-7)
// with S[c] the channel's activation sum.
func XGradCAM() Method { return weighted{name: "xgradcam", grad: true, weights: xGradCAMWeights} }

// LayerCAM (Jiang et al. 2021) weights every activation by its positive
// gradient: sum_c max(G[c],0)·A[c].
func LayerCAM() Method {
	return spatial{name: "layercam", grad: true, fn: channelSum(layerCAMActs), acts: layerCAMActs}
}

// EigenCAM (Muhammad & Yeasin 2020) needs no gradient: it projects the
// activation, seen as an H*W × C matrix with each channel's mean removed,
// on its first right singular vector. The sign of a singular vector is
// arbitrary; EigenCAM follows the rule in eigenSign so that the map agrees
// with NumPy's SVD as pytorch-grad-cam uses it.
func EigenCAM() Method { return spatial{name: "eigencam", fn: eigenCAMMap} }

// allMethods returns every method, in the order MethodNames lists them.
func allMethods() []Method {
	return []Method{GradCAM(), HiResCAM(), GradCAMPlusPlus(), XGradCAM(), LayerCAM(), EigenCAM(), ScoreCAM()}
}

// MethodNames returns the names MethodByName accepts.
func MethodNames() []string {
	ms := allMethods()
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.Name()
	}
	return names
}

// MethodByName returns the method called name (case-insensitive; "-", "_"
// and "+" are ignored, so "Grad-CAM++" is gradcamplusplus). An unknown name
// gets an error listing the valid ones.
func MethodByName(name string) (Method, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	key = strings.NewReplacer("-", "", "_", "", "++", "plusplus").Replace(key)
	for _, m := range allMethods() {
		if m.Name() == key {
			return m, nil
		}
	}
	return nil, fmt.Errorf("gradcam: unknown method %q (valid: %s)", name, strings.Join(MethodNames(), ", "))
}

// check validates d for a method called name.
func (d LayerData) check(name string, grad bool) error {
	if d.C <= 0 || d.H <= 0 || d.W <= 0 {
		return fmt.Errorf("gradcam: %s: layer size %dx%dx%d must be positive", name, d.C, d.H, d.W)
	}
	if d.H*d.W > maxPixels/d.C {
		return fmt.Errorf("gradcam: %s: layer size %dx%dx%d too large", name, d.C, d.H, d.W)
	}
	n := d.C * d.H * d.W
	if len(d.Acts) != n {
		return fmt.Errorf("gradcam: %s: %d activation values for a %dx%dx%d layer", name, len(d.Acts), d.C, d.H, d.W)
	}
	if grad && len(d.Grads) != n {
		if d.Grads == nil {
			return fmt.Errorf("gradcam: %s: needs the gradient", name)
		}
		return fmt.Errorf("gradcam: %s: %d gradient values for a %dx%dx%d layer", name, len(d.Grads), d.C, d.H, d.W)
	}
	return nil
}

// channel returns channel c of x.
func (d LayerData) channel(x []float32, c int) []float32 {
	n := d.H * d.W
	return x[c*n : (c+1)*n]
}

// weightedSum returns sum_c w[c]*Acts[c], in float32 like NumPy.
func weightedSum(d LayerData, w []float32) []float32 {
	return sumChannels(d, scaleChannels(d, w))
}

// sumChannels returns sum_c wa[c] of C*H*W values, channel by channel in
// float32 like NumPy.
func sumChannels(d LayerData, wa []float32) []float32 {
	n := d.H * d.W
	out := make([]float32, n)
	for c := 0; c < d.C; c++ {
		for i, v := range wa[c*n : (c+1)*n] {
			out[i] += v
		}
	}
	return out
}

// sum32 returns the sum of x accumulated in float64.
func sum32(x []float32) float64 {
	s := 0.0
	for _, v := range x {
		s += float64(v)
	}
	return s
}

// perChannel returns one weight per channel: f of the channel's gradients
// and activations.
func perChannel(d LayerData, f func(g, a []float32) float32) []float32 {
	w := make([]float32, d.C)
	for c := range w {
		w[c] = f(d.channel(d.Grads, c), d.channel(d.Acts, c))
	}
	return w
}

func gradCAMWeights(d LayerData) []float32 {
	n := float64(d.H * d.W)
	return perChannel(d, func(g, _ []float32) float32 { return float32(sum32(g) / n) })
}

func gradCAMPlusPlusWeights(d LayerData) []float32 {
	const eps = 1e-6
	return perChannel(d, func(g, a []float32) float32 {
		s := float32(sum32(a))
		acc := 0.0
		for _, v := range g {
			if v <= 0 { // max(G,0) is 0, and a is 0 where G == 0
				continue
			}
			g2 := v * v
			g3 := g2 * v
			aij := g2 / (2*g2 + s*g3 + eps)
			acc += float64(v * aij)
		}
		return float32(acc)
	})
}

func xGradCAMWeights(d LayerData) []float32 {
	const eps = 1e-7
	return perChannel(d, func(g, a []float32) float32 {
		den := float32(sum32(a) + eps)
		acc := 0.0
		for i := range g {
			acc += float64(g[i] * a[i] / den)
		}
		return float32(acc)
	})
}

// hiResCAMActs returns G[c]*A[c] for every channel.
func hiResCAMActs(d LayerData) []float32 {
	out := make([]float32, len(d.Acts))
	for i, g := range d.Grads {
		out[i] = g * d.Acts[i]
	}
	return out
}

// layerCAMActs returns max(G[c],0)*A[c] for every channel.
func layerCAMActs(d LayerData) []float32 {
	out := make([]float32, len(d.Acts))
	for i, g := range d.Grads {
		if g > 0 {
			out[i] = g * d.Acts[i]
		}
	}
	return out
}

// channelSum returns the map sum_c acts(d)[c].
func channelSum(acts func(d LayerData) []float32) mapFunc {
	return func(d LayerData) ([]float32, error) { return sumChannels(d, acts(d)), nil }
}

// eigenCAMMap computes pytorch-grad-cam's get_2d_projection of the
// activation with EigenCAM's sign rule (eigenSign).
func eigenCAMMap(d LayerData) ([]float32, error) { return projectFirstComponent(d, eigenSign) }

// projectFirstComponent computes pytorch-grad-cam's get_2d_projection of
// d.Acts in float64: NaN → 0, the HW×C matrix centred per channel, its
// SVD, and the projection of the centred rows on the first right singular
// vector v0, multiplied by sign(v0).
func projectFirstComponent(d LayerData, sign func(v0 []float64) float64) ([]float32, error) {
	n := d.H * d.W
	a := mat.NewDense(n, d.C, nil)
	for c := 0; c < d.C; c++ {
		ch := d.channel(d.Acts, c)
		mean := 0.0
		for _, v := range ch {
			if !math.IsNaN(float64(v)) {
				mean += float64(v)
			}
		}
		mean /= float64(n)
		for i, v := range ch {
			x := 0.0
			if !math.IsNaN(float64(v)) {
				x = float64(v)
			}
			a.Set(i, c, x-mean)
		}
	}
	if !finiteDense(a) {
		return nil, errors.New("gradcam: eigen projection: activation has infinite values")
	}
	proj, v0, err := eigenProjection(a)
	if err != nil {
		return nil, err
	}
	s := sign(v0)
	out := make([]float32, n)
	for i, p := range proj {
		out[i] = float32(s * p)
	}
	return out, nil
}

// eigenProjection returns the projection of the rows of a on its first
// right singular vector v0, and v0, as gonum's SVD computes them.
func eigenProjection(a *mat.Dense) (proj, v0 []float64, err error) {
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThinV) {
		return nil, nil, errors.New("gradcam: eigen projection: SVD did not converge")
	}
	var v mat.Dense
	svd.VTo(&v)
	rows, _ := a.Dims()
	proj = make([]float64, rows)
	if _, vc := v.Dims(); vc == 0 {
		return proj, nil, nil
	}
	v0 = mat.Col(nil, 0, &v)
	vec := mat.NewVecDense(len(v0), v0)
	for i := range proj {
		proj[i] = mat.Dot(a.RowView(i), vec)
	}
	return proj, v0, nil
}

// finiteDense reports whether every element of a is finite.
func finiteDense(a *mat.Dense) bool {
	r, c := a.Dims()
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			if v := a.At(i, j); math.IsInf(v, 0) || math.IsNaN(v) {
				return false
			}
		}
	}
	return true
}

// eigenSign returns +1 or -1, the sign that makes the first right
// singular vector v0's components sum to a positive number, so that the map
// is high where the channels are jointly active (ties go to the sign of the
// largest component).
//
// An SVD fixes singular vectors only up to sign, and LAPACK's choice, which
// NumPy (and so pytorch-grad-cam) inherits, follows no rule one can state:
// on random matrices no simple rule agrees with it more than about 60% of
// the time, nor does gonum's own choice. On real activations the first
// component's loadings all have one sign, and on the 13 reference images
// (ResNet34 layer4) NumPy's v0 has a positive sum every time, so this rule
// reproduces pytorch-grad-cam there (testdata/eigen_sign.py, 13 of 13), and
// agrees with what EigenCAM means. On activations without a dominant
// common component the two may differ by a sign.
func eigenSign(v0 []float64) float64 {
	sum, big := 0.0, 0.0
	for _, v := range v0 {
		sum += v
		if math.Abs(v) > math.Abs(big) {
			big = v
		}
	}
	switch {
	case sum < 0:
		return -1
	case sum > 0:
		return 1
	case big < 0:
		return -1
	}
	return 1
}
