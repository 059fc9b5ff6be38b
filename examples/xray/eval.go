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
)

// evalCase is one labelled image.
type evalCase struct {
	rel   string // path relative to the folder, e.g. NORMAL/IM-0001.jpeg
	label int
}

// evalFlags are eval's flags.
type evalFlags struct {
	model    modelFlags
	tsv      string
	positive string
}

// run measures the model on the labelled folder args[0] and prints the
// metrics as JSON.
func (f *evalFlags) run(ctx context.Context, args []string, e env) error {
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
	rows, report, err := evaluate(ctx, a, root, cases, pos, e)
	if err != nil {
		return err
	}
	if f.tsv != "" {
		if err := os.WriteFile(f.tsv, []byte(strings.Join(rows, "")), 0o644); err != nil {
			return err
		}
	}
	out, _ := json.MarshalIndent(report, "", " ")
	_, err = fmt.Fprintf(e.stdout, "%s\n", out)
	return err
}

// register declares eval's flags on fs.
func (f *evalFlags) register(fs *flag.FlagSet, e env) {
	f.model.register(fs, e)
	fs.StringVar(&f.tsv, "tsv", "", "also write per-image predictions to this TSV file")
	fs.StringVar(&f.positive, "positive", "PNEUMONIA", "the class counted as positive for sensitivity, F1 and AUC")
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

// evaluate classifies every case and computes the metrics.
func evaluate(ctx context.Context, a *xray.Analyzer, root string, cases []evalCase, pos int, e env) ([]string, metrics.Report, error) {
	classes := a.Model().Classes()
	header := "file\tlabel"
	for _, c := range classes {
		header += "\tp_" + strings.ToLower(c)
	}
	rows := []string{header + "\tpred\n"}
	scores := make([]float64, len(cases))
	predicted, positive := make([]bool, len(cases)), make([]bool, len(cases))
	start := time.Now()
	for i, c := range cases {
		data, err := readImage(filepath.Join(root, c.rel))
		if err != nil {
			return nil, metrics.Report{}, err
		}
		res, err := a.AnalyzeBytes(ctx, data, xray.Request{})
		if err != nil {
			return nil, metrics.Report{}, fmt.Errorf("%s: %w", c.rel, err)
		}
		p := res.Prediction
		row := c.rel + "\t" + classes[c.label]
		for _, v := range p.Probs {
			row += fmt.Sprintf("\t%.7f", v)
		}
		rows = append(rows, row+"\t"+p.Label+"\n")
		scores[i], predicted[i], positive[i] = p.Probs[pos], p.Index == pos, c.label == pos
		if (i+1)%50 == 0 || i+1 == len(cases) {
			fmt.Fprintf(e.stderr, "\r%d/%d images, %.0f ms/image", i+1, len(cases), float64(time.Since(start).Milliseconds())/float64(i+1))
		}
	}
	fmt.Fprintln(e.stderr)
	r, err := metrics.Binary(scores, predicted, positive)
	return rows, r, err
}
