package gradcam

import "slices"

// Steps are the intermediate quantities of one explanation, for teaching:
// every number between the target layer's activation and the final map,
// exactly as Explain computed them (not recomputed afterwards). Options.Steps
// asks for them; they exist for a single layer without AugSmooth.
//
// For a method with channel weights (without EigenSmooth) the steps
// recombine to the map:
// Upsampled = Finalize(ReLU(sum_c Alpha[c]·Activations[c])), up to float32
// rounding in the order of the sum.
type Steps struct {
	// Method is the method's name, e.g. "gradcam"; Layer the target layer
	// ("layer4"); Target the explained class.
	Method string
	Layer  string
	Target string
	// Channels, Height and Width are the shape C×h×w of the activation A.
	Channels, Height, Width int
	// Activations is A, the target layer's output for the image: what each
	// of the C channels ("feature detectors") found at each of the h×w
	// places, C*h*w values, channel after channel.
	Activations []float32
	// Gradients is dScore/dA, C*h*w values like Activations: how much the
	// target class's score would rise if that one activation rose a little
	// (computed by backpropagation through the network above the layer).
	// nil for gradient-free methods (EigenCAM, ScoreCAM).
	Gradients []float32
	// Alpha are the channel weights α, one per channel: how important the
	// channel is for the class. Grad-CAM takes the average gradient over
	// the channel's places, α_c = (1/hw)·Σ_ij dScore/dA_cij; Grad-CAM++,
	// XGradCAM and ScoreCAM have their own formulas (see each method). nil
	// for methods that weigh every place separately (HiResCAM, LayerCAM)
	// or have no weights (EigenCAM).
	Alpha []float32
	// Weighted is the signed h×w map before the ReLU, row by row: for a
	// method with weights the weighted sum of the channels,
	// M_ij = Σ_c α_c·A_cij, positive where the channels that speak for the
	// class are active and negative where those that speak against it
	// are; for other methods their own map before the ReLU (HiResCAM
	// Σ_c dScore/dA_c·A_c, LayerCAM Σ_c max(dScore/dA_c, 0)·A_c, EigenCAM
	// the projection on the first principal component).
	Weighted []float32
	// Rectified is ReLU(Weighted) = max(M, 0): only the evidence for the
	// class is kept (it equals Result.Raw, flattened).
	Rectified []float32
	// Upsampled is the final map, Result.Width×Result.Height values in
	// [0, 1]: Rectified scaled to 0..1 (subtract the minimum, divide by the
	// maximum), resized bilinearly to the input size and scaled again. It
	// equals Result.Map.
	Upsampled []float32
}

// newSteps collects the steps of an explanation res made by method m
// from the layer data d, whose raw map (before ReLU) was raw.
func newSteps(res *Result, m Method, d LayerData, raw []float32) *Steps {
	s := &Steps{
		Method: res.Method, Layer: res.Layer, Target: res.Target,
		Channels: d.C, Height: d.H, Width: d.W,
		Activations: slices.Clone(d.Acts),
		Alpha:       slices.Clone(res.Weights),
		Weighted:    slices.Clone(raw),
		Rectified:   relu(raw),
		Upsampled:   slices.Clone(res.Map),
	}
	if m.NeedsGradient() {
		s.Gradients = slices.Clone(d.Grads)
	}
	return s
}
