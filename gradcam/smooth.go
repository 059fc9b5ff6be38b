package gradcam

import (
	"fmt"

	"github.com/xrayllm/xray/resnet"
)

// Variant is one augmented copy of the input that AugSmooth averages
// over, with the model's answer on it.
type Variant struct {
	// Flipped is set for the horizontally mirrored copies; Factor is what
	// the input was multiplied by (0.9, 1 or 1.1).
	Flipped bool    `json:"flipped"`
	Factor  float64 `json:"factor"`
	// Target is the class whose CAM this copy contributed (its own
	// prediction unless Options.Target names one); Probability is that
	// class's probability on the copy.
	Target      string  `json:"target"`
	Probability float64 `json:"probability"`
}

// augFactors are ttach's Multiply factors in pytorch-grad-cam's
// aug_smooth.
var augFactors = [...]float32{0.9, 1, 1.1}

// augment describes one input the network runs: the image itself, or one
// of the six copies aug smoothing makes, in ttach's order ({as is,
// flipped} × {0.9, 1, 1.1}).
type augment struct {
	flip   bool
	factor float32
}

// augments returns the inputs to run: the image alone, or the six
// aug-smoothing copies. plain is the index of the unaltered one.
func augments(smooth bool) (as []augment, plain int) {
	if !smooth {
		return []augment{{factor: 1}}, 0
	}
	for _, flip := range []bool{false, true} {
		for _, f := range augFactors {
			as = append(as, augment{flip: flip, factor: f})
		}
	}
	return as, 1
}

// apply returns x (3×H×W, CHW) flipped left-right when a says so and
// multiplied by a's factor in float32, as ttach does to the input tensor.
func (a augment) apply(x []float32, h, w int) []float32 {
	out := make([]float32, len(x))
	for p := 0; p < len(x)/(h*w); p++ {
		for y := 0; y < h; y++ {
			row := x[(p*h+y)*w : (p*h+y+1)*w]
			dst := out[(p*h+y)*w : (p*h+y+1)*w]
			for i, v := range row {
				j := i
				if a.flip {
					j = w - 1 - i
				}
				dst[j] = v * a.factor
			}
		}
	}
	return out
}

// undo maps a CAM of the augmented input back onto the image (ttach's
// deaugment_mask): flipped copies are flipped back, the factor leaves
// masks alone.
func (a augment) undo(cam []float32, h, w int) []float32 {
	if !a.flip {
		return cam
	}
	return augment{flip: true, factor: 1}.apply(cam, h, w)
}

// batchInputs concatenates the augmented copies of x.
func batchInputs(x []float32, as []augment) []float32 {
	if len(as) == 1 && !as[0].flip && as[0].factor == 1 {
		return x
	}
	out := make([]float32, 0, len(as)*len(x))
	for _, a := range as {
		out = append(out, a.apply(x, resnet.InputSize, resnet.InputSize)...)
	}
	return out
}

// meanMaps is the plain mean of equally sized maps, summed in order in
// float32 and divided by their number, as NumPy's mean over float32 maps.
func meanMaps(maps [][]float32) []float32 {
	out := make([]float32, len(maps[0]))
	for _, m := range maps {
		for i, v := range m {
			out[i] += v
		}
	}
	n := float32(len(maps))
	for i := range out {
		out[i] /= n
	}
	return out
}

// fuseLayers combines per-layer maps that are each ReLU'd, min-max scaled
// and resized (scaleToSize) as pytorch-grad-cam's aggregate_multi_layers
// does: ReLU, mean over the layers, min-max scaling. For one layer this is
// Finalize's last step.
func fuseLayers(maps [][]float32) []float32 {
	for _, m := range maps {
		for i, v := range m {
			m[i] = max(v, 0)
		}
	}
	out := meanMaps(maps)
	MinMaxScale(out)
	return out
}

// activationWeigher is a Method whose map is the channel sum of weighted
// activations, sum_c WA[c]; eigen smoothing projects WA instead.
type activationWeigher interface {
	// weightedActivations returns WA, C*H*W values; nil when the method
	// has none (EigenCAM, already a projection).
	weightedActivations(d LayerData) ([]float32, error)
}

// eigenSmoothed is a method with pytorch-grad-cam's eigen_smooth: the
// first principal component of its weighted activations instead of their
// sum.
type eigenSmoothed struct{ Method }

// eigenSmooth returns m eigen-smoothed, or an error when m has no weighted
// activations to project.
func eigenSmooth(m Method) (Method, error) {
	if _, ok := m.(activationWeigher); !ok {
		return nil, fmt.Errorf("gradcam: eigen smoothing: method %s has no weighted activations", m.Name())
	}
	return eigenSmoothed{m}, nil
}

// Map projects the weighted activations on their first principal
// component with EigenCAM's computation, keeping the sign of gonum's SVD
// (svdSign).
func (m eigenSmoothed) Map(d LayerData) ([]float32, error) {
	wa, err := m.Method.(activationWeigher).weightedActivations(d)
	if err != nil {
		return nil, err
	}
	if wa == nil {
		return m.Method.Map(d)
	}
	return projectFirstComponent(LayerData{C: d.C, H: d.H, W: d.W, Acts: wa}, svdSign)
}

// svdSign keeps the first singular vector as gonum's SVD returns it.
//
// EigenCAM's rule (eigenSign: loadings summing to a positive number) fits
// raw activations, whose loadings share one sign; weighted activations
// lack that, since a negative weight flips its channel, and the rule
// disagrees with NumPy on 2 of the 13 reference images, where NumPy's map
// is even anti-correlated with the plain CAM. gonum's SVD, a port of
// LAPACK's Householder reduction, makes the same sign choice as NumPy's
// LAPACK on all 13, and on 100 of 100 synthetic 49×512 weighted
// activations with a dominant component (the sum rule: 46); on
// unstructured matrices both are a coin toss.
func svdSign([]float64) float64 { return 1 }

// weightedActivations returns w[c]*Acts[c] for every channel, in float32
// like NumPy.
func (m weighted) weightedActivations(d LayerData) ([]float32, error) {
	w, err := m.Weights(d)
	if err != nil {
		return nil, err
	}
	return scaleChannels(d, w), nil
}

// weightedActivations returns the spatially weighted activations (nil for
// EigenCAM).
func (m spatial) weightedActivations(d LayerData) ([]float32, error) {
	if m.acts == nil {
		return nil, d.check(m.name, m.grad)
	}
	if err := d.check(m.name, m.grad); err != nil {
		return nil, err
	}
	return m.acts(d), nil
}

// weightedActivations returns the score-weighted activations.
func (m scoreCAM) weightedActivations(d LayerData) ([]float32, error) {
	w, err := m.Weights(d)
	if err != nil {
		return nil, err
	}
	return scaleChannels(d, w), nil
}

// scaleChannels returns w[c]*Acts[c] for every channel c.
func scaleChannels(d LayerData, w []float32) []float32 {
	out := make([]float32, len(d.Acts))
	n := d.H * d.W
	for c := 0; c < d.C; c++ {
		for i, v := range d.channel(d.Acts, c) {
			out[c*n+i] = w[c] * v
		}
	}
	return out
}
