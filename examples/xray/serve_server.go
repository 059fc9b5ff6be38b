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

// server is the HTTP front of an Analyzer: the page, the JSON API and the
// health check, behind the middleware. Its handlers are in
// serve_handlers.go, the upload parsing in serve_upload.go, the answers'
// shapes in serve_response.go and the middleware in serve_middleware.go.
type server struct {
	a       *xray.Analyzer
	cfg     serverConfig
	slots   chan struct{}
	page    []byte
	handler http.Handler
}

// newServer returns the server for a, configured by cfg. It logs each
// request to cfg.Log and turns panics into 500s.
func newServer(a *xray.Analyzer, cfg serverConfig) *server {
	cfg = cfg.withDefaults()
	s := &server{a: a, cfg: cfg, slots: make(chan struct{}, cfg.MaxConcurrent), page: loadPage()}
	logw := &lockedWriter{w: cfg.Log, mu: new(sync.Mutex)}
	s.handler = logRequests(logw, recoverPanics(logw, securityHeaders(s.routes())))
	return s
}

// routes maps each path to its handler.
func (s *server) routes() *http.ServeMux {
	assets, _ := fs.Sub(webFS, "web")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handlePage)
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(assets)))
	mux.HandleFunc("GET /healthz", handleHealth)
	mux.HandleFunc("/api/info", allow(http.MethodGet, s.handleInfo))
	mux.HandleFunc("/api/analyze", allow(http.MethodPost, s.handleAnalyze))
	mux.HandleFunc("/api/analyze/stream", allow(http.MethodPost, s.handleAnalyzeStream))
	return mux
}

// ServeHTTP implements http.Handler.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// camLayers lists the layers a CAM can look at.
func (s *server) camLayers() []string { return s.a.Model().SpatialLayerNames() }

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
