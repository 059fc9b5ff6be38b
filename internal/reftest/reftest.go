// Package reftest reads the PyTorch reference directory (see
// ../shared/reference/README.md) for tests in several packages. Tests
// find it through the XRAY_REFERENCE_DIR environment variable, which
// .ci/run sets; without it they skip and say why.
package reftest

import (
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/xrayllm/xray/internal/fixtures"
)

// EnvVar names the environment variable that points at the reference.
const EnvVar = "XRAY_REFERENCE_DIR"

// Dir returns the reference directory, or skips the test when it is not
// configured. When the variable is set but the directory is unusable the
// test fails: CI must not pass by skipping. A relative path is taken from
// the module's root (where go.mod is), since each package's tests run in
// their own directory.
func Dir(t testing.TB) string {
	t.Helper()
	dir := DirIfSet()
	if dir == "" {
		t.Skipf("%s is not set: skipping the comparison with PyTorch's reference outputs (.ci/run sets it to ../shared/reference)", EnvVar)
	}
	if _, err := os.Stat(filepath.Join(dir, "expected.json")); err != nil {
		t.Fatalf("%s=%s: %v", EnvVar, dir, err)
	}
	return dir
}

// CAM is one method@layer entry of an image.
type CAM struct {
	Raw  [][]float64 `json:"raw"`
	File string      `json:"file"`
}

// Image is one entry of expected.json's "images".
type Image struct {
	File       string                    `json:"file"`
	SourceMode string                    `json:"source_mode"`
	SourceSize []int                     `json:"source_size"`
	Logits     []float64                 `json:"logits"`
	Probs      []float64                 `json:"probs"`
	Pred       string                    `json:"pred"`
	Stages     map[string]fixtures.Stats `json:"stages"`
	CAMs       map[string]CAM            `json:"cams"`
}

// Expected is expected.json.
type Expected struct {
	Checkpoint string   `json:"checkpoint"`
	Classes    []string `json:"classes"`
	Images     []Image  `json:"images"`
}

// Load reads expected.json from dir.
func Load(t testing.TB, dir string) Expected {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e Expected
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatalf("expected.json: %v", err)
	}
	if len(e.Images) == 0 {
		t.Fatal("expected.json lists no images")
	}
	return e
}

// Resized decodes resized/<file>.png, the exact network input.
func Resized(t testing.TB, dir, file string) image.Image {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "resized", file+".png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("resized/%s.png: %v", file, err)
	}
	return img
}

// Checkpoint returns the reference checkpoint's path.
func Checkpoint(dir string) string { return filepath.Join(dir, "resnet34_cxr.pth") }

// ReadF32 reads a little-endian float32 file of n values.
func ReadF32(path string, n int) ([]float32, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(data) != 4*n {
		return nil, fmt.Errorf("%s: %d bytes, want %d", path, len(data), 4*n)
	}
	out := make([]float32, n)
	for i := range out {
		b := data[4*i:]
		out[i] = math.Float32frombits(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
	}
	return out, nil
}

// DirIfSet returns the reference directory named by XRAY_REFERENCE_DIR,
// resolved as Dir does, or "" when it is unset; for benchmarks, which use
// it when it is there.
func DirIfSet() string {
	dir := os.Getenv(EnvVar)
	if dir == "" || filepath.IsAbs(dir) {
		return dir
	}
	return filepath.Join(moduleRoot(), dir)
}

// moduleRoot is the nearest directory at or above the working directory
// that holds go.mod ("." when there is none).
func moduleRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return "."
		}
	}
}
