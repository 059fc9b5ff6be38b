package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"html/template"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/llm"
	"github.com/xrayllm/xray/preprocess"
	"github.com/xrayllm/xray/prompt"
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

// serveHugePNG is a valid PNG signature and IHDR declaring a
// 100000x100000 gray image, with nothing after it.
func serveHugePNG() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 100000)
	binary.BigEndian.PutUint32(ihdr[4:], 100000)
	ihdr[8] = 8 // bit depth; colour type 0 (gray), default compression, filter, interlace
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(ihdr)))
	b.Write(n[:])
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.BigEndian.PutUint32(n[:], crc32.ChecksumIEEE(chunk))
	b.Write(n[:])
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

// serveDataPNG decodes a data:image/png;base64 URL.
func serveDataPNG(t testing.TB, url string) image.Image {
	t.Helper()
	const prefix = "data:image/png;base64,"
	if !strings.HasPrefix(url, prefix) {
		t.Fatalf("not a PNG data URL: %.40q", url)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(url, prefix))
	if err != nil {
		t.Fatalf("base64: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("png: %v", err)
	}
	return img
}

func TestAnalyzeSuccess(t *testing.T) {
	h := newServer(serveAnalyzer(t, nil), serverConfig{})
	png := servePNG(t, 300, 260)
	tests := []struct {
		name                  string
		img                   []byte
		fields                map[string]string
		method, layer, target string
		rawSize               int
		lang                  prompt.Lang
		report, faithfulness  bool
	}{
		{name: "defaults", img: png, method: "gradcam", layer: "layer4", rawSize: 7, lang: prompt.Korean, report: true},
		{name: "english hirescam viridis", img: png, fields: map[string]string{"lang": "en", "method": "HiResCAM", "colormap": "viridis"},
			method: "hirescam", layer: "layer4", rawSize: 7, lang: prompt.English, report: true},
		{name: "layer3 target normal faithfulness", img: png, fields: map[string]string{"layer": "layer3", "target": "NORMAL", "faithfulness": "true", "lang": "en"},
			method: "gradcam", layer: "layer3", target: "NORMAL", rawSize: 14, lang: prompt.English, report: true, faithfulness: true},
		{name: "no report eigencam", img: png, fields: map[string]string{"report": "false", "method": "eigencam", "colormap": "inferno"},
			method: "eigencam", layer: "layer4", rawSize: 7, lang: prompt.Korean},
		{name: "jpeg", img: serveJPEG(t, 180, 200), fields: map[string]string{"report": "true", "lang": "ko"},
			method: "gradcam", layer: "layer4", rawSize: 7, lang: prompt.Korean, report: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := servePost(t, h, tc.img, tc.fields)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
			a := serveDecode(t, rec.Body.Bytes())
			serveCheckPrediction(t, a)
			serveCheckCAM(t, a, tc.method, tc.layer, tc.target, tc.rawSize, tc.faithfulness)
			for name, url := range map[string]string{"overlay": a.OverlayPNG, "input": a.InputPNG} {
				if b := serveDataPNG(t, url).Bounds(); b.Dx() != 224 || b.Dy() != 224 {
					t.Errorf("%s is %dx%d, want 224x224", name, b.Dx(), b.Dy())
				}
			}
			if a.Lang != string(tc.lang) || a.Disclaimer != prompt.Disclaimer(tc.lang) {
				t.Errorf("lang %q disclaimer %q", a.Lang, a.Disclaimer)
			}
			serveCheckReport(t, a.Report, tc.report, tc.lang)
		})
	}
}

// serveCheckPrediction checks the prediction object's shape.
func serveCheckPrediction(t *testing.T, a serveAnswer) {
	t.Helper()
	p := a.Prediction
	if len(p.Classes) != 2 || p.Classes[0] != "NORMAL" || p.Classes[1] != "PNEUMONIA" {
		t.Fatalf("classes %v", p.Classes)
	}
	if p.Index < 0 || p.Index > 1 || p.Label != p.Classes[p.Index] {
		t.Errorf("label %q index %d", p.Label, p.Index)
	}
	if len(p.Logits) != 2 || len(p.Probs) != 2 {
		t.Fatalf("logits %v probs %v", p.Logits, p.Probs)
	}
	if s := p.Probs["NORMAL"] + p.Probs["PNEUMONIA"]; math.Abs(s-1) > 1e-6 {
		t.Errorf("probabilities sum to %v", s)
	}
	if p.Probs[p.Label] < 0.5 {
		t.Errorf("predicted %s has probability %v < 0.5", p.Label, p.Probs[p.Label])
	}
}

