package main

import (
	"context"
	"fmt"
	"time"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/preprocess"
	"github.com/xrayllm/xray/prompt"
)

// The choices of /api/teach/compare's scorecam field: every map (the
// default), all but ScoreCAM's (which runs the network once per channel,
// 512 times at layer4), or ScoreCAM's alone. The page asks for the fast
// maps first and for ScoreCAM's after.
const (
	scoreCAMWith    = "true"
	scoreCAMWithout = "false"
	scoreCAMOnly    = "only"
)

// teachCompareJSON is the answer of POST /api/teach/compare: every CAM
// method, and two variants, on the same image and class.
type teachCompareJSON struct {
	Target  string            `json:"target"`
	Layer   string            `json:"layer"`
	Methods []teachMethodJSON `json:"methods"`
	Caption string            `json:"caption"`
	Lang    string            `json:"lang"`
}

// teachMethodJSON is one map of the comparison: its name ("gradcam",
// "gradcam aug"), the name a reader sees, the time of the run that made
// it and how many maps that run made, how faithful it is and its overlay.
type teachMethodJSON struct {
	Name             string                `json:"name"`
	Label            string                `json:"label"`
	MS               float64               `json:"ms"`
	Shared           int                   `json:"shared"`
	Faithfulness     *gradcam.Faithfulness `json:"faithfulness"`
	FaithfulnessText string                `json:"faithfulness_text"`
	Overlay          string                `json:"overlay"`
}

// teachCompare computes the maps of compareRuns (the CLI's compare), run
// by run, each run timed. The explained class is fixed by the first run,
// so that every map, aug smooth's copies included, explains the same one.
func (s *server) teachCompare(ctx context.Context, tr *teachRequest, in *preprocess.Input) (any, error) {
	p := prompt.TeachPhrases(tr.lang())
	out := &teachCompareJSON{Target: tr.target, Layer: tr.layer, Caption: p.CompareCaption, Lang: string(tr.lang())}
	for _, run := range compareRuns(tr.layer, tr.target, tr.scoreCAM != scoreCAMWithout) {
		if tr.scoreCAM == scoreCAMOnly && !isScoreCAMRun(run) {
			continue
		}
		if out.Target != "" {
			run.opts.Target = out.Target
		}
		start := time.Now()
		rs, err := s.a.Explainer().ExplainMethods(ctx, in.Tensor, run.methods, &run.opts)
		if err != nil {
			return nil, fmt.Errorf("serve: compare: %w", err)
		}
		ms := millis(time.Since(start))
		for _, res := range rs {
			overlay, err := overlayPNG(&xray.Result{Input: in, CAM: res}, tr.colormap)
			if err != nil {
				return nil, err
			}
			out.Target = res.Target
			out.Methods = append(out.Methods, teachMethodJSON{Name: res.Method + run.label, Label: compareLabel(p, run, res.Method),
				MS: ms, Shared: len(rs), Faithfulness: res.Faithfulness, FaithfulnessText: newCAMText(res, tr.lang()).Faithfulness, Overlay: overlay})
		}
	}
	return out, nil
}

// isScoreCAMRun reports whether run is ScoreCAM's.
func isScoreCAMRun(run compareRun) bool {
	return len(run.methods) == 1 && run.methods[0].Name() == gradcam.ScoreCAM().Name()
}

// compareLabel names a map of run for a reader: the method's name, or
// prompt's name of the variant.
func compareLabel(p prompt.Teach, run compareRun, method string) string {
	switch {
	case run.opts.AugSmooth:
		return p.AugSmooth
	case len(run.opts.Layers) > 1:
		return p.Fused
	}
	return method
}
