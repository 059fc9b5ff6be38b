package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/internal/teachimg"
)

// compareFlags are the flags of "xray compare": every CAM method on one
// image, side by side.
type compareFlags struct {
	model    modelFlags
	layer    string
	target   string
	scoreCAM bool
	out      string
}

func (f *compareFlags) register(fs *flag.FlagSet, e env) {
	f.model.register(fs, e)
	fs.StringVar(&f.layer, "layer", gradcam.DefaultLayer, "layer to explain, e.g. layer4, layer3, layer4.1 (the fused variant always uses layer2+layer3+layer4)")
	fs.StringVar(&f.target, "target", "", "class to explain (default: the predicted one)")
	fs.BoolVar(&f.scoreCAM, "scorecam", true, "include ScoreCAM, which runs the network once per channel of the layer (512 times at layer4)")
	fs.StringVar(&f.out, "o", "compare.png", "PNG file to write")
}

// compareRun is one call of the explainer and the maps it produced.
type compareRun struct {
	methods []gradcam.Method
	opts    gradcam.Options
	label   string // appended to each method's name, e.g. " aug"
}

// compareRuns lists what compare computes, in as few runs of the network
// as the methods allow: the gradient methods and EigenCAM share one run;
// ScoreCAM needs its masked passes; aug smoothing runs a batch of six;
// the fused layers one run with three probes.
func (f *compareFlags) compareRuns() []compareRun { return compareRuns(f.layer, f.target, f.scoreCAM) }

// compareRuns lists the runs of a comparison at layer for target ("" for
// the predicted class), with or without ScoreCAM; the server's
// /api/teach/compare computes the same.
func compareRuns(layer, target string, scoreCAM bool) []compareRun {
	base := gradcam.Options{Layer: layer, Target: target, Faithfulness: true}
	shared := []gradcam.Method{gradcam.GradCAM(), gradcam.HiResCAM(), gradcam.GradCAMPlusPlus(), gradcam.XGradCAM(), gradcam.LayerCAM(), gradcam.EigenCAM()}
	aug, fused := base, base
	aug.AugSmooth = true
	fused.Layer, fused.Layers = "", []string{"layer2", "layer3", "layer4"}
	runs := []compareRun{{methods: shared, opts: base}}
	if scoreCAM {
		runs = append(runs, compareRun{methods: []gradcam.Method{gradcam.ScoreCAM()}, opts: base})
	}
	return append(runs,
		compareRun{methods: []gradcam.Method{gradcam.GradCAM()}, opts: aug, label: " aug"},
		compareRun{methods: []gradcam.Method{gradcam.GradCAM()}, opts: fused, label: " l2+3+4"},
	)
}

// run computes every method and writes the grid.
func (f *compareFlags) run(ctx context.Context, args []string, e env) error {
	a, err := f.model.open()
	if err != nil {
		return err
	}
	defer a.Close()
	in, err := teachInput(ctx, a, args[0], xray.Request{})
	if err != nil {
		return err
	}
	var tiles []teachimg.MethodTile
	target := ""
	for _, r := range f.compareRuns() {
		start := time.Now()
		rs, err := a.Explainer().ExplainMethods(ctx, in.Input.Tensor, r.methods, &r.opts)
		if err != nil {
			return err
		}
		elapsed := time.Since(start)
		for _, res := range rs {
			overlay, err := gradcam.Overlay(in.Input.Resized, res.Map, nil)
			if err != nil {
				return err
			}
			tiles = append(tiles, teachimg.MethodTile{Name: res.Method + r.label, Overlay: overlay, Elapsed: elapsed,
				Shared: len(rs), Drop: res.Faithfulness.Drop, HasDrop: true})
			target = res.Target
		}
	}
	title := fmt.Sprintf("%s: every CAM method at %s (drop: confidence lost keeping the top 20%%)", target, f.layer)
	img, err := teachimg.MethodsGrid(tiles, title)
	if err != nil {
		return err
	}
	if err := writePNG(f.out, img); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %d maps for %s from %d runs\n", f.out, len(tiles), target, len(f.compareRuns()))
	return nil
}
