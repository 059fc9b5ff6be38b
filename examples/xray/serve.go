package main

import (
	"bytes"
	"context"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"image"
	"image/png"
	"io"
	"io/fs"
	"log"
	"mime/multipart"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/llm"
	"github.com/xrayllm/xray/preprocess"
	"github.com/xrayllm/xray/prompt"
)

// webFS holds the page and its script and style sheet.
//
//go:embed web
var webFS embed.FS

// Server limits and timeouts.
const (
	// defaultMaxUpload is the default -max-upload: 32 MiB.
	defaultMaxUpload = 32 << 20
	// defaultQueueWait is how long a request waits for a free analysis
	// slot before it gets 503.
	defaultQueueWait = 5 * time.Second
	// retryAfterSeconds is the Retry-After sent with a 503.
	retryAfterSeconds = 5
	// maxFieldBytes bounds each non-file form field.
	maxFieldBytes = 1 << 10
	// shutdownTimeout bounds the graceful shutdown.
	shutdownTimeout = 30 * time.Second
)

// serveFlags are serve's flags.
type serveFlags struct {
	model     modelFlags
	cam       camFlags
	addr      string
	backend   string
	lang      string
	colormap  string
	maxUpload int64
	envFile   string
}

// runServe serves the analyzer's page and JSON API on -addr until ctx is
// done, then shuts down gracefully.
func runServe(ctx context.Context, args []string, e env) error {
	var f serveFlags
	fs := newFlagSet("serve", "", e)
	f.register(fs, e)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return errUsage
	}
	a, cfg, err := f.open(e)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := newHTTPServer(newServer(a, cfg), cfg.Log)
	fmt.Fprintf(e.stderr, "xray serve: listening on http://%s (report: %s) — educational use only, not a diagnostic device\n", ln.Addr(), a.LLM().Name())
	return serveUntilDone(ctx, srv, ln)
}

// register declares serve's flags on fs.
func (f *serveFlags) register(fs *flag.FlagSet, e env) {
	f.model.register(fs, e)
	f.cam.register(fs)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	fs.StringVar(&f.backend, "llm", "", "report writer: gemini, openai or offline (default: gemini when GEMINI_API_KEY is set, else offline)")
	fs.StringVar(&f.lang, "lang", "ko", "default report and page language: ko or en")
	fs.StringVar(&f.colormap, "colormap", "jet", "default overlay colormap: jet, viridis or inferno")
	fs.Int64Var(&f.maxUpload, "max-upload", defaultMaxUpload, "largest accepted upload in bytes")
	fs.StringVar(&f.envFile, "env-file", ".env", "read variables from this file first; variables already set win")
}

// open checks the flags, loads the model and returns the server config.
func (f *serveFlags) open(e env) (*xray.Analyzer, serverConfig, error) {
	var cfg serverConfig
	lang, err := prompt.ParseLang(f.lang)
	if err != nil {
		return nil, cfg, err
	}
	if _, err := gradcam.ColormapByName(f.colormap); err != nil {
		return nil, cfg, err
	}
	if f.maxUpload <= 0 {
		return nil, cfg, fmt.Errorf("-max-upload %d: must be positive", f.maxUpload)
	}
	camOpts, err := f.cam.options()
	if err != nil {
		return nil, cfg, err
	}
	mopts, err := f.model.options()
	if err != nil {
		return nil, cfg, err
	}
	if err := e.loadDotenv(f.envFile); err != nil {
		return nil, cfg, err
	}
	client, err := llm.FromEnv(e.getenv, f.backend)
	if err != nil {
		return nil, cfg, err
	}
	a, err := xray.Open(f.model.weights, &xray.Options{LLM: client}, mopts...)
	if err != nil {
		return nil, cfg, err
	}
	cfg = serverConfig{CAM: *camOpts, Lang: lang, Colormap: f.colormap, MaxUpload: f.maxUpload, Log: e.stderr}
	return a, cfg, nil
}

// newHTTPServer wraps h in an http.Server with timeouts sized for a slow
// report: a language model may take a few minutes to answer.
func newHTTPServer(h http.Handler, logw io.Writer) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      4 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(logw, "xray serve: ", 0),
	}
}

