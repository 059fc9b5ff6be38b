package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEval(t *testing.T) {
	root := t.TempDir()
	for i, class := range []string{"NORMAL", "PNEUMONIA"} {
		os.MkdirAll(filepath.Join(root, class), 0o755)
		for k := 0; k < 2; k++ {
			writeTestImage(t, filepath.Join(root, class), string(rune('a'+k))+".png", 200+40*i+k, 200)
		}
	}
	tsv := filepath.Join(root, "out.tsv")
	e, out, errOut := testEnv(nil)
	if code := run(context.Background(), []string{"eval", "-weights", fixtureWeights, "-tsv", tsv, root}, e); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r struct {
		N         int `json:"n"`
		Confusion struct{ TP, TN, FP, FN int }
	}
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
}
