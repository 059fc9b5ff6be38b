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
	"runtime"
	"runtime/debug"
	"time"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/gradcam"
)

// serveFlags are serve's flags.
type serveFlags struct {
	pipeline        pipelineFlags
	addr            string
	colormap        string
	maxUpload       int64
	concurrency     int
	queueWait       time.Duration
	timeouts        httpTimeouts
	shutdownTimeout time.Duration
}

// httpTimeouts bound each connection: how long reading the headers, the
// whole request and writing the answer may take, and how long an idle
// keep-alive connection stays open.
type httpTimeouts struct {
	readHeader, read, write, idle time.Duration
}

// defaultTimeouts are the default timeouts, sized for a slow report: a
// language model may take a few minutes to answer.
func defaultTimeouts() httpTimeouts {
	return httpTimeouts{readHeader: 10 * time.Second, read: 2 * time.Minute, write: 4 * time.Minute, idle: 2 * time.Minute}
}

// serveGCPercent is the garbage collector's target serve sets unless
// $GOGC is set: the heap grows to 1.5 times what is live instead of 2
// times. The model's weights are most of what is live, so the default
// would let each replica hold about as much garbage as weights
// (measured with two analyses at once, 10 rounds: a peak RSS of 332–338
// MiB, 243–280 MiB with this; gctrace puts the collections at 0% of the
// CPU).
const serveGCPercent = 50

// keepHeapSmall sets serveGCPercent unless the environment has GOGC, and
// returns what restores the previous target.
func keepHeapSmall(e env) (restore func()) {
	if _, set := e.lookupEnv("GOGC"); set {
		return func() {}
	}
	old := debug.SetGCPercent(serveGCPercent)
	return func() { debug.SetGCPercent(old) }
}

// defaultShutdownTimeout is the default -shutdown-timeout.
const defaultShutdownTimeout = 30 * time.Second

// run serves the analyzer's page and JSON API on -addr until ctx is done,
// then shuts down gracefully.
func (f *serveFlags) run(ctx context.Context, _ []string, e env) error {
	defer keepHeapSmall(e)()
	a, cfg, err := f.open(e)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	s := newServer(a, cfg)
	srv := newHTTPServer(s, cfg.Log, f.timeouts)
	fmt.Fprintf(e.stderr, "xray serve: listening on http://%s (report: %s, %d analyses at once) — educational use only, not a diagnostic device\n", ln.Addr(), a.LLM().Name(), cfg.MaxConcurrent)
	return serveUntilDone(ctx, srv, ln, s.drain, f.shutdownTimeout)
}

// register declares serve's flags on fs.
func (f *serveFlags) register(fs *flag.FlagSet, e env) {
	f.pipeline.model.conv = "direct" // a replica's memory matters more than 10 ms (BENCHMARKS.md)
	f.pipeline.register(fs, e, "default report and page language: ko or en")
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	fs.StringVar(&f.colormap, "colormap", "jet", "default overlay colormap: jet, viridis or inferno")
	fs.Int64Var(&f.maxUpload, "max-upload", defaultMaxUpload, "largest accepted upload in bytes")
	fs.IntVar(&f.concurrency, "concurrency", runtime.NumCPU(), "analyses run at once; the default is this machine's number of CPUs")
	fs.DurationVar(&f.queueWait, "queue-wait", defaultQueueWait, "how long an upload waits for a free analysis before it gets 503 with Retry-After")
	d := defaultTimeouts()
	fs.DurationVar(&f.timeouts.readHeader, "read-header-timeout", d.readHeader, "how long a client may take to send the request headers")
	fs.DurationVar(&f.timeouts.read, "read-timeout", d.read, "how long a client may take to send the whole request, upload included (0: no limit)")
	fs.DurationVar(&f.timeouts.write, "write-timeout", d.write, "how long answering a request may take, waiting and analysis included (0: no limit)")
	fs.DurationVar(&f.timeouts.idle, "idle-timeout", d.idle, "how long an idle keep-alive connection stays open (0: the read timeout)")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", defaultShutdownTimeout, "on SIGTERM or interrupt, how long running analyses may take to finish before the server stops")
}

// open checks the flags, loads the model and returns the server config.
func (f *serveFlags) open(e env) (*xray.Analyzer, serverConfig, error) {
	if _, err := gradcam.ColormapByName(f.colormap); err != nil {
		return nil, serverConfig{}, err
	}
	if err := f.check(); err != nil {
		return nil, serverConfig{}, err
	}
	a, opts, err := f.pipeline.open(e)
	if err != nil {
		return nil, serverConfig{}, err
	}
	cfg := serverConfig{CAM: *opts.cam, TTA: opts.tta, Lang: opts.lang, Colormap: f.colormap, Calibration: opts.cal, MaxUpload: f.maxUpload,
		MaxConcurrent: f.concurrency, QueueWait: f.queueWait, Log: e.stderr}
	return a, cfg, nil
}

// check refuses limits that make no sense, before anything is loaded.
func (f *serveFlags) check() error {
	switch {
	case f.maxUpload <= 0:
		return fmt.Errorf("-max-upload %d: must be positive", f.maxUpload)
	case f.concurrency <= 0:
		return fmt.Errorf("-concurrency %d: must be positive", f.concurrency)
	case f.queueWait <= 0:
		return fmt.Errorf("-queue-wait %s: must be positive", f.queueWait)
	case f.timeouts.readHeader <= 0:
		return fmt.Errorf("-read-header-timeout %s: must be positive", f.timeouts.readHeader)
	case f.timeouts.read < 0 || f.timeouts.write < 0 || f.timeouts.idle < 0:
		return errors.New("-read-timeout, -write-timeout and -idle-timeout must not be negative")
	case f.shutdownTimeout <= 0:
		return fmt.Errorf("-shutdown-timeout %s: must be positive", f.shutdownTimeout)
	}
	return nil
}

// newHTTPServer wraps h in an http.Server with the timeouts t.
func newHTTPServer(h http.Handler, logw io.Writer, t httpTimeouts) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.readHeader,
		ReadTimeout:       t.read,
		WriteTimeout:      t.write,
		IdleTimeout:       t.idle,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(logw, "xray serve: ", 0),
	}
}

// serveUntilDone serves on ln until ctx is done (SIGTERM or interrupt)
// or serving fails. Then it calls drain, so that no new analysis starts,
// stops accepting connections and lets the running requests finish for
// at most grace.
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener, drain func(), grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	drain()
	sctx, cancel := context.WithTimeout(context.Background(), grace)
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