// serveUntilDone serves on ln until ctx is done or serving fails, then
// shuts srv down, letting running analyses finish for shutdownTimeout.
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// serverConfig configures newServer. The zero value works: Grad-CAM at
// layer4, Korean, jet, 32 MiB uploads, 2×GOMAXPROCS analyses at once, no
// log.
type serverConfig struct {
	// CAM holds the default CAM options; form fields override them.
	CAM gradcam.Options
	// Lang is the default report and page language; "" means Korean.
	Lang prompt.Lang
	// Colormap is the default overlay colormap; "" means jet.
	Colormap string
	// MaxUpload bounds a request body in bytes; 0 means 32 MiB.
	MaxUpload int64
	// MaxConcurrent bounds the analyses running at once; 0 means
	// 2×GOMAXPROCS.
	MaxConcurrent int
	// QueueWait is how long a request waits for a slot before 503; 0
	// means 5 s.
	QueueWait time.Duration
	// Log receives one line per request (method, path, status, duration);
	// nil means none.
	Log io.Writer
}

// withDefaults fills in the zero fields.
func (c serverConfig) withDefaults() serverConfig {
	if c.Lang == "" {
		c.Lang = prompt.DefaultLang
	}
	if c.Colormap == "" {
		c.Colormap = "jet"
	}
	if c.CAM.Layer == "" {
		c.CAM.Layer = gradcam.DefaultLayer
	}
	if c.CAM.Method == nil {
		c.CAM.Method = gradcam.GradCAM()
	}
	if c.MaxUpload <= 0 {
		c.MaxUpload = defaultMaxUpload
	}
	if c.MaxConcurrent <= 0 {
		c.MaxConcurrent = 2 * runtime.GOMAXPROCS(0)
	}
	if c.QueueWait <= 0 {
		c.QueueWait = defaultQueueWait
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return c
}

// server is the HTTP front of an Analyzer.
type server struct {
	a     *xray.Analyzer
	cfg   serverConfig
	slots chan struct{}
	page  []byte
}

// newServer returns the handler for the page, the API and the health
// check. It logs each request to cfg.Log and turns panics into 500s.
func newServer(a *xray.Analyzer, cfg serverConfig) http.Handler {
	cfg = cfg.withDefaults()
	s := &server{a: a, cfg: cfg, slots: make(chan struct{}, cfg.MaxConcurrent)}
	page, err := renderPage()
	if err != nil {
		// The page is embedded and its template fixed: only a broken build gets here.
		page = []byte("<!doctype html><p>page template: " + template.HTMLEscapeString(err.Error()) + "</p><p>" + template.HTMLEscapeString(prompt.Disclaimer(prompt.Korean)) + "</p>")
	}
	s.page = page
	assets, _ := fs.Sub(webFS, "web")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handlePage)
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(assets)))
	mux.HandleFunc("GET /healthz", handleHealth)
	mux.HandleFunc("/api/info", allow(http.MethodGet, s.handleInfo))
	mux.HandleFunc("/api/analyze", allow(http.MethodPost, s.handleAnalyze))
	logw := &lockedWriter{w: cfg.Log, mu: new(sync.Mutex)}
	return logRequests(logw, recoverPanics(logw, securityHeaders(mux)))
}

// pageData fills the page template.
type pageData struct {
	DisclaimerKo, DisclaimerEn string
}

// renderPage executes the page template once.
func renderPage() ([]byte, error) {
	t, err := template.ParseFS(webFS, "web/index.html")
	if err != nil {
		return nil, fmt.Errorf("serve: page: %w", err)
	}
	var b bytes.Buffer
	d := pageData{DisclaimerKo: prompt.Disclaimer(prompt.Korean), DisclaimerEn: prompt.Disclaimer(prompt.English)}
	if err := t.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("serve: page: %w", err)
	}
	return b.Bytes(), nil
}

// handlePage serves the single page.
func (s *server) handlePage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(s.page)
}

// handleHealth answers the health check.
func handleHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok")
}

