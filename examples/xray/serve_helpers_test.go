package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/llm"
)

// serveWeights is the small ResNet34 fixture with the real key layout.
const serveWeights = "../../resnet/testdata/resnet34_narrow.pth"

// serveAnalyzer opens the narrow fixture model.
func serveAnalyzer(t testing.TB, opts *xray.Options) *xray.Analyzer {
	t.Helper()
	a, err := xray.Open(serveWeights, opts)
	if err != nil {
		t.Fatalf("open fixture model: %v", err)
	}
	t.Cleanup(a.Close)
	return a
}

// serveXray draws a gray chest-like picture: a dark field with two
// bright ovals and an 'R'-like bright square in a corner.
func serveXray(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := 40.0
			for _, cx := range []float64{0.32, 0.68} {
				dx, dy := (float64(x)/float64(w)-cx)/0.15, (float64(y)/float64(h)-0.5)/0.3
				if dx*dx+dy*dy < 1 {
					v = 150 + 60*math.Sin(float64(x+y)/7)
				}
			}
			if x < w/10 && y < h/10 {
				v = 250
			}
			img.SetGray(x, y, color.Gray{Y: uint8(v)})
		}
	}
	return img
}

// servePNG encodes a synthetic X-ray as PNG.
func servePNG(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, serveXray(w, h)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// serveJPEG encodes a synthetic X-ray as JPEG.
func serveJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, serveXray(w, h), &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// serveForm builds a multipart body; a nil image leaves the field out.
func serveForm(t testing.TB, filename string, img []byte, fields map[string]string) (*bytes.Buffer, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if img != nil {
		fw, err := mw.CreateFormFile("image", filename)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(img); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &b, mw.FormDataContentType()
}

// servePost sends a multipart upload to h and returns the recorded answer.
func servePost(t testing.TB, h http.Handler, img []byte, fields map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	body, ct := serveForm(t, "chest.png", img, fields)
	req := httptest.NewRequest(http.MethodPost, "/api/analyze", body)
	req.Header.Set("Content-Type", ct)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// serveAnswer is what the tests read of a POST /api/analyze answer.
type serveAnswer struct {
	Prediction struct {
		Label   string             `json:"label"`
		Index   int                `json:"index"`
		Classes []string           `json:"classes"`
		Probs   map[string]float64 `json:"probs"`
		Logits  []float32          `json:"logits"`
	} `json:"prediction"`
	CAM *struct {
		Method       string          `json:"method"`
		Layer        string          `json:"layer"`
		Target       string          `json:"target"`
		Raw          [][]float32     `json:"raw"`
		Notes        map[string]any  `json:"notes"`
		Faithfulness *map[string]any `json:"faithfulness"`
	} `json:"cam"`
	CAMText struct {
		Summary  string `json:"summary"`
		PeakZone string `json:"peak_zone"`
	} `json:"cam_text"`
	OverlayPNG string      `json:"overlay_png"`
	InputPNG   string      `json:"input_png"`
	Report     *llm.Report `json:"report"`
	Lang       string      `json:"lang"`
	Disclaimer string      `json:"disclaimer"`
	Error      string      `json:"error"`
}

// serveDecode parses a JSON answer.
func serveDecode(t testing.TB, body []byte) serveAnswer {
	t.Helper()
	var a serveAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("answer is not JSON: %v\n%.300s", err, body)
	}
	return a
}

// servePostHTTP uploads img to a running server.
func servePostHTTP(t testing.TB, base string, img []byte, fields map[string]string) (serveAnswer, error) {
	body, ct := serveForm(t, "chest.png", img, fields)
	resp, err := http.Post(base+"/api/analyze", ct, body)
	if err != nil {
		return serveAnswer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return serveAnswer{}, err
	}
	var a serveAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		return a, fmt.Errorf("status %d: %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK {
		return a, fmt.Errorf("status %d: %s", resp.StatusCode, a.Error)
	}
	return a, nil
}

// serveGet fetches path from h and checks the status and content type.
func serveGet(t *testing.T, h http.Handler, path string, status int, ct string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if rec.Code != status {
		t.Fatalf("GET %s: status %d, want %d", path, rec.Code, status)
	}
	if got := rec.Header().Get("Content-Type"); !strings.Contains(got, ct) {
		t.Errorf("GET %s: Content-Type %q, want %q", path, got, ct)
	}
	return rec.Body.String()
}

// serveContains reports whether xs holds x.
func serveContains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
