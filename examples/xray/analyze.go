package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/llm"
	"github.com/xrayllm/xray/prompt"
)

// analyzeFlags are analyze's flags.
type analyzeFlags struct {
	pipeline pipelineFlags
	asJSON   bool
	stream   bool
}

// run classifies and explains each image and prints its report.
func (f *analyzeFlags) run(ctx context.Context, paths []string, e env) error {
	a, opts, err := f.pipeline.open(e)
	if err != nil {
		return err
	}
	defer a.Close()
	req := xray.Request{CAM: opts.cam, Report: true, Lang: opts.lang, TTA: opts.tta, Calibration: opts.cal}
	return forEachImage(ctx, e, "analyze", paths, f.asJSON, func(_ int, path string, data []byte) error {
		return f.analyzeOne(ctx, a, path, data, req, e)
	})
}

// register declares analyze's flags on fs.
func (f *analyzeFlags) register(fs *flag.FlagSet, e env) {
	f.pipeline.register(fs, e, "report language: ko or en")
	fs.BoolVar(&f.asJSON, "json", false, "print one JSON object per image, report included")
	fs.BoolVar(&f.stream, "stream", false, "print the report as it is written (not with -json)")
}

// analyzeOne runs the pipeline on one image and prints the result.
func (f *analyzeFlags) analyzeOne(ctx context.Context, a *xray.Analyzer, path string, data []byte, req xray.Request, e env) error {
	if f.stream && !f.asJSON {
		fmt.Fprintf(e.stdout, "## %s\n\n", path)
		req.ReportOptions = []llm.ReportOption{llm.WithStream(func(chunk string) error {
			_, err := fmt.Fprint(e.stdout, chunk)
			return err
		})}
	}
	res, err := a.AnalyzeBytes(ctx, data, req)
	if err != nil {
		return err
	}
	if f.asJSON {
		return writeJSONLine(e.stdout, struct {
			predictionJSON
			decisionJSON
			CAM    *camJSON    `json:"cam"`
			Image  *imageJSON  `json:"image,omitempty"`
			TTA    *ttaJSON    `json:"tta,omitempty"`
			Report *llm.Report `json:"report"`
		}{newPredictionJSON(path, a.Model().Classes(), res.Prediction), newDecisionJSON(res.Decision, req.Lang), newCAMJSON(res.CAM, nil), newImageJSON(res, req.Lang), newTTAJSON(res.TTA, req.Lang), res.Report})
	}
	if f.stream {
		_, err = fmt.Fprintf(e.stdout, "\n\n%s%s%s\n\n", imageBlock(res, req.Lang), ttaBlock(res, req.Lang), reportFooter(res))
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "## %s\n\n%s%s%s\n\n%s\n\n", path, imageBlock(res, req.Lang), ttaBlock(res, req.Lang), strings.TrimSpace(res.Report.Markdown), reportFooter(res))
	return err
}

// imageBlock lists what a DICOM file says about its image, warnings
// included, as Markdown list items ending in a blank line; "" for other
// images.
func imageBlock(res *xray.Result, lang prompt.Lang) string {
	img := newImageJSON(res, lang)
	if img == nil {
		return ""
	}
	var b strings.Builder
	for _, l := range img.Lines {
		fmt.Fprintf(&b, "- %s\n", l)
	}
	return b.String() + "\n"
}

// reportFooter says what wrote the report and how it went.
func reportFooter(res *xray.Result) string {
	r := res.Report
	s := fmt.Sprintf("_model: %s %s · report: %s", res.Prediction.Label, prompt.FormatPercent(res.Prediction.Probs[res.Prediction.Index]), r.Backend)
	if r.Model != "" {
		s += " (" + r.Model + ")"
	}
	if r.FellBack {
		s += " · fell back to the offline report: " + r.FallbackReason
	}
	if r.Truncated {
		s += " · the answer was cut at the token limit"
	}
	if d := decisionText(res.Decision, prompt.English); d != "" {
		s += " · " + d
	}
	return s + "_"
}