// infoJSON is the answer of GET /api/info.
type infoJSON struct {
	Classes         []string          `json:"classes"`
	Architecture    string            `json:"architecture"`
	CAMMethods      []string          `json:"cam_methods"`
	LayerNames      []string          `json:"layer_names"`
	CAMLayers       []string          `json:"cam_layers"`
	Colormaps       []string          `json:"colormaps"`
	Languages       []string          `json:"languages"`
	LanguageNames   map[string]string `json:"language_names"`
	LLMBackend      string            `json:"llm_backend"`
	MaxUploadBytes  int64             `json:"max_upload_bytes"`
	Defaults        map[string]string `json:"defaults"`
	Disclaimer      map[string]string `json:"disclaimer"`
	MaxConcurrent   int               `json:"max_concurrent"`
	ReportByDefault bool              `json:"report_by_default"`
}

// handleInfo describes the model and the choices the API accepts.
func (s *server) handleInfo(w http.ResponseWriter, _ *http.Request) {
	m := s.a.Model()
	d := s.cfg.CAM
	writeJSON(w, http.StatusOK, infoJSON{
		Classes:        m.Classes(),
		Architecture:   m.Arch().Name,
		CAMMethods:     gradcam.MethodNames(),
		LayerNames:     m.LayerNames(),
		CAMLayers:      s.camLayers(),
		Colormaps:      gradcam.ColormapNames(),
		Languages:      languages(),
		LanguageNames:  languageNames(),
		LLMBackend:     s.a.LLM().Name(),
		MaxUploadBytes: s.cfg.MaxUpload,
		Defaults: map[string]string{"method": d.Method.Name(), "layer": d.Layer, "target": d.Target,
			"colormap": s.cfg.Colormap, "lang": string(s.cfg.Lang)},
		Disclaimer:      map[string]string{"ko": prompt.Disclaimer(prompt.Korean), "en": prompt.Disclaimer(prompt.English)},
		MaxConcurrent:   s.cfg.MaxConcurrent,
		ReportByDefault: true,
	})
}

// camLayers lists the layers a CAM can look at.
func (s *server) camLayers() []string { return s.a.Model().SpatialLayerNames() }

// analyzeRequest is a parsed POST /api/analyze.
type analyzeRequest struct {
	image    []byte
	req      xray.Request
	colormap gradcam.Table
}

// handleAnalyze runs the pipeline on an uploaded image.
func (s *server) handleAnalyze(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	ar, status, err := s.parseUpload(w, r)
	if err != nil {
		writeError(w, status, err)
		return
	}
	release, ok := s.acquire(r.Context())
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
		writeError(w, http.StatusServiceUnavailable, errors.New("the server is busy with other analyses; try again in a few seconds"))
		return
	}
	defer release()
	res, err := s.a.AnalyzeBytes(r.Context(), ar.image, ar.req)
	if err != nil {
		writeError(w, analyzeStatus(r.Context(), err), err)
		return
	}
	out, err := s.result(res, ar)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// acquire takes an analysis slot, waiting at most cfg.QueueWait; release
// gives it back.
func (s *server) acquire(ctx context.Context) (release func(), ok bool) {
	t := time.NewTimer(s.cfg.QueueWait)
	defer t.Stop()
	select {
	case s.slots <- struct{}{}:
		return func() { <-s.slots }, true
	case <-t.C:
	case <-ctx.Done():
	}
	return nil, false
}

// analyzeStatus maps an AnalyzeBytes error to a status: 400 for input the
// library refused to decode, 499 (nginx's "client closed request") when
// the client went away, 500 otherwise.
func analyzeStatus(ctx context.Context, err error) int {
	switch {
	case errors.Is(err, preprocess.ErrInvalidImage):
		return http.StatusBadRequest
	case ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		return 499
	}
	return http.StatusInternalServerError
}

