package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/xrayllm/xray/internal/metrics"
	"github.com/xrayllm/xray/internal/plots"
)

// writeTable prints the metrics as a readable table, with what each
// counts, and the confusion matrix; root names the folder.
func (ev *evaluation) writeTable(w io.Writer, root string) error {
	r, c := ev.report, ev.report.Confusion
	pos, neg := ev.classes[ev.pos], ev.negative()
	ap := "n/a"
	scores, _, positive := ev.outcomes()
	if pr, err := metrics.PR(scores, positive); err == nil {
		ap = fmt.Sprintf("%.4f", metrics.AveragePrecision(pr))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%d images in %s: %d %s, %d %s; %s is the positive class\n\n", r.N, root, c.TP+c.FN, pos, c.TN+c.FP, neg, pos)
	fmt.Fprintf(tw, "accuracy\t%.4f\t%d of %d right\n", r.Accuracy, c.TP+c.TN, r.N)
	fmt.Fprintf(tw, "ROC AUC\t%.4f\n", r.AUC)
	fmt.Fprintf(tw, "average precision\t%s\n", ap)
	fmt.Fprintf(tw, "F1\t%.4f\n", r.F1)
	fmt.Fprintf(tw, "sensitivity\t%.4f\t%d of %d %s found\n", r.Sensitivity, c.TP, c.TP+c.FN, pos)
	fmt.Fprintf(tw, "specificity\t%.4f\t%d of %d %s found\n", r.Specificity, c.TN, c.TN+c.FP, neg)
	fmt.Fprintf(tw, "precision\t%.4f\t%d of %d called %s are\n", r.Precision, c.TP, c.TP+c.FP, pos)
	fmt.Fprintf(tw, "\n\tpredicted %s\tpredicted %s\n", neg, pos)
	fmt.Fprintf(tw, "true %s\t%d\t%d\n", neg, c.TN, c.FP)
	fmt.Fprintf(tw, "true %s\t%d\t%d\n", pos, c.FN, c.TP)
	if err := tw.Flush(); err != nil {
		return err
	}
	return ev.summary.writeOperatingTable(w, pos)
}

// negative names the cases that are not of the positive class: the other
// class when there are two.
func (ev *evaluation) negative() string {
	if len(ev.classes) == 2 {
		return ev.classes[1-ev.pos]
	}
	return "not " + ev.classes[ev.pos]
}

// writeDir writes into dir the per-image predictions (predictions.tsv),
// the metrics (metrics.json, the object -json prints) and the plots:
// roc.png, pr.png, confusion.png and reliability.png; with -tta also the
// TTA means' predictions_tta.tsv.
func (ev *evaluation) writeDir(dir string) error {
	if err := os.WriteFile(filepath.Join(dir, "predictions.tsv"), []byte(ev.tsv()), 0o644); err != nil {
		return err
	}
	if ev.tta != nil {
		if err := os.WriteFile(filepath.Join(dir, "predictions_tta.tsv"), []byte(ev.tta.tsv()), 0o644); err != nil {
			return err
		}
	}
	js, _ := json.MarshalIndent(ev.evalJSON(), "", " ")
	if err := os.WriteFile(filepath.Join(dir, "metrics.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	pos, neg := ev.classes[ev.pos], ev.negative()
	if err := plots.Confusion(filepath.Join(dir, "confusion.png"), ev.report.Confusion, neg, pos); err != nil {
		return err
	}
	if err := ev.summary.writeReliability(dir); err != nil {
		return err
	}
	scores, _, positive := ev.outcomes()
	roc, err := metrics.ROC(scores, positive)
	if err != nil {
		return fmt.Errorf("roc.png: %w", err)
	}
	if err := plots.ROC(filepath.Join(dir, "roc.png"), roc, metrics.AreaUnderROC(roc), pos); err != nil {
		return err
	}
	pr, err := metrics.PR(scores, positive)
	if err != nil {
		return fmt.Errorf("pr.png: %w", err)
	}
	c := ev.report.Confusion
	prevalence := float64(c.TP+c.FN) / float64(ev.report.N)
	return plots.PR(filepath.Join(dir, "pr.png"), pr, metrics.AveragePrecision(pr), prevalence, pos)
}
