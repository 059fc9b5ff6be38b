package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/gradcam/notes"
	"github.com/xrayllm/xray/resnet"
)

// modelFlags are the flags every command that loads a model takes.
type modelFlags struct {
	weights string
	arch    string
}

func (m *modelFlags) register(fs *flag.FlagSet, e env) {
	fs.StringVar(&m.weights, "weights", e.getenv("XRAY_WEIGHTS"), "PyTorch checkpoint (state_dict) of a ResNet18/34 with a 2-way head (default $XRAY_WEIGHTS)")
	fs.StringVar(&m.arch, "arch", "", "architecture: resnet18 or resnet34 (default: from the checkpoint's keys)")
}

// options turns the flags into resnet options.
func (m *modelFlags) options() ([]resnet.Option, error) {
	if m.weights == "" {
		return nil, errors.New("-weights is required (or set XRAY_WEIGHTS)")
	}
	switch m.arch {
	case "":
		return nil, nil
	case "resnet18":
		return []resnet.Option{resnet.WithArch(resnet.ResNet18())}, nil
	case "resnet34":
		return []resnet.Option{resnet.WithArch(resnet.ResNet34())}, nil
	}
	return nil, fmt.Errorf("-arch %q: want resnet18 or resnet34", m.arch)
}

// camFlags choose the CAM.
type camFlags struct {
	method, layer, target string
	probability           bool
	faithfulness          bool
}

func (c *camFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.method, "cam-method", "gradcam", "CAM method: gradcam, hirescam, gradcamplusplus, xgradcam, layercam, eigencam, scorecam")
	fs.StringVar(&c.layer, "cam-layer", gradcam.DefaultLayer, "layer to explain, e.g. layer4, layer3, layer4.1")
	fs.StringVar(&c.target, "cam-target", "", "class to explain (default: the predicted one)")
	fs.BoolVar(&c.probability, "cam-prob", false, "differentiate the softmax probability instead of the logit")
	fs.BoolVar(&c.faithfulness, "faithfulness", false, "also measure the confidence drop when only the top 20% of the map is kept")
}

// options turns the flags into gradcam options.
func (c *camFlags) options() (*gradcam.Options, error) {
	m, err := gradcam.MethodByName(c.method)
	if err != nil {
		return nil, err
	}
	return &gradcam.Options{Method: m, Layer: c.layer, Target: c.target, Probability: c.probability, Faithfulness: c.faithfulness}, nil
}

// predictionJSON is the part of a JSON line that describes the prediction.
type predictionJSON struct {
	File   string             `json:"file"`
	Label  string             `json:"label,omitempty"`
	Probs  map[string]float64 `json:"probs,omitempty"`
	Logits []float32          `json:"logits,omitempty"`
	Error  string             `json:"error,omitempty"`
}

func newPredictionJSON(file string, classes []string, p resnet.Prediction) predictionJSON {
	probs := make(map[string]float64, len(classes))
	for i, c := range classes {
		probs[c] = p.Probs[i]
	}
	return predictionJSON{File: file, Label: p.Label, Probs: probs, Logits: p.Logits}
}

// camJSON is the "cam" object of a JSON line.
type camJSON struct {
	Method       string                `json:"method"`
	Layer        string                `json:"layer"`
	Target       string                `json:"target"`
	Raw          [][]float32           `json:"raw"`
	Empty        bool                  `json:"empty,omitempty"`
	Notes        notes.Notes           `json:"notes"`
	Faithfulness *gradcam.Faithfulness `json:"faithfulness,omitempty"`
	Files        map[string]string     `json:"files,omitempty"`
}

func newCAMJSON(r *gradcam.Result, files map[string]string) *camJSON {
	return &camJSON{Method: r.Method, Layer: r.Layer, Target: r.Target, Raw: r.Raw, Empty: r.Empty,
		Notes: r.Notes, Faithfulness: r.Faithfulness, Files: files}
}

// writeJSONLine writes v as one line of JSON.
func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// readImage reads an image file, refusing directories and huge files early.
func readImage(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory", path)
	}
	const maxFile = 512 << 20
	if st.Size() > maxFile {
		return nil, fmt.Errorf("%s: %d bytes is larger than the %d MiB limit", path, st.Size(), maxFile>>20)
	}
	return os.ReadFile(path)
}