// serveCheckCAM checks the cam object.
func serveCheckCAM(t *testing.T, a serveAnswer, method, layer, target string, size int, faithfulness bool) {
	t.Helper()
	c := a.CAM
	if c == nil {
		t.Fatal("no cam")
	}
	if target == "" {
		target = a.Prediction.Label
	}
	if c.Method != method || c.Layer != layer || c.Target != target {
		t.Errorf("cam %s/%s/%s, want %s/%s/%s", c.Method, c.Layer, c.Target, method, layer, target)
	}
	if len(c.Raw) != size || len(c.Raw[0]) != size {
		t.Errorf("raw is %dx?, want %dx%d", len(c.Raw), size, size)
	}
	if _, ok := c.Notes["border_attention"]; !ok {
		t.Errorf("notes lack border_attention: %v", c.Notes)
	}
	if (c.Faithfulness != nil) != faithfulness {
		t.Errorf("faithfulness %v, want present=%v", c.Faithfulness, faithfulness)
	}
	if a.CAMText.Summary == "" {
		t.Error("no CAM summary")
	}
}

// serveCheckReport checks the report object.
func serveCheckReport(t *testing.T, r *llm.Report, want bool, lang prompt.Lang) {
	t.Helper()
	if !want {
		if r != nil {
			t.Errorf("report %+v, want none", r)
		}
		return
	}
	if r == nil {
		t.Fatal("no report")
	}
	if r.Backend != "offline" || !strings.Contains(r.Markdown, prompt.Disclaimer(lang)) {
		t.Errorf("report by %q lacks the %s disclaimer:\n%s", r.Backend, lang, r.Markdown)
	}
}

func TestAnalyzeErrors(t *testing.T) {
	a := serveAnalyzer(t, nil)
	h := newServer(a, serverConfig{MaxUpload: 64 << 10})
	good := servePNG(t, 64, 64)
	tests := []struct {
		name   string
		req    func(t *testing.T) *http.Request
		status int
		want   string // substring of the error
	}{
		{"get", servePlainRequest(http.MethodGet, "", nil), http.StatusMethodNotAllowed, "use POST"},
		{"put", servePlainRequest(http.MethodPut, "", nil), http.StatusMethodNotAllowed, "use POST"},
		{"too large", serveUpload(bytes.Repeat([]byte{0x89}, 100<<10), nil), http.StatusRequestEntityTooLarge, "larger than the limit of 65536 bytes"},
		{"not an image", serveUpload([]byte("hello, I am text"), nil), http.StatusBadRequest, "unknown image format"},
		{"empty image", serveUpload([]byte{}, nil), http.StatusBadRequest, "empty input"},
		{"truncated png", serveUpload(good[:len(good)/2], nil), http.StatusBadRequest, "decoding png image"},
		{"absurd dimensions", serveUpload(serveHugePNG(), nil), http.StatusBadRequest, "100000x100000, more than the limit"},
		{"no image field", serveUpload(nil, map[string]string{"method": "gradcam"}), http.StatusBadRequest, `field "image"`},
		{"not multipart", servePlainRequest(http.MethodPost, "application/json", []byte(`{"image":"x"}`)), http.StatusBadRequest, "multipart/form-data"},
		{"unknown method", serveUpload(good, map[string]string{"method": "magiccam"}), http.StatusBadRequest, "valid: gradcam, hirescam, gradcamplusplus"},
		{"unknown layer", serveUpload(good, map[string]string{"layer": "fc"}), http.StatusBadRequest, "layer4"},
		{"unknown colormap", serveUpload(good, map[string]string{"colormap": "rainbow"}), http.StatusBadRequest, "valid: jet, viridis, inferno"},
		{"unknown target", serveUpload(good, map[string]string{"target": "COVID"}), http.StatusBadRequest, "NORMAL, PNEUMONIA"},
		{"unknown lang", serveUpload(good, map[string]string{"lang": "fr"}), http.StatusBadRequest, "want ko or en"},
		{"bad report flag", serveUpload(good, map[string]string{"report": "maybe"}), http.StatusBadRequest, "not true or false"},
		{"long field", serveUpload(good, map[string]string{"method": strings.Repeat("x", 2000)}), http.StatusBadRequest, "longer than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tc.req(t))
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			a := serveDecode(t, rec.Body.Bytes())
			if !strings.Contains(a.Error, tc.want) {
				t.Errorf("error %q, want it to contain %q", a.Error, tc.want)
			}
			if tc.status == http.StatusMethodNotAllowed && rec.Header().Get("Allow") != http.MethodPost {
				t.Errorf("Allow %q", rec.Header().Get("Allow"))
			}
		})
	}
}

