package xray

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/xrayllm/xray/resnet"
)

// testPNGs writes n different greyscale PNGs into dir, and a file that is
// not an image at position bad; it returns the paths.
func testPNGs(t *testing.T, dir string, n, bad int) []string {
	t.Helper()
	paths := make([]string, n)
	for i := range paths {
		paths[i] = filepath.Join(dir, fmt.Sprintf("%02d.png", i))
		var data []byte
		if i == bad {
			data = []byte("not an image")
		} else {
			img := image.NewGray(image.Rect(0, 0, 60+i, 50))
			for j := range img.Pix {
				img.Pix[j] = uint8((j*(i+3) + i*17) % 256)
			}
			var b bytes.Buffer
			if err := png.Encode(&b, img); err != nil {
				t.Fatal(err)
			}
			data = b.Bytes()
		}
		if err := os.WriteFile(paths[i], data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

// TestPredictAllMatchesPredict checks that the pipelined, batched
// classification gives each input the prediction Analyze gives it alone,
// in input order, and that a bad file fails alone.
func TestPredictAllMatchesPredict(t *testing.T) {
	a, err := Open("resnet/testdata/resnet18_narrow.pth", nil, resnet.WithMaxBatch(3))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	const n, bad = 11, 4
	paths := testPNGs(t, t.TempDir(), n, bad)
	ctx := context.Background()
	seen := 0
	err = a.PredictAll(ctx, n, Files(paths), func(i int, p resnet.Prediction, err error) error {
		if i != seen {
			t.Errorf("input %d reported after %d others", i, seen)
		}
		seen++
		if i == bad {
			if err == nil {
				t.Errorf("input %d is not an image, got %v", i, p)
			}
			return nil
		}
		if err != nil {
			t.Errorf("input %d: %v", i, err)
			return nil
		}
		data, rerr := os.ReadFile(paths[i])
		if rerr != nil {
			return rerr
		}
		alone, aerr := a.AnalyzeBytes(ctx, data, Request{})
		if aerr != nil {
			return aerr
		}
		if p.Label != alone.Prediction.Label || len(p.Logits) != len(alone.Prediction.Logits) {
			t.Errorf("input %d: %v in a batch, %v alone", i, p, alone.Prediction)
			return nil
		}
		for k, v := range p.Logits {
			if d := math.Abs(float64(v - alone.Prediction.Logits[k])); d > 1e-6 {
				t.Errorf("input %d: logit %d is %v in a batch, %v alone", i, k, v, alone.Prediction.Logits[k])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != n {
		t.Errorf("%d of %d inputs reported", seen, n)
	}
}

// TestPredictAllStops checks that an error from the callback, a failing
// opener and a cancelled context end the run with the right error.
func TestPredictAllStops(t *testing.T) {
	a, err := Open("resnet/testdata/resnet18_narrow.pth", nil, resnet.WithMaxBatch(2))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	paths := testPNGs(t, t.TempDir(), 6, -1)
	stop := errors.New("stop here")
	calls := 0
	err = a.PredictAll(context.Background(), 6, Files(paths), func(i int, _ resnet.Prediction, _ error) error {
		calls++
		if i == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 3 {
		t.Errorf("callback error: got %v after %d calls, want %v after 3", err, calls, stop)
	}

	broken := func(i int) (io.ReadCloser, error) { return nil, fmt.Errorf("input %d is gone", i) }
	var errs int
	if err := a.PredictAll(context.Background(), 3, broken, func(_ int, _ resnet.Prediction, err error) error {
		if err != nil {
			errs++
		}
		return nil
	}); err != nil || errs != 3 {
		t.Errorf("failing opener: run error %v, %d input errors, want nil and 3", err, errs)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.PredictAll(ctx, 6, Files(paths), func(int, resnet.Prediction, error) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: got %v", err)
	}
	if err := a.PredictAll(context.Background(), 2, Files(paths[:1]), func(i int, _ resnet.Prediction, err error) error {
		if i == 1 && !errors.Is(err, errNoInput) {
			t.Errorf("Files beyond its paths: %v", err)
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
}
