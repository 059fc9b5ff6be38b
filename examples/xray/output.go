package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/gradcam/notes"
	"github.com/xrayllm/xray/gradcam/occlusion"
	"github.com/xrayllm/xray/prompt"
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
	// Layers are the fused layers when there are several.
	Layers []string `json:"layers,omitempty"`
	// AugSmooth and EigenSmooth say how the map was smoothed; Variants
	// are AugSmooth's six copies.
	AugSmooth   bool              `json:"aug_smooth,omitempty"`
	EigenSmooth bool              `json:"eigen_smooth,omitempty"`
	Variants    []gradcam.Variant `json:"variants,omitempty"`
	// Occlusion holds the occlusion checks when they were asked for.
	Occlusion *occlusion.Result `json:"occlusion,omitempty"`
}

func newCAMJSON(r *gradcam.Result, files map[string]string) *camJSON {
	return &camJSON{Method: r.Method, Layer: r.Layer, Target: r.Target, Raw: r.Raw, Empty: r.Empty,
		Notes: r.Notes, Faithfulness: r.Faithfulness, Files: files, Layers: r.Layers,
		AugSmooth: r.AugSmooth, EigenSmooth: r.EigenSmooth, Variants: r.Variants, Occlusion: r.Occlusion}
}

// imageJSON is the "image" object of an answer: what a DICOM file says
// about its image, and those facts in words (package prompt). It never
// holds anything that identifies a patient.
type imageJSON struct {
	ViewPosition string `json:"view_position,omitempty"`
	BodyPart     string `json:"body_part,omitempty"`
	Modality     string `json:"modality,omitempty"`
	Frames       int    `json:"frames,omitempty"`
	// Lines are prompt.DescribeImage, warnings last; Warnings are those
	// lines that warn (prompt.ImageWarnings), for the page to style.
	Lines    []string `json:"lines"`
	Warnings []string `json:"warnings,omitempty"`
}

// newImageJSON words a result's image facts in lang; nil when the image
// was not a DICOM file.
func newImageJSON(res *xray.Result, lang prompt.Lang) *imageJSON {
	if res.Input == nil {
		return nil
	}
	f := xray.ImageFacts(res.Input.DICOM)
	if f == nil {
		return nil
	}
	return &imageJSON{ViewPosition: f.ViewPosition, BodyPart: f.BodyPart, Modality: f.Modality, Frames: f.Frames,
		Lines: prompt.DescribeImage(f, lang), Warnings: prompt.ImageWarnings(f, lang)}
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
