package gradcam

import (
	"fmt"
	"math"
	"slices"
)

// scoreCAMName is ScoreCAM's name, as MethodByName accepts it.
const scoreCAMName = "scorecam"

// ScoreCAM (Wang et al. 2020) needs no gradient but one forward pass per
// channel: the input is multiplied by each channel's mask (ScoreCAMMasks)
// and the weights are the softmax, over the channels, of the target score
// of each masked input. It is a MaskedMethod: the Explainer runs the masked
// passes; on its own, WithScores gives it the scores.
func ScoreCAM() Method { return scoreCAM{} }

// scoreCAM is ScoreCAM, bound to the masked inputs' scores once they are
// known (scores is nil before).
type scoreCAM struct {
	scores []float32
}

var (
	_ MaskedMethod   = scoreCAM{}
	_ WeightedMethod = scoreCAM{}
)

func (scoreCAM) Name() string        { return scoreCAMName }
func (scoreCAM) NeedsGradient() bool { return false }

// Masks returns ScoreCAMMasks(d, h, w).
func (scoreCAM) Masks(d LayerData, h, w int) ([]float32, error) { return ScoreCAMMasks(d, h, w) }

// WithScores returns ScoreCAM bound to the target score of each channel's
// masked input, in channel order.
func (scoreCAM) WithScores(scores []float32) Method { return scoreCAM{scores: slices.Clone(scores)} }

// Weights returns the softmax of the scores over the channels.
func (m scoreCAM) Weights(d LayerData) ([]float32, error) {
	if err := d.check(scoreCAMName, false); err != nil {
		return nil, err
	}
	if len(m.scores) != d.C {
		return nil, fmt.Errorf("gradcam: %s: %d scores for %d channels (the masked passes give them: see WithScores)", scoreCAMName, len(m.scores), d.C)
	}
	return softmaxWeights(m.scores), nil
}

// Map returns sum_c w[c]*Acts[c].
func (m scoreCAM) Map(d LayerData) ([]float32, error) {
	w, err := m.Weights(d)
	if err != nil {
		return nil, err
	}
	return weightedSum(d, w), nil
}

// softmaxWeights is the softmax of scores, computed in float64; NaN scores
// get weight 0, and without a usable score every weight is 0 (an empty
// map).
func softmaxWeights(scores []float32) []float32 {
	hi := math.Inf(-1)
	for _, s := range scores {
		if v := float64(s); v > hi && !math.IsNaN(v) {
			hi = v
		}
	}
	w := make([]float32, len(scores))
	if math.IsInf(hi, 0) {
		return w
	}
	e := make([]float64, len(scores))
	sum := 0.0
	for c, s := range scores {
		if v := float64(s); !math.IsNaN(v) {
			e[c] = math.Exp(v - hi)
			sum += e[c]
		}
	}
	for c := range w {
		w[c] = float32(e[c] / sum)
	}
	return w
}

// ScoreCAMMasks returns the C masks ScoreCAM multiplies the input by, each
// outH*outW values (row-major), concatenated in channel order: every
// activation channel upsampled to the input size with PyTorch's
// UpsamplingBilinear2d (align_corners=True) and scaled to [0,1] with
// (x - min) / (max - min + 1e-8), as pytorch-grad-cam does. Masked input
// k is input[ch,y,x] * mask[k][y,x] for every colour channel ch; its target
// score is scores[k] of ScoreCAM's WithScores.
func ScoreCAMMasks(d LayerData, outH, outW int) ([]float32, error) {
	if err := d.check(scoreCAMName, false); err != nil {
		return nil, err
	}
	if err := checkSize(scoreCAMName+": mask", -1, outH, outW); err != nil {
		return nil, err
	}
	if outH*outW > maxPixels/d.C {
		return nil, fmt.Errorf("gradcam: %s: %d masks of %dx%d too large", scoreCAMName, d.C, outW, outH)
	}
	out := make([]float32, d.C*outH*outW)
	for c := 0; c < d.C; c++ {
		m := out[c*outH*outW : (c+1)*outH*outW]
		upsampleAlignCorners(d.channel(d.Acts, c), d.H, d.W, outH, outW, m)
		lo, hi := m[0], m[0]
		for _, v := range m {
			lo = min(lo, v)
			hi = max(hi, v)
		}
		den := hi - lo + 1e-8
		for i, v := range m {
			m[i] = (v - lo) / den
		}
	}
	return out, nil
}

// upsampleAlignCorners resizes src (h×w) into dst (outH×outW) with
// bilinear interpolation that maps corner pixels onto corner pixels, in
// float32 as PyTorch's CPU kernel computes it.
func upsampleAlignCorners(src []float32, h, w, outH, outW int, dst []float32) {
	sh, sw := alignScale(h, outH), alignScale(w, outW)
	for y := 0; y < outH; y++ {
		y0, y1, ly := alignTap(sh, y, h)
		for x := 0; x < outW; x++ {
			x0, x1, lx := alignTap(sw, x, w)
			top := float32((1-lx)*src[y0*w+x0]) + float32(lx*src[y0*w+x1])
			bot := float32((1-lx)*src[y1*w+x0]) + float32(lx*src[y1*w+x1])
			dst[y*outW+x] = float32((1-ly)*top) + float32(ly*bot)
		}
	}
}

// alignScale is (in-1)/(out-1), or 0 for a single output pixel.
func alignScale(in, out int) float32 {
	if out <= 1 {
		return 0
	}
	return float32(in-1) / float32(out-1)
}

// alignTap returns the two source indices and the weight of the second
// for destination index d.
func alignTap(scale float32, d, in int) (int, int, float32) {
	r := scale * float32(d)
	i := int(r)
	if i > in-1 {
		i = in - 1
	}
	j := i
	if i < in-1 {
		j = i + 1
	}
	return i, j, r - float32(i)
}
