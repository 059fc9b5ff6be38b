package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fixtureWeights = "../../resnet/testdata/resnet34_narrow.pth"

// testEnv returns an env with captured output and a private environment.
func testEnv(vars map[string]string) (env, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	if vars == nil {
		vars = map[string]string{}
	}
	return env{
		stdout: &out, stderr: &errOut,
		getenv:    func(k string) string { return vars[k] },
		lookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		setenv:    func(k, v string) error { vars[k] = v; return nil },
	}, &out, &errOut
}

// writeTestImage writes a synthetic grey "radiograph" of the given size.
func writeTestImage(t *testing.T, dir, name string, w, h int) string {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetGray(x, y, color.Gray{Y: uint8((x*x + 3*y) % 251)})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// jsonLines decodes one JSON object per line.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		rows = append(rows, m)
	}
	return rows
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"classify", "-nope"}, 2, "flag provided but not defined"},
		{[]string{"classify"}, 2, "usage: xray classify"},
		{[]string{"classify", "x.png"}, 1, "-weights is required"},
		{[]string{"classify", "-weights", fixtureWeights, "-cam", "o", "-cam-method", "magic", "x.png"}, 1, "gradcam"},
		{[]string{"analyze", "-weights", fixtureWeights, "-lang", "fr", "x.png"}, 1, "fr"},
		{[]string{"analyze", "-weights", fixtureWeights, "-llm", "gemini", "x.png"}, 1, "GEMINI_API_KEY"},
		{[]string{"classify", "-h"}, 0, "-cam-layer"},
	}
	for _, tt := range tests {
		e, _, errOut := testEnv(nil)
		if code := run(context.Background(), tt.args, e); code != tt.code || !strings.Contains(errOut.String(), tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, errOut, tt.code, tt.want)
		}
	}
}
