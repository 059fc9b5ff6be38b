package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xrayllm/xray"
)

// TestSlowHeadersCutOff sends request headers one byte every 150 ms to a
// server with a 300 ms header timeout: the server must close the
// connection long before the headers are complete, and still answer a
// normal client.
func TestSlowHeadersCutOff(t *testing.T) {
	s := newServer(serveAnalyzer(t, nil), serverConfig{})
	tm := defaultTimeouts()
	tm.readHeader = 300 * time.Millisecond
	base, _ := serveOps(t, s, tm, 5*time.Second)
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second)) // the test's own bound
	closed := make(chan []byte, 1)
	go func() {
		var got bytes.Buffer
		buf := make([]byte, 512)
		for {
			n, err := conn.Read(buf)
			got.Write(buf[:n])
			if err != nil {
				closed <- got.Bytes()
				return
			}
		}
	}()
	req := []byte("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow-client-test\r\n\r\n")
	start := time.Now()
	sent := 0
	var answer []byte
write:
	for sent < len(req) {
		if _, err := conn.Write(req[sent : sent+1]); err != nil {
			answer = <-closed
			break
		}
		sent++
		select {
		case answer = <-closed:
			break write
		case <-time.After(150 * time.Millisecond):
		}
	}
	took := time.Since(start)
	if sent == len(req) {
		t.Fatalf("the server waited for all %d header bytes (%s); want it to cut the client off", sent, took)
	}
	if took > 3*time.Second {
		t.Errorf("cut off after %s, want about the 300 ms header timeout", took)
	}
	if bytes.Contains(answer, []byte("200 OK")) {
		t.Errorf("the slow client was answered: %q", answer)
	}
	t.Logf("cut off after %d of %d header bytes, %s", sent, len(req), took.Round(time.Millisecond))
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("a normal client after the slow one: status %d", resp.StatusCode)
	}
}

// TestShutdownLetsAnalysesFinish stops the server (what SIGTERM does) while
// one analysis runs and another waits for the slot: the running one
// finishes with 200, the waiting one and any new one are refused, the
// server is not ready, and serving ends without an error.
func TestShutdownLetsAnalysesFinish(t *testing.T) {
	gate := make(chan struct{})
	fake := &serveGateLLM{name: "fake", gate: gate}
	s := newServer(serveAnalyzer(t, &xray.Options{LLM: fake}), serverConfig{MaxConcurrent: 1, QueueWait: 20 * time.Second})
	base, stop := serveOps(t, s, defaultTimeouts(), 20*time.Second)
	form, ct := serveForm(t, "chest.png", servePNG(t, 64, 64), nil)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	running, waiting := make(chan serveLoadAnswer, 1), make(chan serveLoadAnswer, 1)
	go func() { running <- uploadOnce(client, base, form.Bytes(), ct) }()
	waitFor(t, "the first analysis to reach the report", func() bool { return fake.calls.Load() == 1 })
	go func() { waiting <- uploadOnce(client, base, form.Bytes(), ct) }()
	waitFor(t, "the second upload to queue", func() bool {
		v, _ := serveMetric(serveMetricsText(t, s), "xray_analyses_queued")
		return v == 1
	})

	stopped := make(chan error, 1)
	go func() { stopped <- stop(20 * time.Second) }()
	if a := <-waiting; a.status != http.StatusServiceUnavailable || a.retryAfter == "" {
		t.Errorf("queued upload during shutdown: %+v, want 503 with Retry-After", a)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("readyz during shutdown: %d, want 503", rec.Code)
	}
	waitFor(t, "new connections to be refused", func() bool {
		_, err := client.Get(base + "/healthz")
		return err != nil
	})
	if a := uploadOnce(client, base, form.Bytes(), ct); a.err == nil {
		t.Errorf("new upload during shutdown answered %d, want the connection refused", a.status)
	}
	select {
	case err := <-stopped:
		t.Fatalf("serving ended with an analysis still running: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(gate)
	if a := <-running; a.err != nil || a.status != http.StatusOK {
		t.Errorf("running analysis: %+v, want 200", a)
	}
	if err := <-stopped; err != nil {
		t.Errorf("serveUntilDone: %v, want nil", err)
	}
}

// TestShutdownGraceEnds checks that a running analysis cannot hold the
// shutdown longer than the grace period: serving then ends with an error.
func TestShutdownGraceEnds(t *testing.T) {
	gate := make(chan struct{})
	defer close(gate)
	fake := &serveGateLLM{name: "fake", gate: gate}
	s := newServer(serveAnalyzer(t, &xray.Options{LLM: fake}), serverConfig{MaxConcurrent: 1})
	base, stop := serveOps(t, s, defaultTimeouts(), 200*time.Millisecond)
	form, ct := serveForm(t, "chest.png", servePNG(t, 64, 64), nil)
	go uploadOnce(&http.Client{Timeout: 30 * time.Second}, base, form.Bytes(), ct)
	waitFor(t, "the analysis to reach the report", func() bool { return fake.calls.Load() == 1 })
	if err := stop(5 * time.Second); err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("stop with an analysis past the grace period: %v, want a deadline error", err)
	}
	// Closing the connection cancelled the analysis; it gives its slot back.
	waitFor(t, "the cancelled analysis to end", func() bool {
		v, _ := serveMetric(serveMetricsText(t, s), "xray_analyses_in_flight")
		return v == 0
	})
}

// waitFor polls cond every 10 ms for at most 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
