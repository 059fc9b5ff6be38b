package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"strconv"
	"strings"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/llm"
	"github.com/xrayllm/xray/prompt"
	"github.com/xrayllm/xray/resnet"
)

// infoJSON is the answer of GET /api/info.
type infoJSON struct {
	Classes         []string          `json:"classes"`
	Architecture    string            `json:"architecture"`
	CAMMethods      []string          `json:"cam_methods"`
	LayerNames      []string          `json:"layer_names"`
	CAMLayers       []string          `json:"cam_layers"`
	Colormaps       []string          `json:"colormaps"`
	Languages       []string          `json:"languages"`
	LanguageNames   map[string]string `json:"language_names"`
	LLMBackend      string            `json:"llm_backend"`
	MaxUploadBytes  int64             `json:"max_upload_bytes"`
	Defaults        map[string]string `json:"defaults"`
	Disclaimer      map[string]string `json:"disclaimer"`
	MaxConcurrent   int               `json:"max_concurrent"`
	ReportByDefault bool              `json:"report_by_default"`
}

// info describes the model and the choices the API accepts.
func (s *server) info() infoJSON {
	m := s.a.Model()
	d := s.cfg.CAM
	layer := d.Layer
	if len(d.Layers) > 0 {
		layer = strings.Join(d.Layers, "+")
	}
	return infoJSON{
		Classes:        m.Classes(),
		Architecture:   m.Arch().Name,
		CAMMethods:     gradcam.MethodNames(),
		LayerNames:     m.LayerNames(),
		CAMLayers:      s.camLayers(),
		Colormaps:      gradcam.ColormapNames(),
		Languages:      languages(),
		LanguageNames:  languageNames(),
		LLMBackend:     s.a.LLM().Name(),
		MaxUploadBytes: s.cfg.MaxUpload,
		Defaults: map[string]string{"method": d.Method.Name(), "layer": layer, "target": d.Target,
			"colormap": s.cfg.Colormap, "lang": string(s.cfg.Lang), "aug_smooth": strconv.FormatBool(d.AugSmooth),
			"eigen_smooth": strconv.FormatBool(d.EigenSmooth), "occlusion": strconv.FormatBool(d.Occlusion),
			"tta": strconv.FormatBool(s.cfg.TTA), "threshold": s.defaultThreshold()},
		Disclaimer:      map[string]string{"ko": prompt.Disclaimer(prompt.Korean), "en": prompt.Disclaimer(prompt.English)},
		MaxConcurrent:   s.cfg.MaxConcurrent,
		ReportByDefault: true,
	}
}

// analyzeJSON is the answer of POST /api/analyze.
type analyzeJSON struct {
	Prediction analysisPrediction `json:"prediction"`
	CAM        *camJSON           `json:"cam"`
	CAMText    camText            `json:"cam_text"`
	// Image is set for a DICOM file: its view and body part, in words.
	Image *imageJSON `json:"image,omitempty"`
	// TTA is set with the tta field: the test-time augmentation.
	TTA *ttaJSON `json:"tta,omitempty"`
	decisionJSON
	camImages
	Report     *llm.Report `json:"report"`
	Lang       string      `json:"lang"`
	Disclaimer string      `json:"disclaimer"`
}

// analysisPrediction is the prediction part of analyzeJSON.
type analysisPrediction struct {
	Label   string             `json:"label"`
	Index   int                `json:"index"`
	Classes []string           `json:"classes"`
	Probs   map[string]float64 `json:"probs"`
	// ProbsText are the probabilities as the report writes them, "97.12%".
	ProbsText map[string]string `json:"probs_text"`
	Logits    []float32         `json:"logits"`
}

// newAnalysisPrediction shapes the prediction for the answer.
func newAnalysisPrediction(classes []string, pred resnet.Prediction) analysisPrediction {
	p := newPredictionJSON("", classes, pred)
	return analysisPrediction{Label: p.Label, Index: pred.Index, Classes: classes,
		Probs: p.Probs, ProbsText: probsText(p.Probs), Logits: p.Logits}
}

// result builds the JSON answer, overlays included.
func (s *server) result(res *xray.Result, ar *analyzeRequest) (*analyzeJSON, error) {
	imgs, err := newCAMImages(res, ar.colormap)
	if err != nil {
		return nil, err
	}
	return s.resultWith(res, ar, imgs), nil
}

// resultWith builds the JSON answer around images already made.
func (s *server) resultWith(res *xray.Result, ar *analyzeRequest, imgs camImages) *analyzeJSON {
	lang := ar.req.Lang
	return &analyzeJSON{
		Prediction:   newAnalysisPrediction(s.a.Model().Classes(), res.Prediction),
		CAM:          newCAMJSON(res.CAM, nil),
		CAMText:      newCAMText(res.CAM, lang),
		Image:        newImageJSON(res, lang),
		TTA:          newTTAJSON(res.TTA, lang),
		decisionJSON: newDecisionJSON(res.Decision, lang),
		camImages:    imgs,
		Report:       res.Report,
		Lang:         string(lang),
		Disclaimer:   prompt.Disclaimer(lang),
	}
}

// overlayPNG blends the CAM over the network's 224x224 input.
func overlayPNG(res *xray.Result, cmap gradcam.Table) (string, error) {
	b := res.Input.Resized.Bounds()
	cam, err := res.CAM.MapAt(b.Dx(), b.Dy())
	if err != nil {
		return "", fmt.Errorf("serve: overlay: %w", err)
	}
	img, err := gradcam.Overlay(res.Input.Resized, cam, &gradcam.OverlayOptions{Colormap: cmap})
	if err != nil {
		return "", fmt.Errorf("serve: overlay: %w", err)
	}
	return pngDataURL(img)
}

// pngDataURL encodes img as a data: URL.
func pngDataURL(img image.Image) (string, error) {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return "", fmt.Errorf("serve: encoding png: %w", err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes()), nil
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"serve: encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// writeError writes {"error": err} with status.
func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}
