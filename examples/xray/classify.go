package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/preprocess"
	"github.com/xrayllm/xray/prompt"
)

// classifyFlags are classify's flags.
type classifyFlags struct {
	model    modelFlags
	cam      camFlags
	asJSON   bool
	camDir   string
	colormap string
	graph    string
	tta      bool
	decision decisionFlags
	cal      *xray.Calibration // resolved from decision by open
}

// run classifies each image and prints a line for it; with -cam it also
// writes the CAM files.
func (f *classifyFlags) run(ctx context.Context, paths []string, e env) error {
	a, camOpts, cmap, err := f.open()
	if err != nil {
		return err
	}
	defer a.Close()
	if f.graph != "" {
		if err := writeGraph(a, camOpts, f.graph); err != nil {
			return err
		}
	}
	if f.camDir == "" {
		return f.classifyAll(ctx, a, paths, e)
	}
	names := outputNames(paths)
	return forEachImage(ctx, e, "classify", paths, f.asJSON, func(i int, path string, data []byte) error {
		return f.classifyOne(ctx, a, path, names[i], data, camOpts, cmap, e)
	})
}

// register declares classify's flags on fs.
func (f *classifyFlags) register(fs *flag.FlagSet, e env) {
	f.model.register(fs, e)
	f.cam.register(fs)
	fs.BoolVar(&f.asJSON, "json", false, "print one JSON object per image")
	fs.StringVar(&f.camDir, "cam", "", "compute a CAM and write <name>.cam.f32, <name>.overlay.png and <name>.overlay-full.png into this directory")
	fs.StringVar(&f.colormap, "colormap", "jet", "overlay colormap: jet, viridis or inferno (the last two are safe for red-green colour blindness)")
	registerTTA(fs, &f.tta)
	fs.StringVar(&f.graph, "graph", "", "write the CAM's Gorgonia graph (forward and backward) in Graphviz dot format to this file")
	f.decision.register(fs)
}

// open checks the flags, loads the model and resolves the CAM options
// (nil without -cam or -graph).
func (f *classifyFlags) open() (*xray.Analyzer, *gradcam.Options, gradcam.Table, error) {
	cmap, err := gradcam.ColormapByName(f.colormap)
	if err != nil {
		return nil, nil, gradcam.Table{}, err
	}
	if f.cal, err = f.decision.resolve(); err != nil {
		return nil, nil, gradcam.Table{}, err
	}
	var camOpts *gradcam.Options
	if f.camDir != "" || f.graph != "" {
		if camOpts, err = f.cam.options(); err != nil {
			return nil, nil, gradcam.Table{}, err
		}
	}
	a, err := f.model.open()
	if err != nil {
		return nil, nil, gradcam.Table{}, err
	}
	if f.camDir != "" {
		if err := os.MkdirAll(f.camDir, 0o755); err != nil {
			a.Close()
			return nil, nil, gradcam.Table{}, err
		}
	}
	return a, camOpts, cmap, nil
}

// classifyOne classifies one image, writes its CAM files and prints its
// line.
func (f *classifyFlags) classifyOne(ctx context.Context, a *xray.Analyzer, path, name string, data []byte, camOpts *gradcam.Options, cmap gradcam.Table, e env) error {
	req := xray.Request{TTA: f.tta, Calibration: f.cal}
	if f.camDir != "" {
		req.CAM = camOpts
	}
	res, err := a.AnalyzeBytes(ctx, data, req)
	if err != nil {
		return err
	}
	var files map[string]string
	if res.CAM != nil {
		if files, err = writeCAMFiles(f.camDir, name, res, cmap); err != nil {
			return err
		}
	}
	return f.printLine(e, path, a.Model().Classes(), res, files)
}

// classifyAll classifies the images without CAMs, the next ones decoded
// while the network runs on the ones before (Analyzer.PredictAll), and
// prints their lines in order; a failed image is reported as forEachImage
// reports it.
func (f *classifyFlags) classifyAll(ctx context.Context, a *xray.Analyzer, paths []string, e env) error {
	classes := a.Model().Classes()
	failed := imageFailures{e: e, command: "classify", asJSON: f.asJSON}
	err := predictAll(ctx, a, paths, f.tta, func(i int, res *xray.Result, err error) error {
		if err == nil {
			err = decide(f.cal, classes, res)
		}
		if err == nil {
			err = f.printLine(e, paths[i], classes, res, nil)
		}
		if err != nil {
			failed.add(paths[i], imageError(err))
		}
		return nil
	})
	if err != nil {
		return err
	}
	return failed.err(len(paths))
}

