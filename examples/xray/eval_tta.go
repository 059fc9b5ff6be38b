package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/internal/metrics"
	"github.com/xrayllm/xray/preprocess/tta"
)

// ttaEvaluation is eval -tta's second pass: the same cases classified
// under test-time augmentation, with what it cost and changed.
type ttaEvaluation struct {
	evaluation
	// plainTime and ttaTime are the wall times of the two passes.
	plainTime, ttaTime time.Duration
	// changed counts the images whose label TTA changed; unstable those
	// whose variants disagree on the label.
	changed, unstable int
}

// evaluateTTA classifies plain's cases again under test-time
// augmentation (Analyzer.PredictAllTTA) and computes the metrics;
// each TTA mean is decided with cal (nil: argmax), as the plain pass's
// predictions were; plainTime is how long the plain pass took.
func evaluateTTA(ctx context.Context, a *xray.Analyzer, root string, plain *evaluation, cal *xray.Calibration, plainTime time.Duration, e env) (*ttaEvaluation, error) {
	t := &ttaEvaluation{plainTime: plainTime}
	fmt.Fprintf(e.stderr, "eval: test-time augmentation, %d variants per image\n", len(tta.Default()))
	start := time.Now()
	ev, err := classifyCases(ctx, a, root, plain.cases, plain.pos, true, cal, e, func(i int, res *xray.Result) {
		if res.Prediction.Index != plain.preds[i].Index {
			t.changed++
		}
		if !res.TTA.Agree {
			t.unstable++
		}
	})
	if err != nil {
		return nil, err
	}
	t.evaluation, t.ttaTime = *ev, time.Since(start)
	return t, nil
}

// ttaEvalJSON is the "tta" object of eval -tta's JSON.
type ttaEvalJSON struct {
	// Variants name the changes made to each image (tta.Default).
	Variants []string `json:"variants"`
	// Metrics are the metrics of the TTA means, as the top level's are of
	// the plain predictions.
	Metrics metrics.Report `json:"metrics"`
	// PlainSeconds and TTASeconds are the wall times of the two passes.
	PlainSeconds float64 `json:"plain_seconds"`
	TTASeconds   float64 `json:"tta_seconds"`
	// LabelChanged counts the images whose label TTA changed;
	// VariantsDisagree those whose variants disagree on the label.
	LabelChanged     int `json:"label_changed"`
	VariantsDisagree int `json:"variants_disagree"`
}

// evalJSON is what eval -json prints and -out writes to metrics.json: the
// plain metrics, and with -tta the TTA metrics next to them.
func (ev *evaluation) evalJSON() any {
	t := ev.tta
	if t == nil {
		return ev.summary
	}
	var names []string
	for _, v := range tta.Default() {
		names = append(names, v.Name)
	}
	return struct {
		evalSummary
		TTA ttaEvalJSON `json:"tta"`
	}{ev.summary, ttaEvalJSON{Variants: names, Metrics: t.report, PlainSeconds: t.plainTime.Seconds(), TTASeconds: t.ttaTime.Seconds(),
		LabelChanged: t.changed, VariantsDisagree: t.unstable}}
}

// writeTable prints the plain and the TTA metrics side by side, with the
// time each pass took and what TTA changed.
func (t *ttaEvaluation) writeTable(w io.Writer, plain metrics.Report) error {
	r := t.report
	n := float64(r.N)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\ntest-time augmentation: %d variants per image (zoom, shift, intensity; no mirror)\n\n", len(tta.Default()))
	fmt.Fprintf(tw, "\tplain\tTTA\tchange\n")
	for _, m := range []struct {
		name   string
		p, tta float64
	}{{"accuracy", plain.Accuracy, r.Accuracy}, {"ROC AUC", plain.AUC, r.AUC}, {"F1", plain.F1, r.F1},
		{"sensitivity", plain.Sensitivity, r.Sensitivity}, {"specificity", plain.Specificity, r.Specificity}} {
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%+.4f\n", m.name, m.p, m.tta, m.tta-m.p)
	}
	fmt.Fprintf(tw, "time\t%.1f s\t%.1f s\t×%.1f\n", t.plainTime.Seconds(), t.ttaTime.Seconds(), t.ttaTime.Seconds()/t.plainTime.Seconds())
	fmt.Fprintf(tw, "time per image\t%.0f ms\t%.0f ms\n", 1000*t.plainTime.Seconds()/n, 1000*t.ttaTime.Seconds()/n)
	fmt.Fprintf(tw, "\nTTA changed the label of %d of %d images; on %d the variants disagree among themselves\n", t.changed, r.N, t.unstable)
	return tw.Flush()
}
