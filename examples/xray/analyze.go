package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/llm"
	"github.com/xrayllm/xray/prompt"
)

// analyzeFlags are analyze's flags.
type analyzeFlags struct {
	model   modelFlags
	cam     camFlags
	backend string
	lang    string
	asJSON  bool
	stream  bool
	envFile string
}

func runAnalyze(ctx context.Context, args []string, e env) error {
	var f analyzeFlags
	fs := newFlagSet("analyze", "IMAGE...", e)
	f.model.register(fs, e)
	f.cam.register(fs)
	fs.StringVar(&f.backend, "llm", "", "report writer: gemini, openai or offline (default: gemini when GEMINI_API_KEY is set, else offline)")
	fs.StringVar(&f.lang, "lang", "ko", "report language: ko or en")
	fs.BoolVar(&f.asJSON, "json", false, "print one JSON object per image, report included")
	fs.BoolVar(&f.stream, "stream", false, "print the report as it is written (not with -json)")
	fs.StringVar(&f.envFile, "env-file", ".env", "read variables from this file first; variables already set win")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	lang, err := prompt.ParseLang(f.lang)
	if err != nil {
		return err
	}
	if err := e.loadDotenv(f.envFile); err != nil {
		return err
	}
	client, err := llm.FromEnv(e.getenv, f.backend)
	if err != nil {
		return err
	}
	camOpts, err := f.cam.options()
	if err != nil {
		return err
	}
	mopts, err := f.model.options()
	if err != nil {
		return err
	}
	a, err := xray.Open(f.model.weights, &xray.Options{LLM: client}, mopts...)
	if err != nil {
		return err
	}
	defer a.Close()
	failed := 0
	for _, path := range fs.Args() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := f.analyzeOne(ctx, a, path, xray.Request{CAM: camOpts, Report: true, Lang: lang}, e); err != nil {
			failed++
			if f.asJSON {
				_ = writeJSONLine(e.stdout, predictionJSON{File: path, Error: err.Error()})
			}
			fmt.Fprintf(e.stderr, "xray analyze: %s: %v\n", path, err)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d images failed", failed, fs.NArg())
	}
	return nil
}

// analyzeOne runs the pipeline on one image and prints the result.
func (f *analyzeFlags) analyzeOne(ctx context.Context, a *xray.Analyzer, path string, req xray.Request, e env) error {
	data, err := readImage(path)
	if err != nil {
		return err
	}
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
			CAM    *camJSON    `json:"cam"`
			Report *llm.Report `json:"report"`
		}{newPredictionJSON(path, a.Model().Classes(), res.Prediction), newCAMJSON(res.CAM, nil), res.Report})
	}
	if f.stream {
		_, err = fmt.Fprintf(e.stdout, "\n\n%s\n\n", reportFooter(res))
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "## %s\n\n%s\n\n%s\n\n", path, strings.TrimSpace(res.Report.Markdown), reportFooter(res))
	return err
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
	return s + "_"
}