// printLine prints an image's line: JSON with -json, else readable; files
// are the CAM files written.
func (f *classifyFlags) printLine(e env, path string, classes []string, res *xray.Result, files map[string]string) error {
	line := struct {
		predictionJSON
		decisionJSON
		CAM *camJSON `json:"cam,omitempty"`
		TTA *ttaJSON `json:"tta,omitempty"`
	}{predictionJSON: newPredictionJSON(path, classes, res.Prediction), decisionJSON: newDecisionJSON(res.Decision, prompt.English), TTA: newTTAJSON(res.TTA, prompt.English)}
	if res.CAM != nil {
		line.CAM = newCAMJSON(res.CAM, files)
	}
	if f.asJSON {
		return writeJSONLine(e.stdout, line)
	}
	_, err := fmt.Fprintln(e.stdout, humanLine(path, classes, res))
	return err
}

// humanLine is classify's readable output for one image.
func humanLine(path string, classes []string, res *xray.Result) string {
	p := res.Prediction
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s (", path, p.Label)
	for i, c := range classes {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", c, prompt.FormatPercent(p.Probs[i]))
	}
	b.WriteString(")")
	if d := decisionText(res.Decision, prompt.English); d != "" {
		b.WriteString("; " + d)
	}
	b.WriteString(ttaText(res, prompt.English))
	if c := res.CAM; c != nil {
		fmt.Fprintf(&b, "; %s@%s peak in the %s", c.Method, c.Layer, prompt.ZoneName(c.Notes.PeakZone, prompt.English))
		if c.Notes.BorderAttention {
			b.WriteString(", attention at the image border: check for markers or labels")
		}
	}
	return b.String()
}

// outputNames gives each input a distinct base name for its CAM files.
func outputNames(paths []string) []string {
	seen := map[string]int{}
	out := make([]string, len(paths))
	for i, p := range paths {
		base := strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
		if n := seen[base]; n > 0 {
			out[i] = fmt.Sprintf("%s-%d", base, n+1)
		} else {
			out[i] = base
		}
		seen[base]++
	}
	return out
}

// writeCAMFiles writes the map and the two overlays; it returns their paths.
func writeCAMFiles(dir, name string, res *xray.Result, cmap gradcam.Table) (map[string]string, error) {
	files := map[string]string{
		"map":          filepath.Join(dir, name+".cam.f32"),
		"overlay":      filepath.Join(dir, name+".overlay.png"),
		"overlay_full": filepath.Join(dir, name+".overlay-full.png"),
	}
	if err := writeFile(files["map"], func(w *os.File) error { return writeF32(w, res.CAM.Map) }); err != nil {
		return nil, err
	}
	opts := &gradcam.OverlayOptions{Colormap: cmap}
	small, err := gradcam.Overlay(res.Input.Resized, res.CAM.Map, opts)
	if err != nil {
		return nil, err
	}
	if err := writeFile(files["overlay"], func(w *os.File) error { return png.Encode(w, small) }); err != nil {
		return nil, err
	}
	orig := preprocess.RGB(res.Input.Original)
	b := orig.Bounds()
	full, err := res.CAM.MapAt(b.Dx(), b.Dy())
	if err != nil {
		return nil, err
	}
	big, err := gradcam.Overlay(orig, full, opts)
	if err != nil {
		return nil, err
	}
	return files, writeFile(files["overlay_full"], func(w *os.File) error { return png.Encode(w, big) })
}

// writeFile creates path and fills it with write, removing it on failure.
func writeFile(path string, write func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// writeGraph writes the dot rendering of the CAM graph.
func writeGraph(a *xray.Analyzer, camOpts *gradcam.Options, path string) error {
	if camOpts == nil {
		return errors.New("-graph needs CAM options")
	}
	dot, err := a.Explainer().Dot(camOpts)
	if err != nil {
		return err
	}
	return writeFile(path, func(w *os.File) error { _, err := w.WriteString(dot); return err })
}

// writeF32 writes a map as float32 little-endian values, row-major: the
// .cam.f32 file classify -cam writes, in the layout of pytorch-grad-cam's
// reference files.
func writeF32(w io.Writer, m []float32) error {
	buf := make([]byte, 4*len(m))
	for i, v := range m {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
	}
	_, err := w.Write(buf)
	return err
}
