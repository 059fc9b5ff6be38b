package gradcam

import (
	"context"
	"slices"
	"testing"

	"github.com/xrayllm/xray/internal/fixtures"
	"github.com/xrayllm/xray/resnet"
)

// keepAndBlank is a MaskedMethod of the test's own: two masks, all ones
// (the input itself) and all zeros (a black input). Its map is the first
// channel of the activation, scaled by the first score.
type keepAndBlank struct{ scores []float32 }

var _ MaskedMethod = keepAndBlank{}

func (keepAndBlank) Name() string        { return "keepandblank" }
func (keepAndBlank) NeedsGradient() bool { return false }

func (keepAndBlank) Masks(d LayerData, h, w int) ([]float32, error) {
	m := make([]float32, 2*h*w)
	for i := range h * w {
		m[i] = 1
	}
	return m, nil
}

func (keepAndBlank) WithScores(s []float32) Method { return keepAndBlank{scores: slices.Clone(s)} }

func (m keepAndBlank) Map(d LayerData) ([]float32, error) {
	out := slices.Clone(d.channel(d.Acts, 0))
	for i := range out {
		out[i] *= m.scores[0]
	}
	return out, nil
}

// TestMaskedMethodGetsMaskedScores checks that the Explainer runs any
// MaskedMethod's masks through the model, not only ScoreCAM's: the scores
// it hands over are the target logits of the input and of a black input.
func TestMaskedMethodGetsMaskedScores(t *testing.T) {
	e, m, _ := fixtureExplainer(t, "resnet18_narrow")
	ctx := context.Background()
	x := fixtures.Pattern(1)
	var got keepAndBlank
	probe := recordScores{keepAndBlank{}, &got}
	res, err := e.Explain(ctx, x, &Options{Method: probe})
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.Forward(ctx, append(slices.Clone(x), make([]float32, len(x))...))
	if err != nil {
		t.Fatal(err)
	}
	t0 := res.TargetIndex
	if len(got.scores) != 2 || got.scores[0] != want[0][t0] || got.scores[1] != want[1][t0] {
		t.Errorf("scores %v, want the target logits %v and %v", got.scores, want[0][t0], want[1][t0])
	}
	if res.Method != "keepandblank" || len(res.Map) != resnet.InputSize*resnet.InputSize {
		t.Errorf("result %s with %d values", res.Method, len(res.Map))
	}
}

// recordScores wraps a MaskedMethod and records the method WithScores
// returns.
type recordScores struct {
	keepAndBlank
	got *keepAndBlank
}

func (r recordScores) WithScores(s []float32) Method {
	*r.got = keepAndBlank{scores: slices.Clone(s)}
	return *r.got
}
