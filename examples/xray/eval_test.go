package main

import (
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// evalFolder writes a labelled folder of two NORMAL and two PNEUMONIA
// images.
func evalFolder(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for i, class := range []string{"NORMAL", "PNEUMONIA"} {
		os.MkdirAll(filepath.Join(root, class), 0o755)
		for k := 0; k < 2; k++ {
			writeTestImage(t, filepath.Join(root, class), string(rune('a'+k))+".png", 200+40*i+k, 200)
		}
	}
	return root
}

// evalReport is the part of eval's JSON the tests check.
type evalReport struct {
	N         int `json:"n"`
	Confusion struct{ TP, TN, FP, FN int }
}

func TestEval(t *testing.T) {
	root := evalFolder(t)
	tsv := filepath.Join(root, "out.tsv")
	e, out, errOut := testEnv(nil)
	if code := run(context.Background(), []string{"eval", "-weights", fixtureWeights, "-json", "-tsv", tsv, root}, e); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r evalReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	c := r.Confusion
	if r.N != 4 || c.TP+c.TN+c.FP+c.FN != 4 || c.TP+c.FN != 2 {
		t.Errorf("report %+v", r)
	}
	data, _ := os.ReadFile(tsv)
	if lines := strings.Count(string(data), "\n"); lines != 5 {
		t.Errorf("TSV has %d lines, want a header and 4 rows", lines)
	}
	if !strings.Contains(errOut.String(), "4/4 images") || strings.Contains(errOut.String(), "\r") {
		t.Errorf("stderr %q: want a plain progress line, not a terminal's", errOut)
	}
}

func TestEvalTable(t *testing.T) {
	root := evalFolder(t)
	e, out, errOut := testEnv(nil)
	if code := run(context.Background(), []string{"eval", "-weights", fixtureWeights, root}, e); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	table := out.String()
	for _, want := range []string{"4 images in " + root + ": 2 PNEUMONIA, 2 NORMAL", "accuracy", "ROC AUC", "average precision",
		"F1", "sensitivity", "of 2 PNEUMONIA found", "of 2 NORMAL found", "specificity", "precision",
		"predicted NORMAL", "predicted PNEUMONIA", "true NORMAL", "true PNEUMONIA"} {
		if !strings.Contains(table, want) {
			t.Errorf("table without %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, "{") {
		t.Errorf("table looks like JSON:\n%s", table)
	}
}

func TestEvalOutDir(t *testing.T) {
	root := evalFolder(t)
	dir := filepath.Join(t.TempDir(), "results")
	e, out, errOut := testEnv(nil)
	if code := run(context.Background(), []string{"eval", "-weights", fixtureWeights, "-json", "-out", dir, root}, e); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	saved, err := os.ReadFile(filepath.Join(dir, "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(saved)) != strings.TrimSpace(out.String()) {
		t.Errorf("metrics.json\n%s\nis not what -json printed\n%s", saved, out)
	}
	tsv, err := os.ReadFile(filepath.Join(dir, "predictions.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(string(tsv)), "\n")
	if len(rows) != 5 || rows[0] != "file\tlabel\tp_normal\tp_pneumonia\tpred" || !strings.HasPrefix(rows[1], "NORMAL/a.png\tNORMAL\t") {
		t.Errorf("predictions.tsv:\n%s", tsv)
	}
	for _, name := range []string{"roc.png", "pr.png", "confusion.png"} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width < 400 || cfg.Height < 400 {
			t.Errorf("%s: %dx%d, %v", name, cfg.Width, cfg.Height, err)
		}
	}
}

func TestEvalBadImageFails(t *testing.T) {
	root := evalFolder(t)
	os.WriteFile(filepath.Join(root, "NORMAL", "broken.png"), []byte("not an image"), 0o644)
	e, out, errOut := testEnv(nil)
	code := run(context.Background(), []string{"eval", "-weights", fixtureWeights, root}, e)
	if code != 1 || !strings.Contains(errOut.String(), "NORMAL/broken.png") {
		t.Errorf("exit %d, stderr %q: want 1 and the broken file named", code, errOut)
	}
	if out.Len() != 0 {
		t.Errorf("metrics printed despite the failure: %q", out)
	}
}
