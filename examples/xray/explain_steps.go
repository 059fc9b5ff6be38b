package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"os"
	"path/filepath"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/internal/teachimg"
)

// explainStepsFlags are the flags of "xray explain-steps": every
// intermediate quantity of one explanation as a picture, and steps.json.
type explainStepsFlags struct {
	model    modelFlags
	method   string
	layer    string
	target   string
	channels int
	out      string
}

func (f *explainStepsFlags) register(fs *flag.FlagSet, e env) {
	f.model.register(fs, e)
	fs.StringVar(&f.method, "method", "gradcam", "CAM method: gradcam, hirescam, gradcamplusplus, xgradcam, layercam, eigencam, scorecam")
	fs.StringVar(&f.layer, "layer", gradcam.DefaultLayer, "layer to explain, e.g. layer4, layer3, layer4.1")
	fs.StringVar(&f.target, "target", "", "class to explain (default: the predicted one)")
	fs.IntVar(&f.channels, "channels", 8, "channels to show of A and dScore/dA (those with the largest |α|)")
	fs.StringVar(&f.out, "o", "steps", "directory to write the PNGs and steps.json into")
}

// stepsJSON is steps.json.
type stepsJSON struct {
	Method     string             `json:"method"`
	Layer      string             `json:"layer"`
	Target     string             `json:"target"`
	Prediction string             `json:"prediction"`
	Shape      []int              `json:"shape"`
	Channels   []teachimg.Channel `json:"channels,omitempty"`
	Alpha      []float32          `json:"alpha,omitempty"`
	AlphaTop   []teachimg.Weight  `json:"alpha_top,omitempty"`
	AlphaLow   []teachimg.Weight  `json:"alpha_bottom,omitempty"`
	Ranges     map[string]span    `json:"ranges"`
	Files      []string           `json:"files"`
}

// span is a value range.
type span struct {
	Min float32 `json:"min"`
	Max float32 `json:"max"`
}

// spanOf returns v's range.
func spanOf(v []float32) span {
	s := span{Min: v[0], Max: v[0]}
	for _, x := range v {
		s.Min, s.Max = min(s.Min, x), max(s.Max, x)
	}
	return s
}

// run explains the image with Steps and writes each step.
func (f *explainStepsFlags) run(ctx context.Context, args []string, e env) error {
	m, err := gradcam.MethodByName(f.method)
	if err != nil {
		return err
	}
	if f.channels < 1 || f.channels > 64 {
		return fmt.Errorf("-channels %d: want 1 to 64", f.channels)
	}
	a, err := f.model.open()
	if err != nil {
		return err
	}
	defer a.Close()
	res, err := teachInput(ctx, a, args[0], xray.Request{CAM: &gradcam.Options{Method: m, Layer: f.layer, Target: f.target, Steps: true}})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return err
	}
	doc, err := writeSteps(f.out, res, f.channels)
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(f.out, "steps.json"), func(w *os.File) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(doc)
	}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %s at %s for %s: %d pictures and steps.json\n", f.out, doc.Method, doc.Layer, doc.Target, len(doc.Files))
	return nil
}

// writeSteps writes the pictures of res.CAM.Steps into dir and returns
// what steps.json records.
func writeSteps(dir string, res *xray.Result, channels int) (*stepsJSON, error) {
	s := res.CAM.Steps
	act := teachimg.Activation{C: s.Channels, H: s.Height, W: s.Width, Data: s.Activations}
	rank := teachimg.RankAbsAlpha
	if s.Alpha == nil {
		rank = teachimg.RankMean
	}
	chans, err := teachimg.Top(act, channels, rank, s.Alpha)
	if err != nil {
		return nil, err
	}
	doc := &stepsJSON{Method: s.Method, Layer: s.Layer, Target: s.Target, Prediction: res.Prediction.Label,
		Shape: []int{s.Channels, s.Height, s.Width}, Channels: chans, Alpha: s.Alpha,
		Ranges: map[string]span{"activations": spanOf(s.Activations), "weighted": spanOf(s.Weighted),
			"rectified": spanOf(s.Rectified), "upsampled": spanOf(s.Upsampled)}}
	if s.Gradients != nil {
		doc.Ranges["gradients"] = spanOf(s.Gradients)
	}
	if s.Alpha != nil {
		doc.AlphaTop, doc.AlphaLow = teachimg.Extremes(s.Alpha, alphaBars)
	}
	title := fmt.Sprintf("A at %s: %d of %d channels by %s", s.Layer, len(chans), s.Channels, rankName(rank))
	for _, p := range stepPictures(res, act, chans, title) {
		img, err := p.draw()
		if err == nil {
			err = writePNG(filepath.Join(dir, p.name), img)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.name, err)
		}
		doc.Files = append(doc.Files, p.name)
	}
	return doc, nil
}

// alphaBars is how many of the largest and of the smallest α the bar
// chart shows.
const alphaBars = 10

// stepPictures lists the pictures of res.CAM.Steps in the order of the
// computation: A's channels chans, the gradient's same channels, α, the
// signed sum, after the ReLU, upsampled, and over the image. Pictures of
// what the method lacks (a gradient, α) are left out.
func stepPictures(res *xray.Result, act teachimg.Activation, chans []teachimg.Channel, title string) []stepPicture {
	s := res.CAM.Steps
	size := res.CAM.Width
	pics := []stepPicture{{"activations.png", func() (image.Image, error) { return picture(teachimg.Grid(act, chans, title, 0)) }}}
	if s.Gradients != nil {
		grad := teachimg.Activation{C: s.Channels, H: s.Height, W: s.Width, Data: s.Gradients}
		pics = append(pics, stepPicture{"gradients.png", func() (image.Image, error) {
			return picture(teachimg.SignedGrid(grad, chans, "dScore/dA for "+s.Target, 0))
		}})
	}
	if s.Alpha != nil {
		pics = append(pics, stepPicture{"alpha.png", func() (image.Image, error) {
			return picture(teachimg.Bars(s.Alpha, alphaBars, fmt.Sprintf("alpha: the %d largest and smallest of %d", alphaBars, s.Channels)))
		}})
	}
	return append(pics,
		stepPicture{"weighted.png", func() (image.Image, error) {
			img, _, err := teachimg.Signed(s.Weighted, s.Height, s.Width, size)
			return picture(img, err)
		}},
		stepPicture{"rectified.png", func() (image.Image, error) {
			return picture(teachimg.Heat(s.Rectified, s.Height, s.Width, size, nil))
		}},
		stepPicture{"upsampled.png", func() (image.Image, error) {
			return picture(teachimg.Heat(s.Upsampled, res.CAM.Height, res.CAM.Width, size, nil))
		}},
		stepPicture{"overlay.png", func() (image.Image, error) { return picture(gradcam.Overlay(res.Input.Resized, res.CAM.Map, nil)) }},
	)
}

// stepPicture is one file explain-steps writes and how to draw it.
type stepPicture struct {
	name string
	draw func() (image.Image, error)
}

// picture turns a drawing function's result into an image.Image, nil on
// error (never a non-nil interface holding a nil pointer).
func picture(img *image.RGBA, err error) (image.Image, error) {
	if err != nil {
		return nil, err
	}
	return img, nil
}

// rankName says how channels were chosen, for a picture's title.
func rankName(r teachimg.Rank) string {
	if r == teachimg.RankAbsAlpha {
		return "|alpha|"
	}
	return string(r)
}