// servePlainRequest returns a request maker for a non-multipart request.
func servePlainRequest(method, ct string, body []byte) func(t *testing.T) *http.Request {
	return func(t *testing.T) *http.Request {
		r := httptest.NewRequest(method, "/api/analyze", bytes.NewReader(body))
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		return r
	}
}

// serveUpload returns a request maker for a multipart upload.
func serveUpload(img []byte, fields map[string]string) func(t *testing.T) *http.Request {
	return func(t *testing.T) *http.Request {
		body, ct := serveForm(t, "chest.png", img, fields)
		r := httptest.NewRequest(http.MethodPost, "/api/analyze", body)
		r.Header.Set("Content-Type", ct)
		return r
	}
}

// serveBlockingLLM is an LLM that waits for release (or its context) before
// writing the offline report, and says when a call has started.
type serveBlockingLLM struct {
	started chan struct{}
	release chan struct{}
}

// Name implements llm.Client.
func (b *serveBlockingLLM) Name() string { return "blocking" }

// Generate implements llm.Client.
func (b *serveBlockingLLM) Generate(ctx context.Context, p prompt.Prompt) (*llm.Response, error) {
	b.started <- struct{}{}
	select {
	case <-b.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return llm.Offline{}.Generate(ctx, p)
}

// Stream implements llm.Client.
func (b *serveBlockingLLM) Stream(ctx context.Context, p prompt.Prompt, fn func(string) error) (*llm.Response, error) {
	r, err := b.Generate(ctx, p)
	if err == nil && fn != nil {
		err = fn(r.Text)
	}
	return r, err
}

func TestAnalyzeBusy(t *testing.T) {
	b := &serveBlockingLLM{started: make(chan struct{}, 4), release: make(chan struct{})}
	h := newServer(serveAnalyzer(t, &xray.Options{LLM: b}), serverConfig{MaxConcurrent: 1, QueueWait: 50 * time.Millisecond})
	img := servePNG(t, 64, 64)
	first := make(chan *httptest.ResponseRecorder)
	go func() { first <- servePost(t, h, img, nil) }()
	<-b.started // the first analysis holds the only slot
	rec := servePost(t, h, img, nil)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("second request: status %d Retry-After %q, want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	close(b.release)
	if rec := <-first; rec.Code != http.StatusOK {
		t.Errorf("first request: status %d: %s", rec.Code, rec.Body)
	}
	if rec := servePost(t, h, img, nil); rec.Code != http.StatusOK {
		t.Errorf("after release: status %d: %s", rec.Code, rec.Body)
	}
}

func TestAnalyzeClientGone(t *testing.T) {
	b := &serveBlockingLLM{started: make(chan struct{}, 4), release: make(chan struct{})}
	h := newServer(serveAnalyzer(t, &xray.Options{LLM: b}), serverConfig{MaxConcurrent: 1, QueueWait: 100 * time.Millisecond})
	body, ct := serveForm(t, "chest.png", servePNG(t, 64, 64), nil)
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest(http.MethodPost, "/api/analyze", body).WithContext(ctx)
	req.Header.Set("Content-Type", ct)
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { h.ServeHTTP(rec, req); close(done) }()
	<-b.started
	cancel() // the client disconnects while the report is being written
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler kept working after the client went away")
	}
	if rec.Code != 499 {
		t.Errorf("status %d for a cancelled request, want 499: %s", rec.Code, rec.Body)
	}
	// The slot was given back: the next request does not get 503.
	close(b.release)
	if rec := servePost(t, h, servePNG(t, 32, 32), nil); rec.Code != http.StatusOK {
		t.Errorf("status %d after cancel: %s", rec.Code, rec.Body)
	}
}

func TestAnalyzeConcurrent(t *testing.T) {
	srv := httptest.NewServer(newServer(serveAnalyzer(t, nil), serverConfig{QueueWait: time.Minute}))
	defer srv.Close()
	img := servePNG(t, 240, 240)
	const n = 8
	answers := make([]serveAnswer, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i], errs[i] = servePostHTTP(t, srv.URL, img, map[string]string{"lang": "en"})
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		p, q := answers[i].Prediction, answers[0].Prediction
		if p.Label != q.Label || fmt.Sprint(p.Logits) != fmt.Sprint(q.Logits) {
			t.Errorf("request %d: %s %v, request 0: %s %v", i, p.Label, p.Logits, q.Label, q.Logits)
		}
		if answers[i].OverlayPNG != answers[0].OverlayPNG {
			t.Errorf("request %d: overlay differs", i)
		}
	}
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

// serveExternalRef finds src/href/url()/fetch references to other hosts.
var serveExternalRef = regexp.MustCompile(`(?i)((src|href|action)\s*=\s*["']?\s*(https?:)?//|url\(\s*["']?\s*(https?:)?//|@import|fetch\(\s*["'](https?:)?//|https?://)`)

func TestPage(t *testing.T) {
	h := newServer(serveAnalyzer(t, nil), serverConfig{})
	page := serveGet(t, h, "/", http.StatusOK, "text/html")
	for _, lang := range []prompt.Lang{prompt.Korean, prompt.English} {
		if d := template.HTMLEscapeString(prompt.Disclaimer(lang)); !strings.Contains(page, d) {
			t.Errorf("page lacks the %s disclaimer %q", lang, d)
		}
	}
	assets := map[string]string{"/assets/app.js": "javascript", "/assets/style.css": "text/css"}
	for _, want := range []string{`src="/assets/app.js"`, `href="/assets/style.css"`, `id="file"`, `id="analyze"`, `id="notice"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	texts := map[string]string{"/": page}
	for path, ct := range assets {
		texts[path] = serveGet(t, h, path, http.StatusOK, ct)
	}
	for path, text := range texts {
		if m := serveExternalRef.FindString(text); m != "" {
			t.Errorf("%s refers to another host: %q", path, m)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	serveGet(t, h, "/nope", http.StatusNotFound, "")
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

func TestHealthAndInfo(t *testing.T) {
	h := newServer(serveAnalyzer(t, nil), serverConfig{Lang: prompt.English, Colormap: "viridis"})
	if body := serveGet(t, h, "/healthz", http.StatusOK, "text/plain"); body != "ok" {
		t.Errorf("healthz %q", body)
	}
	var info infoJSON
	if err := json.Unmarshal([]byte(serveGet(t, h, "/api/info", http.StatusOK, "application/json")), &info); err != nil {
		t.Fatal(err)
	}
	if strings.Join(info.Classes, ",") != "NORMAL,PNEUMONIA" || info.Architecture != "resnet34" || info.LLMBackend != "offline" {
		t.Errorf("info %+v", info)
	}
	if strings.Join(info.CAMMethods, ",") != "gradcam,hirescam,gradcamplusplus,xgradcam,layercam,eigencam,scorecam" {
		t.Errorf("methods %v", info.CAMMethods)
	}
	if !serveContains(info.LayerNames, "layer4") || !serveContains(info.LayerNames, "fc") || serveContains(info.CAMLayers, "fc") || !serveContains(info.CAMLayers, "layer3.5") {
		t.Errorf("layers %v / %v", info.LayerNames, info.CAMLayers)
	}
	if info.Defaults["lang"] != "en" || info.Defaults["colormap"] != "viridis" || info.Defaults["layer"] != "layer4" || info.Defaults["method"] != "gradcam" {
		t.Errorf("defaults %v", info.Defaults)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/info", nil))
	if rec.Code != http.StatusMethodNotAllowed || !strings.Contains(rec.Body.String(), `"error"`) {
		t.Errorf("POST /api/info: %d %s", rec.Code, rec.Body)
	}
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

func TestLogHasNoPatientData(t *testing.T) {
	var logs bytes.Buffer
	h := newServer(serveAnalyzer(t, nil), serverConfig{Log: &logs})
	const name = "KIM-Minji_1984-03-02_MRN12345.png"
	for _, img := range [][]byte{servePNG(t, 64, 64), []byte("not an image")} {
		body, ct := serveForm(t, name, img, map[string]string{"lang": "en"})
		req := httptest.NewRequest(http.MethodPost, "/api/analyze?patient=KIM", body)
		req.Header.Set("Content-Type", ct)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if strings.Contains(rec.Body.String(), "MRN12345") {
			t.Errorf("the answer serveContains the file name: %s", rec.Body)
		}
	}
	out := logs.String()
	for _, bad := range []string{"MRN12345", "KIM", "patient", "\x89PNG", "not an image"} {
		if strings.Contains(out, bad) {
			t.Errorf("log serveContains %q:\n%s", bad, out)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	line := regexp.MustCompile(`^POST /api/analyze (200|400) [0-9.]+(µs|ms|s)$`)
	if len(lines) != 2 || !line.MatchString(lines[0]) || !line.MatchString(lines[1]) {
		t.Errorf("log lines %q, want two of method, path, status, duration", lines)
	}
}

func TestRecoverPanics(t *testing.T) {
	var logs bytes.Buffer
	h := recoverPanics(&logs, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/boom" {
			var m map[string]int
			m["x"]++ // panics: assignment to entry in nil map
		}
		_, _ = io.WriteString(w, "fine")
	}))
	srv := httptest.NewServer(logRequests(&logs, h))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/boom")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), `"error":"internal error"`) {
		t.Errorf("panic answered %d %s", resp.StatusCode, body)
	}
	resp, err = http.Get(srv.URL + "/ok")
	if err != nil {
		t.Fatalf("server died after a panic: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("after a panic: status %d", resp.StatusCode)
	}
	if !strings.Contains(logs.String(), "panic in GET /boom") || !strings.Contains(logs.String(), "GET /boom 500") {
		t.Errorf("log:\n%s", logs.String())
	}
}

// serveSyncBuffer is a bytes.Buffer safe for concurrent use.
type serveSyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write implements io.Writer.
func (s *serveSyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written.
func (s *serveSyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveEnv is an env with an empty environment and the given stderr.
func serveEnv(stderr io.Writer) env {
	vars := map[string]string{}
	var mu sync.Mutex
	return env{
		stdout: io.Discard, stderr: stderr,
		getenv:    func(k string) string { mu.Lock(); defer mu.Unlock(); return vars[k] },
		lookupEnv: func(k string) (string, bool) { mu.Lock(); defer mu.Unlock(); v, ok := vars[k]; return v, ok },
		setenv:    func(k, v string) error { mu.Lock(); defer mu.Unlock(); vars[k] = v; return nil },
	}
}

func TestRunServe(t *testing.T) {
	var stderr serveSyncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	args := []string{"-weights", serveWeights, "-addr", "127.0.0.1:0", "-llm", "offline", "-env-file", t.TempDir() + "/none.env", "-lang", "en"}
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, args, serveEnv(&stderr)) }()
	addr := serveWaitListening(t, &stderr, done)
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz: %d", resp.StatusCode)
	}
	if _, err := servePostHTTP(t, "http://"+addr, servePNG(t, 64, 64), nil); err != nil {
		t.Errorf("analyze: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("runServe: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("runServe did not return after cancel")
	}
	if !strings.Contains(stderr.String(), "GET /healthz 200") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

// serveWaitListening waits for runServe's "listening on" line and returns the
// address.
func serveWaitListening(t *testing.T, stderr *serveSyncBuffer, done <-chan error) string {
	t.Helper()
	re := regexp.MustCompile(`listening on http://(\S+)`)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("runServe returned early: %v\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("runServe did not start:\n%s", stderr.String())
	return ""
}

func TestRunServeFlags(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no weights", []string{"-llm", "offline"}, "-weights is required"},
		{"bad lang", []string{"-weights", serveWeights, "-lang", "fr"}, "want ko or en"},
		{"bad colormap", []string{"-weights", serveWeights, "-colormap", "rainbow"}, "valid: jet"},
		{"bad method", []string{"-weights", serveWeights, "-cam-method", "x"}, "valid: gradcam"},
		{"bad max-upload", []string{"-weights", serveWeights, "-max-upload", "0"}, "must be positive"},
		{"bad addr", []string{"-weights", serveWeights, "-llm", "offline", "-env-file", dir + "/x", "-addr", "256.0.0.1:99999"}, "listen"},
		{"extra args", []string{"-weights", serveWeights, "image.png"}, "usage"},
		{"bad flag", []string{"-nope"}, "usage"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := runServe(context.Background(), tc.args, serveEnv(&stderr))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if err := runServe(context.Background(), []string{"-h"}, serveEnv(io.Discard)); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
}

func FuzzAnalyzeUpload(f *testing.F) {
	const maxUpload = 256 << 10
	a := serveAnalyzer(f, &xray.Options{Preprocess: preprocess.Options{MaxPixels: 256 * 256}})
	h := newServer(a, serverConfig{MaxUpload: maxUpload, QueueWait: time.Minute})
	f.Add(servePNG(f, 48, 40))
	f.Add(serveJPEG(f, 40, 48))
	f.Add(serveHugePNG())
	f.Add([]byte("GIF89a"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		rec := servePost(t, h, data, map[string]string{"report": "false"})
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d for %d bytes: %s", rec.Code, len(data), rec.Body)
		}
		var v map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatalf("answer is not JSON: %v", err)
		}
		if rec.Code != http.StatusOK && v["error"] == "" {
			t.Fatalf("status %d without an error message", rec.Code)
		}
	})
}
