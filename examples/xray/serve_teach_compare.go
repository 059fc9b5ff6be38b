package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/preprocess"
	"github.com/xrayllm/xray/prompt"
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

// teachMethodJSON is one map of the comparison: its name, the name a
// reader sees, how long it took, how faithful it is and its overlay.
type teachMethodJSON struct {
	Name             string                `json:"name"`
	Label            string                `json:"label"`
	MS               float64               `json:"ms"`
	Faithfulness     *gradcam.Faithfulness `json:"faithfulness"`
	FaithfulnessText string                `json:"faithfulness_text"`
	Overlay          string                `json:"overlay"`
}

// compareRun is one map of the comparison to compute.
type compareRun struct {
	name, label string
	opts        gradcam.Options
}

// Names of the comparison's two variants of Grad-CAM.
const (
	compareAugSmooth = "gradcam+aug_smooth"
	compareFused     = "gradcam@layer2+layer3+layer4"
)

// compareNames lists the maps of the comparison, as the methods field
// names them: every method, then Grad-CAM with aug smooth and Grad-CAM
// fused over the last three stages.
func compareNames() []string {
	return append(gradcam.MethodNames(), compareAugSmooth, compareFused)
}

// compareRuns returns the maps of the comparison called names (all when
// names is empty), in compareNames' order, at layer (the fused map at
// its own three), each measuring its faithfulness.
func compareRuns(p prompt.Teach, names []string, layer string) []compareRun {
	var runs []compareRun
	for _, name := range compareNames() {
		if len(names) > 0 && !slices.Contains(names, name) {
			continue
		}
		run := compareRun{name: name, label: name, opts: gradcam.Options{Layer: layer, Faithfulness: true}}
		switch name {
		case compareAugSmooth:
			run.label, run.opts.AugSmooth = p.AugSmooth, true
		case compareFused:
			run.label, run.opts.Layer, run.opts.Layers = p.Fused, "", []string{"layer2", "layer3", "layer4"}
		default:
			run.opts.Method, _ = gradcam.MethodByName(name) // the names are MethodByName's own
		}
		runs = append(runs, run)
	}
	return runs
}

// teachCompare computes every map of compareRuns, one after the other,
// each timed on its own. The explained class is fixed by the first map,
// so that every map, aug smooth's copies included, explains the same one.
func (s *server) teachCompare(ctx context.Context, tr *teachRequest, in *preprocess.Input) (any, error) {
	p := prompt.TeachPhrases(tr.lang())
	out := &teachCompareJSON{Target: tr.target, Layer: tr.layer, Caption: p.CompareCaption, Lang: string(tr.lang())}
	for _, run := range compareRuns(p, tr.methods, tr.layer) {
		run.opts.Target = out.Target
		start := time.Now()
		res, err := s.a.Explainer().Explain(ctx, in.Tensor, &run.opts)
		if err != nil {
			return nil, fmt.Errorf("serve: compare %s: %w", run.name, err)
		}
		ms := millis(time.Since(start))
		overlay, err := overlayPNG(&xray.Result{Input: in, CAM: res}, tr.colormap)
		if err != nil {
			return nil, err
		}
		out.Target = res.Target
		out.Methods = append(out.Methods, teachMethodJSON{Name: run.name, Label: run.label, MS: ms, Faithfulness: res.Faithfulness,
			FaithfulnessText: newCAMText(res, tr.lang()).Faithfulness, Overlay: overlay})
	}
	return out, nil
}
