package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/llm"
)

func TestMetricsCountRequestsStagesAndTokens(t *testing.T) {
	fake := &serveGateLLM{name: "fake", gate: openGate(), usage: llm.Usage{PromptTokens: 11, OutputTokens: 7, TotalTokens: 18}}
	s := newServer(serveAnalyzer(t, &xray.Options{LLM: fake}), serverConfig{MaxConcurrent: 1})
	img := servePNG(t, 64, 64)
	for range 2 {
		if rec := servePost(t, s, img, nil); rec.Code != http.StatusOK {
			t.Fatalf("analyze: %d %s", rec.Code, rec.Body)
		}
	}
	serveGet(t, s, "/healthz", http.StatusOK, "text/plain")
	serveGet(t, s, "/no/such/page", http.StatusNotFound, "")
	text := serveMetricsText(t, s)
	serveWantMetric(t, text, `xray_http_requests_total{code="200",route="/api/analyze"}`, 2)
	serveWantMetric(t, text, `xray_http_requests_total{code="200",route="/healthz"}`, 1)
	serveWantMetric(t, text, `xray_http_requests_total{code="404",route="other"}`, 1)
	for _, stage := range []string{"decode", "cam", "report"} {
		serveWantMetric(t, text, `xray_analysis_stage_duration_seconds_count{stage="`+stage+`"}`, 2)
	}
	// The server always computes a CAM: the forward pass runs in its graph.
	if _, ok := serveMetric(text, `xray_analysis_stage_duration_seconds_count{stage="network"}`); ok {
		t.Errorf("network stage observed although every analysis ran the CAM graph")
	}
	serveWantMetric(t, text, `xray_llm_reports_total{backend="fake"}`, 2)
	serveWantMetric(t, text, `xray_llm_tokens_total{backend="fake",kind="prompt"}`, 22)
	serveWantMetric(t, text, `xray_llm_tokens_total{backend="fake",kind="output"}`, 14)
	serveWantMetric(t, text, `xray_analysis_queue_wait_seconds_count`, 2)
	serveWantMetric(t, text, `xray_analyses_in_flight`, 0)
	serveWantMetric(t, text, `xray_analyses_queued`, 0)
	// The GET /metrics being served is the one request in flight.
	serveWantMetric(t, text, `xray_http_requests_in_flight`, 1)
	for _, name := range []string{"process_resident_memory_bytes", "go_goroutines"} {
		if !strings.Contains(text, "\n"+name+" ") {
			t.Errorf("no %s in /metrics", name)
		}
	}
}

func TestMetricsCountFallbacks(t *testing.T) {
	down := &serveGateLLM{name: "down", gate: openGate(), fail: true}
	s := newServer(serveAnalyzer(t, &xray.Options{LLM: down}), serverConfig{})
	if rec := servePost(t, s, servePNG(t, 64, 64), nil); rec.Code != http.StatusOK {
		t.Fatalf("analyze: %d %s", rec.Code, rec.Body)
	}
	text := serveMetricsText(t, s)
	serveWantMetric(t, text, `xray_llm_fallbacks_total{backend="down"}`, 1)
	serveWantMetric(t, text, `xray_llm_reports_total{backend="offline"}`, 1)
}

func TestMetricsRegistryPerServer(t *testing.T) {
	a := serveAnalyzer(t, nil)
	one, two := newServer(a, serverConfig{}), newServer(a, serverConfig{})
	serveGet(t, one, "/healthz", http.StatusOK, "text/plain")
	serveWantMetric(t, serveMetricsText(t, one), `xray_http_requests_total{code="200",route="/healthz"}`, 1)
	if _, ok := serveMetric(serveMetricsText(t, two), `xray_http_requests_total{code="200",route="/healthz"}`); ok {
		t.Error("the second server counted the first one's request")
	}
}

func TestReadyAndDraining(t *testing.T) {
	s := newServer(serveAnalyzer(t, nil), serverConfig{QueueWait: 2 * time.Second})
	if body := serveGet(t, s, "/readyz", http.StatusOK, "text/plain"); body != "ready" {
		t.Errorf("readyz: %q", body)
	}
	s.drain()
	s.drain() // twice is fine
	serveGet(t, s, "/readyz", http.StatusServiceUnavailable, "text/plain")
	serveGet(t, s, "/healthz", http.StatusOK, "text/plain")
	start := time.Now()
	rec := servePost(t, s, servePNG(t, 64, 64), nil)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "2" || !strings.Contains(rec.Body.String(), "shutting down") {
		t.Errorf("analyze while draining: %d Retry-After %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("a draining server took %s to refuse, want no queue wait", d)
	}
	serveWantMetric(t, serveMetricsText(t, s), `xray_analyses_rejected_total{reason="shutting_down"}`, 1)
}

func TestRouteLabel(t *testing.T) {
	for pattern, want := range map[string]string{
		"GET /{$}": "/", "GET /assets/": "/assets/", "/api/analyze": "/api/analyze",
		"GET /metrics": "/metrics", "": "other",
	} {
		if got := routeLabel(pattern); got != want {
			t.Errorf("routeLabel(%q) = %q, want %q", pattern, got, want)
		}
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int{0: 1, 100 * time.Millisecond: 1, time.Second: 1, 1500 * time.Millisecond: 2, 5 * time.Second: 5} {
		if got := retryAfterSeconds(d); got != want {
			t.Errorf("retryAfterSeconds(%s) = %d, want %d", d, got, want)
		}
	}
}
