package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/internal/metrics"
	"github.com/xrayllm/xray/resnet"
)

// evalCase is one labelled image.
type evalCase struct {
	rel   string // path relative to the folder, e.g. NORMAL/IM-0001.jpeg
	label int
}

// evalFlags are eval's flags.
type evalFlags struct {
	model    modelFlags
	asJSON   bool
	tsv      string
	out      string
	positive string
	tta      bool
	calib    calibrationFlags
}

// run measures the model on the labelled folder args[0] and prints the
// metrics as a table, or as JSON with -json.
func (f *evalFlags) run(ctx context.Context, args []string, e env) error {
	cal, err := f.calib.check()
	if err != nil {
		return err
	}
	a, err := f.model.open()
	if err != nil {
		return err
	}
	defer a.Close()
	classes := a.Model().Classes()
	pos := slices.Index(classes, f.positive)
	if pos < 0 {
		return fmt.Errorf("-positive %q is not a class (%s)", f.positive, strings.Join(classes, ", "))
	}
	root := args[0]
	cases, err := listCases(root, classes)
	if err != nil {
		return err
	}
	if f.out != "" {
		if err := os.MkdirAll(f.out, 0o755); err != nil {
			return err
		}
	}
	start := time.Now()
	ev, err := evaluate(ctx, a, root, cases, pos, cal, e)
	if err != nil {
		return err
	}
	plainTime := time.Since(start)
	ev.summary = evalSummary{Report: ev.report, Applied: cal}
	if ev.summary.OperatingPoints, ev.summary.Calibration, err = f.calib.operatingAndCalibration(ev, root); err != nil {
		return err
	}
	if f.tta {
		if ev.tta, err = evaluateTTA(ctx, a, root, ev, cal, plainTime, e); err != nil {
			return err
		}
	}
	if err := f.write(ev); err != nil {
		return err
	}
	if f.asJSON {
		out, _ := json.MarshalIndent(ev.evalJSON(), "", " ")
		_, err = fmt.Fprintf(e.stdout, "%s\n", out)
		return err
	}
	if err := ev.writeTable(e.stdout, root); err != nil || ev.tta == nil {
		return err
	}
	return ev.tta.writeTable(e.stdout, ev.report)
}

// register declares eval's flags on fs.
func (f *evalFlags) register(fs *flag.FlagSet, e env) {
	f.model.register(fs, e)
	fs.BoolVar(&f.asJSON, "json", false, "print the metrics as one JSON object instead of a table")
	fs.StringVar(&f.tsv, "tsv", "", "also write per-image predictions to this TSV file")
	fs.StringVar(&f.out, "out", "", "also write predictions.tsv, metrics.json, roc.png, pr.png, confusion.png and reliability.png into this directory (and predictions_tta.tsv with -tta)")
	registerTTA(fs, &f.tta)
	fs.StringVar(&f.positive, "positive", xray.PositiveClass, "the class counted as positive for sensitivity, F1 and AUC")
	f.calib.register(fs)
}

// write writes the files -tsv and -out ask for.
func (f *evalFlags) write(ev *evaluation) error {
	if f.tsv != "" {
		if err := os.WriteFile(f.tsv, []byte(ev.tsv()), 0o644); err != nil {
			return err
		}
	}
	if f.out != "" {
		return ev.writeDir(f.out)
	}
	return nil
}

// listCases finds the images under root/<class>/.
func listCases(root string, classes []string) ([]evalCase, error) {
	var cases []evalCase
	for ci, c := range classes {
		entries, err := os.ReadDir(filepath.Join(root, c))
		if err != nil {
			return nil, fmt.Errorf("class folder: %w", err)
		}
		for _, en := range entries {
			ext := strings.ToLower(filepath.Ext(en.Name()))
			if en.Type().IsRegular() && (ext == ".jpeg" || ext == ".jpg" || ext == ".png") {
				cases = append(cases, evalCase{rel: c + "/" + en.Name(), label: ci})
			}
		}
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("no images in %s/{%s}", root, strings.Join(classes, ","))
	}
	return cases, nil
}

// evaluation is the model's predictions on the labelled cases and the
// metrics they give, the class at index pos counted as positive.
type evaluation struct {
	classes []string
	pos     int
	cases   []evalCase
	preds   []resnet.Prediction
	report  metrics.Report
	tta     *ttaEvaluation // with -tta
	// summary adds the operating points and the calibration to report.
	summary evalSummary
}

// evaluate classifies every case, the next images decoded while the
// network runs (Analyzer.PredictAll), decides each with cal (nil: argmax)
// and computes the metrics. The first image that fails stops it.
func evaluate(ctx context.Context, a *xray.Analyzer, root string, cases []evalCase, pos int, cal *xray.Calibration, e env) (*evaluation, error) {
	return classifyCases(ctx, a, root, cases, pos, false, cal, e, nil)
}

// classifyCases is evaluate, under test-time augmentation with withTTA;
// seen, when not nil, is also handed each case's decided result.
func classifyCases(ctx context.Context, a *xray.Analyzer, root string, cases []evalCase, pos int, withTTA bool, cal *xray.Calibration, e env, seen func(i int, res *xray.Result)) (*evaluation, error) {
	ev := &evaluation{classes: a.Model().Classes(), pos: pos, cases: cases, preds: make([]resnet.Prediction, len(cases))}
	paths := make([]string, len(cases))
	for i, c := range cases {
		paths[i] = filepath.Join(root, c.rel)
	}
	bar := newProgress(e.stderr, len(cases))
	err := predictAll(ctx, a, paths, withTTA, func(i int, res *xray.Result, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", cases[i].rel, imageError(err))
		}
		if err := decide(cal, ev.classes, res); err != nil {
			return err
		}
		ev.preds[i] = res.Prediction
		if seen != nil {
			seen(i, res)
		}
		bar.done(i + 1)
		return nil
	})
	bar.finish()
	if err != nil {
		return nil, err
	}
	scores, predicted, positive := ev.outcomes()
	if ev.report, err = metrics.Binary(scores, predicted, positive); err != nil {
		return nil, err
	}
	return ev, nil
}

// outcomes are, for each case, the positive class's probability, whether
// it was predicted and whether it is the true class.
func (ev *evaluation) outcomes() (scores []float64, predicted, positive []bool) {
	n := len(ev.cases)
	scores, predicted, positive = make([]float64, n), make([]bool, n), make([]bool, n)
	for i, p := range ev.preds {
		scores[i], predicted[i], positive[i] = p.Probs[ev.pos], p.Index == ev.pos, ev.cases[i].label == ev.pos
	}
	return scores, predicted, positive
}

// tsv is the per-image predictions: a header, then the file, its true
// label, the probabilities and the predicted label of each case. File
// names and numbers only: the images are patient data.
func (ev *evaluation) tsv() string {
	var b strings.Builder
	b.WriteString("file\tlabel")
	for _, c := range ev.classes {
		b.WriteString("\tp_" + strings.ToLower(c))
	}
	b.WriteString("\tpred\n")
	for i, c := range ev.cases {
		b.WriteString(c.rel + "\t" + ev.classes[c.label])
		for _, v := range ev.preds[i].Probs {
			fmt.Fprintf(&b, "\t%.7f", v)
		}
		b.WriteString("\t" + ev.preds[i].Label + "\n")
	}
	return b.String()
}
