package main

import (
	"context"
	"flag"
	"fmt"
	"slices"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/internal/teachimg"
)

// exploreFlags are the flags of "xray explore": one layer's strongest
// channels as a grid of greyscale tiles.
type exploreFlags struct {
	model  modelFlags
	layer  string
	top    int
	rank   string
	target string
	tile   int
	out    string
}

func (f *exploreFlags) register(fs *flag.FlagSet, e env) {
	f.model.register(fs, e)
	fs.StringVar(&f.layer, "layer", "layer2.1", "layer to show, by its torchvision name: conv1, layer1 .. layer4, layer2.1, layer3.0.conv2, ...")
	fs.IntVar(&f.top, "top", 16, "number of channels to show")
	fs.StringVar(&f.rank, "rank", "mean", "which channels: mean (highest mean activation) or alpha (largest Grad-CAM weight α for -target)")
	fs.StringVar(&f.target, "target", "", "class whose α ranks the channels with -rank alpha (default: the predicted one)")
	fs.IntVar(&f.tile, "tile", teachimg.DefaultTileSize, "side of each channel's tile in pixels")
	fs.StringVar(&f.out, "o", "grid.png", "PNG file to write")
}

// run writes the grid of one image's channels.
func (f *exploreFlags) run(ctx context.Context, args []string, e env) error {
	rank, err := teachimg.ParseRank(f.rank)
	if err != nil || rank == teachimg.RankAbsAlpha {
		return fmt.Errorf("-rank %q: want mean or alpha", f.rank)
	}
	if f.top < 1 || f.tile < 8 || f.tile > 512 {
		return fmt.Errorf("-top %d, -tile %d: want at least 1 channel and tiles of 8 to 512 pixels", f.top, f.tile)
	}
	a, err := f.model.open()
	if err != nil {
		return err
	}
	defer a.Close()
	if !slices.Contains(a.Model().SpatialLayerNames(), f.layer) {
		return fmt.Errorf("-layer %q: not a layer with channels; valid: %v", f.layer, a.Model().SpatialLayerNames())
	}
	act, alpha, label, err := f.activation(ctx, a, args[0], rank)
	if err != nil {
		return err
	}
	chans, err := teachimg.Top(act, f.top, rank, alpha)
	if err != nil {
		return err
	}
	title := fmt.Sprintf("%s  %dx%dx%d  top %d of %d by %s%s", f.layer, act.C, act.H, act.W, len(chans), act.C, rank, label)
	img, err := teachimg.Grid(act, chans, title, f.tile)
	if err != nil {
		return err
	}
	if err := writePNG(f.out, img); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %s\n", f.out, title)
	return nil
}

// activation returns the image's activation at the layer, with α for the
// target when ranking by it (from one gradient run, gradcam.Steps), else
// from a forward pass (Model.Activations); label names the class α is
// for.
func (f *exploreFlags) activation(ctx context.Context, a *xray.Analyzer, path string, rank teachimg.Rank) (act teachimg.Activation, alpha []float32, label string, err error) {
	if rank == teachimg.RankAlpha {
		res, err := teachInput(ctx, a, path, xray.Request{CAM: &gradcam.Options{Layer: f.layer, Target: f.target, Steps: true}})
		if err != nil {
			return act, nil, "", err
		}
		s := res.CAM.Steps
		return teachimg.Activation{C: s.Channels, H: s.Height, W: s.Width, Data: s.Activations}, s.Alpha, " for " + s.Target, nil
	}
	if f.target != "" {
		return act, nil, "", fmt.Errorf("-target needs -rank alpha")
	}
	res, err := teachInput(ctx, a, path, xray.Request{})
	if err != nil {
		return act, nil, "", err
	}
	acts, err := a.Model().Activations(ctx, res.Input.Tensor, f.layer)
	if err != nil {
		return act, nil, "", err
	}
	s := acts[f.layer].Shape
	return teachimg.Activation{C: s[1], H: s[2], W: s[3], Data: acts[f.layer].Data}, nil, "", nil
}