// parseUpload reads the multipart form into memory, never to disk, and
// resolves the options. It returns the status to answer with on error.
func (s *server) parseUpload(w http.ResponseWriter, r *http.Request) (*analyzeRequest, int, error) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, http.StatusBadRequest, fmt.Errorf("want a multipart/form-data upload with the X-ray in the field \"image\": %w", err)
	}
	img, fields, err := readParts(mr)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("upload is larger than the limit of %d bytes", s.cfg.MaxUpload)
		}
		return nil, http.StatusBadRequest, fmt.Errorf("reading the upload: %w", err)
	}
	if img == nil {
		return nil, http.StatusBadRequest, errors.New("no file in the form field \"image\"")
	}
	ar, err := s.options(fields)
	if err != nil {
		return nil, http.StatusBadRequest, err
	}
	ar.image = img
	return ar, 0, nil
}

// readParts reads the "image" file and the small text fields of a form.
// Other files are skipped.
func readParts(mr *multipart.Reader) (img []byte, fields map[string]string, err error) {
	fields = map[string]string{}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return img, fields, nil
		}
		if err != nil {
			return nil, nil, err
		}
		name := p.FormName()
		switch {
		case name == "image":
			if img, err = io.ReadAll(p); err != nil {
				return nil, nil, err
			}
			if img == nil {
				img = []byte{}
			}
		case p.FileName() == "" && name != "":
			v, err := io.ReadAll(io.LimitReader(p, maxFieldBytes+1))
			if err != nil {
				return nil, nil, err
			}
			if len(v) > maxFieldBytes {
				return nil, nil, fmt.Errorf("form field %q is longer than %d bytes", name, maxFieldBytes)
			}
			fields[name] = strings.TrimSpace(string(v))
		default:
			if _, err := io.Copy(io.Discard, p); err != nil {
				return nil, nil, err
			}
		}
	}
}

// options resolves the form fields against the defaults, naming the valid
// choices when a field is wrong.
func (s *server) options(fields map[string]string) (*analyzeRequest, error) {
	cam := s.cfg.CAM
	if v := fields["method"]; v != "" {
		m, err := gradcam.MethodByName(v)
		if err != nil {
			return nil, err
		}
		cam.Method = m
	}
	if v := fields["layer"]; v != "" {
		if !slices.Contains(s.camLayers(), v) {
			return nil, fmt.Errorf("unknown CAM layer %q (valid: layer1, layer2, layer3, layer4 or a block or conv inside them; GET /api/info lists all %d)", v, len(s.camLayers()))
		}
		cam.Layer = v
	}
	if v, ok := fields["target"]; ok {
		if v != "" && !slices.Contains(s.a.Model().Classes(), v) {
			return nil, fmt.Errorf("unknown target class %q (valid: %s, or empty for the predicted class)", v, strings.Join(s.a.Model().Classes(), ", "))
		}
		cam.Target = v
	}
	var err error
	if cam.Faithfulness, err = boolField(fields, "faithfulness", cam.Faithfulness); err != nil {
		return nil, err
	}
	report, err := boolField(fields, "report", true)
	if err != nil {
		return nil, err
	}
	lang, err := langField(fields, s.cfg.Lang)
	if err != nil {
		return nil, err
	}
	cmName := s.cfg.Colormap
	if v := fields["colormap"]; v != "" {
		cmName = v
	}
	cmap, err := gradcam.ColormapByName(cmName)
	if err != nil {
		return nil, err
	}
	return &analyzeRequest{req: xray.Request{CAM: &cam, Report: report, Lang: lang}, colormap: cmap}, nil
}

// boolField parses an optional true/false field.
func boolField(fields map[string]string, name string, def bool) (bool, error) {
	v, ok := fields[name]
	if !ok || v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("field %q: %q is not true or false", name, v)
	}
	return b, nil
}

// langField parses the optional lang field.
func langField(fields map[string]string, def prompt.Lang) (prompt.Lang, error) {
	v := fields["lang"]
	if v == "" {
		return def, nil
	}
	return prompt.ParseLang(v)
}

// analyzeJSON is the answer of POST /api/analyze.
type analyzeJSON struct {
	Prediction analysisPrediction `json:"prediction"`
	CAM        *camJSON           `json:"cam"`
	CAMText    camText            `json:"cam_text"`
	OverlayPNG string             `json:"overlay_png"`
	InputPNG   string             `json:"input_png"`
	Report     *llm.Report        `json:"report"`
	Lang       string             `json:"lang"`
	Disclaimer string             `json:"disclaimer"`
}

