package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xrayllm/xray/llm"
	"github.com/xrayllm/xray/prompt"
)

// serveGateLLM is a report writer that holds every call until gate is
// closed (or the call's context is done), then answers with the offline
// report and usage, or fails when fail is set.
type serveGateLLM struct {
	name  string
	gate  chan struct{}
	usage llm.Usage
	fail  bool
	calls atomic.Int32
}

// Name implements llm.Client.
func (g *serveGateLLM) Name() string { return g.name }

// Generate implements llm.Client.
func (g *serveGateLLM) Generate(ctx context.Context, p prompt.Prompt) (*llm.Response, error) {
	g.calls.Add(1)
	select {
	case <-g.gate:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if g.fail {
		return nil, errors.New("fake backend down")
	}
	r, err := llm.Offline{}.Generate(ctx, p)
	if err != nil {
		return nil, err
	}
	r.Usage = g.usage
	return r, nil
}

// Stream implements llm.Client.
func (g *serveGateLLM) Stream(ctx context.Context, p prompt.Prompt, fn func(string) error) (*llm.Response, error) {
	r, err := g.Generate(ctx, p)
	if err == nil && fn != nil {
		err = fn(r.Text)
	}
	return r, err
}

// openGate returns a gate that is already open.
func openGate() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// serveOps serves s on a free loopback port with the production server
// settings (timeouts t) through serveUntilDone. stop stands for SIGTERM:
// it cancels serveUntilDone's context and returns what it returned,
// failing the test if that takes longer than wait. The test stops the
// server at the latest when it ends.
func serveOps(t *testing.T, s *server, tm httpTimeouts, grace time.Duration) (base string, stop func(wait time.Duration) error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveUntilDone(ctx, newHTTPServer(s, io.Discard, tm), ln, s.drain, grace) }()
	var result error
	stopped := false
	stop = func(wait time.Duration) error {
		t.Helper()
		if stopped {
			return result
		}
		stopped = true
		cancel()
		select {
		case result = <-done:
		case <-time.After(wait):
			result = errors.New("serveUntilDone did not return in time")
			t.Errorf("serveUntilDone did not return within %s of the stop", wait)
		}
		return result
	}
	t.Cleanup(func() { _ = stop(grace + 5*time.Second) })
	return "http://" + ln.Addr().String(), stop
}

// serveMetricsText fetches /metrics from h and checks its format.
func serveMetricsText(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("GET /metrics: status %d, Content-Type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	return rec.Body.String()
}

// serveMetric returns the value of one series, written as Prometheus
// writes it (labels sorted), e.g. `xray_analyses_rejected_total{reason="busy"}`;
// ok is false when the series is absent.
func serveMetric(text, series string) (v float64, ok bool) {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if rest, found := strings.CutPrefix(sc.Text(), series+" "); found {
			f, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return f, err == nil
		}
	}
	return 0, false
}

// serveWantMetric checks that a series has the value want.
func serveWantMetric(t *testing.T, text, series string, want float64) {
	t.Helper()
	if got, ok := serveMetric(text, series); !ok || got != want {
		t.Errorf("%s = %v (present %v), want %v", series, got, ok, want)
	}
}
