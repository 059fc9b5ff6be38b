package main

import (
	"context"
	"io"
	"io/fs"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/prompt"
)

// Server limits.
const (
	// defaultMaxUpload is the default -max-upload: 32 MiB.
	defaultMaxUpload = 32 << 20
	// defaultQueueWait is how long a request waits for a free analysis
	// slot before it gets 503.
	defaultQueueWait = 5 * time.Second
)

// serverConfig configures newServer. The zero value works: Grad-CAM at
// layer4, Korean, jet, 32 MiB uploads, one analysis per CPU at once, a
// 5 s queue, no log.
type serverConfig struct {
	// CAM holds the default CAM options; form fields override them.
	CAM gradcam.Options
	// TTA is the default of the tta field (test-time augmentation).
	TTA bool
	// Lang is the default report and page language; "" means Korean.
	Lang prompt.Lang
	// Colormap is the default overlay colormap; "" means jet.
	Colormap string
	// Calibration is the default decision (temperature, threshold); the
	// form field threshold overrides its threshold. Nil: argmax decides.
	Calibration *xray.Calibration
	// MaxUpload bounds a request body in bytes; 0 means 32 MiB.
	MaxUpload int64
	// MaxConcurrent bounds the analyses running at once; 0 means the
	// number of CPUs.
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
		c.MaxConcurrent = runtime.NumCPU()
	}
	if c.QueueWait <= 0 {
		c.QueueWait = defaultQueueWait
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return c
}

// server is the HTTP front of an Analyzer: the page, the JSON API, the
// health checks and the metrics, behind the middleware. Its handlers are
// in serve_handlers.go, the upload parsing in serve_upload.go, the
// answers' shapes in serve_response.go, the middleware in
// serve_middleware.go and the metrics in serve_metrics.go.
type server struct {
	a       *xray.Analyzer
	cfg     serverConfig
	slots   chan struct{}
	page    []byte
	metrics *serveMetrics
	handler http.Handler
	// draining is closed by drain: the server is shutting down, takes no
	// new analysis and is not ready.
	draining  chan struct{}
	drainOnce sync.Once
}

// newServer returns the server for a, configured by cfg. It logs each
// request to cfg.Log and turns panics into 500s.
func newServer(a *xray.Analyzer, cfg serverConfig) *server {
	cfg = cfg.withDefaults()
	s := &server{a: a, cfg: cfg, slots: make(chan struct{}, cfg.MaxConcurrent), page: loadPage(),
		metrics: newServeMetrics(), draining: make(chan struct{})}
	logw := &lockedWriter{w: cfg.Log, mu: new(sync.Mutex)}
	s.handler = logRequests(logw, countRequests(s.metrics, recoverPanics(logw, securityHeaders(s.routes()))))
	return s
}

// routes maps each path to its handler.
func (s *server) routes() *http.ServeMux {
	assets, _ := fs.Sub(webFS, "web")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handlePage)
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(assets)))
	mux.HandleFunc("GET /healthz", handleHealth)
	mux.HandleFunc("GET /readyz", s.handleReady)
	mux.Handle("GET /metrics", s.metrics.handler())
	mux.HandleFunc("/api/info", allow(http.MethodGet, s.handleInfo))
	mux.HandleFunc("/api/analyze", allow(http.MethodPost, s.handleAnalyze))
	mux.HandleFunc("/api/analyze/stream", allow(http.MethodPost, s.handleAnalyzeStream))
	s.teachRoutes(mux)
	return mux
}

// ServeHTTP implements http.Handler.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// camLayers lists the layers a CAM can look at.
func (s *server) camLayers() []string { return s.a.Model().SpatialLayerNames() }

// acquire takes an analysis slot, waiting at most cfg.QueueWait; release
// gives it back. It refuses at once, and stops waiting, when the server
// is shutting down. writeBusy answers a refusal.
func (s *server) acquire(ctx context.Context) (release func(), ok bool) {
	if s.isDraining() {
		s.metrics.rejected.WithLabelValues(rejectShutdown).Inc()
		return nil, false
	}
	start := time.Now()
	s.metrics.queued.Inc()
	defer func() {
		s.metrics.queued.Dec()
		s.metrics.queueWait.Observe(time.Since(start).Seconds())
	}()
	t := time.NewTimer(s.cfg.QueueWait)
	defer t.Stop()
	select {
	case s.slots <- struct{}{}:
		s.metrics.analyses.Inc()
		return func() { s.metrics.analyses.Dec(); <-s.slots }, true
	case <-t.C:
		s.metrics.rejected.WithLabelValues(rejectBusy).Inc()
	case <-s.draining:
		s.metrics.rejected.WithLabelValues(rejectShutdown).Inc()
	case <-ctx.Done():
	}
	return nil, false
}

// drain marks the server as shutting down: /readyz answers 503 and no
// new analysis starts; running ones finish.
func (s *server) drain() {
	s.drainOnce.Do(func() { close(s.draining) })
}

// isDraining reports whether drain was called.
func (s *server) isDraining() bool {
	select {
	case <-s.draining:
		return true
	default:
		return false
	}
}

// analyze runs the pipeline on an uploaded image and records the
// analysis in the metrics.
func (s *server) analyze(ctx context.Context, ar *analyzeRequest) (*xray.Result, error) {
	res, err := s.a.AnalyzeBytes(ctx, ar.image, ar.req)
	if err != nil {
		return nil, err
	}
	s.metrics.observeAnalysis(res, s.a.LLM().Name())
	return res, nil
}