// analysisPrediction is the prediction part of analyzeJSON.
type analysisPrediction struct {
	Label   string             `json:"label"`
	Index   int                `json:"index"`
	Classes []string           `json:"classes"`
	Probs   map[string]float64 `json:"probs"`
	// ProbsText are the probabilities as the report writes them, "97.12%".
	ProbsText map[string]string `json:"probs_text"`
	Logits    []float32         `json:"logits"`
}

// result builds the JSON answer, overlay included.
func (s *server) result(res *xray.Result, ar *analyzeRequest) (*analyzeJSON, error) {
	if res.CAM == nil || res.Input == nil || res.Input.Resized == nil {
		return nil, errors.New("serve: the analysis returned no CAM")
	}
	overlay, err := overlayPNG(res, ar.colormap)
	if err != nil {
		return nil, err
	}
	input, err := pngDataURL(res.Input.Resized)
	if err != nil {
		return nil, err
	}
	p := newPredictionJSON("", s.a.Model().Classes(), res.Prediction)
	lang := ar.req.Lang
	return &analyzeJSON{
		Prediction: analysisPrediction{Label: p.Label, Index: res.Prediction.Index, Classes: s.a.Model().Classes(),
			Probs: p.Probs, ProbsText: probsText(p.Probs), Logits: p.Logits},
		CAM:        newCAMJSON(res.CAM, nil),
		CAMText:    newCAMText(res.CAM, lang),
		OverlayPNG: overlay,
		InputPNG:   input,
		Report:     res.Report,
		Lang:       string(lang),
		Disclaimer: prompt.Disclaimer(lang),
	}, nil
}

// overlayPNG blends the CAM over the network's 224x224 input.
func overlayPNG(res *xray.Result, cmap gradcam.Table) (string, error) {
	b := res.Input.Resized.Bounds()
	cam, err := res.CAM.MapAt(b.Dx(), b.Dy())
	if err != nil {
		return "", fmt.Errorf("serve: overlay: %w", err)
	}
	img, err := gradcam.Overlay(res.Input.Resized, cam, &gradcam.OverlayOptions{Colormap: cmap})
	if err != nil {
		return "", fmt.Errorf("serve: overlay: %w", err)
	}
	return pngDataURL(img)
}

// pngDataURL encodes img as a data: URL.
func pngDataURL(img image.Image) (string, error) {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return "", fmt.Errorf("serve: encoding png: %w", err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes()), nil
}

// allow answers 405 with a JSON error unless the request uses method.
func allow(method string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method {
			w.Header().Set("Allow", method)
			writeError(w, http.StatusMethodNotAllowed, fmt.Errorf("%s %s: method not allowed (use %s)", r.Method, r.URL.Path, method))
			return
		}
		h(w, r)
	}
}

// securityHeaders forbids every origin but our own: the page loads
// nothing from elsewhere and must not be framed.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"serve: encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// writeError writes {"error": err} with status.
func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

// lockedWriter serialises writes to a shared log.
type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

// Write implements io.Writer.
func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

// WriteHeader implements http.ResponseWriter.
func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequests writes one line per request: method, path, status and
// duration. Nothing else — no query, no file name, no body.
func logRequests(logw io.Writer, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			fmt.Fprintf(logw, "%s %s %d %s\n", r.Method, r.URL.Path, rec.status, time.Since(start).Round(time.Microsecond))
		}()
		h.ServeHTTP(rec, r)
	})
}

// recoverPanics turns a panic in h into a 500 and keeps the process up,
// logging the panic and its stack to logw.
func recoverPanics(logw io.Writer, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			fmt.Fprintf(logw, "panic in %s %s: %v\n%s", r.Method, r.URL.Path, p, debug.Stack())
			writeError(w, http.StatusInternalServerError, errors.New("internal error"))
		}()
		h.ServeHTTP(w, r)
	})
}
