package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xrayllm/xray"
)

// serveLoadUploads is how many uploads the load test sends at once.
const serveLoadUploads = 40

// serveLoadHold is how long, at least, the load test holds the analysis
// that has the slot, so that the health checks run under load.
const serveLoadHold = 600 * time.Millisecond

// serveLoadAnswer is what one upload of the load test got.
type serveLoadAnswer struct {
	status     int
	retryAfter string
	errorBody  string
	err        error
}

// TestServeLoad sends 40 uploads at once to a server that runs one
// analysis at a time and lets a request wait 100 ms for it. The first
// analysis's report is held until a 503 has come back (and for at least
// serveLoadHold), so both kinds of answer are certain, not a matter of
// timing. Meanwhile /healthz is checked every 50 ms.
func TestServeLoad(t *testing.T) {
	resetPeakRSS(t)
	gate := make(chan struct{})
	fake := &serveGateLLM{name: "fake", gate: gate}
	s := newServer(serveAnalyzer(t, &xray.Options{LLM: fake}), serverConfig{MaxConcurrent: 1, QueueWait: 100 * time.Millisecond})
	base, stop := serveOps(t, s, defaultTimeouts(), 10*time.Second)

	monitor := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}
	if _, err := checkHealth(monitor, base); err != nil {
		t.Fatal(err)
	}
	healthDone := make(chan struct{})
	healthc := make(chan []time.Duration, 1)
	go func() { healthc <- pollHealth(t, monitor, base, healthDone) }()

	form, ct := serveForm(t, "chest.png", servePNG(t, 96, 96), map[string]string{"lang": "en"})
	start := time.Now()
	answers := make(chan serveLoadAnswer, serveLoadUploads)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxConnsPerHost: serveLoadUploads}}
	var wg sync.WaitGroup
	for range serveLoadUploads {
		wg.Go(func() { answers <- uploadOnce(client, base, form.Bytes(), ct) })
	}
	go func() { wg.Wait(); close(answers) }()

	counts := map[int]int{}
	var got []serveLoadAnswer
	var releaseOnce sync.Once
	release := func() { releaseOnce.Do(func() { close(gate) }) }
	safety := time.AfterFunc(20*time.Second, release) // if no 503 ever comes
	defer safety.Stop()
	for a := range answers {
		got = append(got, a)
		counts[a.status]++
		if a.status == http.StatusServiceUnavailable && counts[a.status] == 1 {
			time.AfterFunc(max(0, serveLoadHold-time.Since(start)), release)
		}
	}
	close(healthDone)
	health := <-healthc

	if len(got) != serveLoadUploads {
		t.Fatalf("%d answers for %d uploads", len(got), serveLoadUploads)
	}
	for i, a := range got {
		switch {
		case a.err != nil:
			t.Errorf("upload %d: lost: %v", i, a.err)
		case a.status == http.StatusOK:
		case a.status == http.StatusServiceUnavailable:
			if n, err := strconv.Atoi(a.retryAfter); err != nil || n < 1 {
				t.Errorf("upload %d: 503 with Retry-After %q, want whole seconds ≥ 1", i, a.retryAfter)
			}
			if a.errorBody == "" {
				t.Errorf("upload %d: 503 without a JSON error", i)
			}
		default:
			t.Errorf("upload %d: status %d, want 200 or 503", i, a.status)
		}
	}
	if counts[http.StatusOK] == 0 || counts[http.StatusServiceUnavailable] == 0 {
		t.Errorf("answers %v, want at least one 200 and one 503", counts)
	}
	t.Logf("%d uploads: %d × 200, %d × 503; %d health checks, slowest %s", serveLoadUploads, counts[http.StatusOK], counts[http.StatusServiceUnavailable], len(health), slowest(health))
	if len(health) < 3 {
		t.Errorf("only %d health checks ran during the load", len(health))
	}
	if d := slowest(health); d >= time.Second {
		t.Errorf("slowest /healthz took %s during the load, want < 1s", d)
	}

	// The server saw each upload exactly once, with the same answer.
	text := serveMetricsText(t, s)
	serveWantMetric(t, text, `xray_http_requests_total{code="200",route="/api/analyze"}`, float64(counts[http.StatusOK]))
	serveWantMetric(t, text, `xray_http_requests_total{code="503",route="/api/analyze"}`, float64(counts[http.StatusServiceUnavailable]))
	serveWantMetric(t, text, `xray_analyses_rejected_total{reason="busy"}`, float64(counts[http.StatusServiceUnavailable]))
	serveWantMetric(t, text, `xray_analyses_in_flight`, 0)
	if err := stop(10 * time.Second); err != nil {
		t.Errorf("stop: %v", err)
	}
	if kb, ok := peakRSSKiB(); ok {
		t.Logf("peak RSS of the test process: %.0f MiB", float64(kb)/1024)
		if kb > 2<<20 {
			t.Errorf("peak RSS %d KiB, want under 2 GiB", kb)
		}
	} else {
		t.Log("peak RSS: /proc/self/status has no VmHWM on this system")
	}
}

// uploadOnce posts a multipart form and reads the whole answer.
func uploadOnce(c *http.Client, base string, form []byte, ct string) serveLoadAnswer {
	resp, err := c.Post(base+"/api/analyze", ct, bytes.NewReader(form))
	if err != nil {
		return serveLoadAnswer{err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return serveLoadAnswer{status: resp.StatusCode, err: err}
	}
	a := serveLoadAnswer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(raw, &e) == nil {
		a.errorBody = e.Error
	}
	return a
}

// pollHealth gets /healthz every 50 ms until done, on a keep-alive
// connection of its own (opened before the load, as a monitor's would
// be), and returns how long each took; a failed or non-200 check fails
// the test.
func pollHealth(t *testing.T, c *http.Client, base string, done <-chan struct{}) []time.Duration {
	var took []time.Duration
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return took
		case <-tick.C:
		}
		d, err := checkHealth(c, base)
		if err != nil {
			t.Error(err)
			return took
		}
		took = append(took, d)
	}
}

// checkHealth gets /healthz once and says how long it took.
func checkHealth(c *http.Client, base string) (time.Duration, error) {
	start := time.Now()
	resp, err := c.Get(base + "/healthz")
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("healthz: status %d", resp.StatusCode)
	}
	return time.Since(start), nil
}

// slowest returns the longest of ds.
func slowest(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}

// resetPeakRSS resets the process's peak RSS (Linux: writing 5 to
// /proc/self/clear_refs), so that peakRSSKiB measures from here on.
func resetPeakRSS(t *testing.T) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Logf("peak RSS not reset (%v): it covers the whole test process", err)
	}
}

// peakRSSKiB reads the process's peak resident set size (VmHWM) from
// /proc/self/status.
func peakRSSKiB() (int64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb, err == nil
		}
	}
	return 0, false
}
