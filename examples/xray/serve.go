package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/gradcam"
)

// shutdownTimeout bounds the graceful shutdown.
const shutdownTimeout = 30 * time.Second

// serveFlags are serve's flags.
type serveFlags struct {
	pipeline  pipelineFlags
	addr      string
	colormap  string
	maxUpload int64
}

// run serves the analyzer's page and JSON API on -addr until ctx is done,
// then shuts down gracefully.
func (f *serveFlags) run(ctx context.Context, _ []string, e env) error {
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
	f.pipeline.register(fs, e, "default report and page language: ko or en")
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	fs.StringVar(&f.colormap, "colormap", "jet", "default overlay colormap: jet, viridis or inferno")
	fs.Int64Var(&f.maxUpload, "max-upload", defaultMaxUpload, "largest accepted upload in bytes")
}

// open checks the flags, loads the model and returns the server config.
func (f *serveFlags) open(e env) (*xray.Analyzer, serverConfig, error) {
	if _, err := gradcam.ColormapByName(f.colormap); err != nil {
		return nil, serverConfig{}, err
	}
	if f.maxUpload <= 0 {
		return nil, serverConfig{}, fmt.Errorf("-max-upload %d: must be positive", f.maxUpload)
	}
	a, opts, err := f.pipeline.open(e)
	if err != nil {
		return nil, serverConfig{}, err
	}
	cfg := serverConfig{CAM: *opts.cam, Lang: opts.lang, Colormap: f.colormap, MaxUpload: f.maxUpload, Log: e.stderr}
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
