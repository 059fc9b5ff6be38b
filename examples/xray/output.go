package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/gradcam/notes"
	"github.com/xrayllm/xray/resnet"
)

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
