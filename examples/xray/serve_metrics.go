package main

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/xrayllm/xray"
)

// Reasons an analysis is refused, the reason label of
// xray_analyses_rejected_total.
const (
	rejectBusy     = "busy"
	rejectShutdown = "shutting_down"
)

// serveMetrics are one server's Prometheus metrics, in a registry of its own:
// several servers (tests) never share a counter. Label values come from
// fixed sets — routes, status codes, stage and backend names — never from
// a request's path, file name or content, nor from a secret.
type serveMetrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	inFlight  prometheus.Gauge
	analyses  prometheus.Gauge
	queued    prometheus.Gauge
	rejected  *prometheus.CounterVec
	queueWait prometheus.Histogram
	stages    *prometheus.HistogramVec
	reports   *prometheus.CounterVec
	fallbacks *prometheus.CounterVec
	tokens    *prometheus.CounterVec
}

// latencyBuckets span 1 ms to 5 min: a decode takes milliseconds, a
// language model's report minutes at worst.
func latencyBuckets() []float64 { return prometheus.ExponentialBucketsRange(0.001, 300, 16) }

// newServeMetrics registers the server's metrics, with the Go runtime's and the
// process's (memory, CPU, open files), in a new registry.
func newServeMetrics() *serveMetrics {
	m := &serveMetrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "xray_http_requests_total", Help: "HTTP requests answered, by route and status code.",
		}, []string{"route", "code"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "xray_http_requests_in_flight", Help: "HTTP requests being served.",
		}),
		analyses: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "xray_analyses_in_flight", Help: "Analyses holding a slot (at most -concurrency).",
		}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "xray_analyses_queued", Help: "Analyses waiting for a slot (at most -queue-wait each).",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "xray_analyses_rejected_total", Help: "Analyses refused with 503: busy (no slot within -queue-wait) or shutting_down.",
		}, []string{"reason"}),
		queueWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "xray_analysis_queue_wait_seconds", Help: "Time an analysis waited for a slot, refused ones included.", Buckets: latencyBuckets(),
		}),
		stages: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "xray_analysis_stage_duration_seconds", Help: "Time of each stage of a finished analysis: decode, network (classification alone), cam (the Grad-CAM graph, forward pass included) and report.", Buckets: latencyBuckets(),
		}, []string{"stage"}),
		reports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "xray_llm_reports_total", Help: "Reports written, by the backend that wrote them.",
		}, []string{"backend"}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "xray_llm_fallbacks_total", Help: "Reports the configured backend failed to write, written offline instead.",
		}, []string{"backend"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "xray_llm_tokens_total", Help: "Tokens the language model reported, by backend and kind (prompt or output).",
		}, []string{"backend", "kind"}),
	}
	m.reg.MustRegister(m.requests, m.inFlight, m.analyses, m.queued, m.rejected, m.queueWait,
		m.stages, m.reports, m.fallbacks, m.tokens,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// handler serves the registry in the Prometheus text format.
func (m *serveMetrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// observeAnalysis records a finished analysis: the time of each stage
// that ran, and the report's backend, fallback and tokens. configured
// names the backend the server was started with.
func (m *serveMetrics) observeAnalysis(res *xray.Result, configured string) {
	for stage, d := range map[string]time.Duration{
		"decode": res.Timings.Decode, "network": res.Timings.Network,
		"cam": res.Timings.CAM, "report": res.Timings.Report,
	} {
		if d > 0 {
			m.stages.WithLabelValues(stage).Observe(d.Seconds())
		}
	}
	rep := res.Report
	if rep == nil {
		return
	}
	m.reports.WithLabelValues(rep.Backend).Inc()
	if rep.FellBack {
		m.fallbacks.WithLabelValues(configured).Inc()
	}
	m.tokens.WithLabelValues(rep.Backend, "prompt").Add(float64(rep.Usage.PromptTokens))
	m.tokens.WithLabelValues(rep.Backend, "output").Add(float64(rep.Usage.OutputTokens))
}

// countRequests counts each request by route and status, and the
// requests in flight. The route is the pattern the mux matched (set on the
// request as it routes), without its method; "other" when none matched.
func countRequests(m *serveMetrics, h http.Handler) http.Handler {
	return promhttp.InstrumentHandlerInFlight(m.inFlight, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			m.requests.WithLabelValues(routeLabel(r.Pattern), strconv.Itoa(rec.status)).Inc()
		}()
		h.ServeHTTP(rec, r)
	}))
}

// routeLabel turns a mux pattern such as "GET /{$}" into a route label
// such as "/".
func routeLabel(pattern string) string {
	if pattern == "" {
		return "other"
	}
	if _, path, ok := strings.Cut(pattern, " "); ok {
		pattern = path
	}
	return strings.TrimSuffix(pattern, "{$}")
}
