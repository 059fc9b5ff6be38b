package main

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/xrayllm/xray/preprocess"
)

// handleHealth answers the liveness check: the process is up. It never
// waits for an analysis slot.
func handleHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok")
}

// handleReady answers the readiness check: 200 once the model is loaded
// (a server exists only then), 503 once the server is shutting down.
func (s *server) handleReady(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.isDraining() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "shutting down")
		return
	}
	_, _ = io.WriteString(w, "ready")
}

// writeBusy answers a request acquire refused: 503 with Retry-After and
// a JSON error saying why.
func (s *server) writeBusy(w http.ResponseWriter) {
	w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(s.cfg.QueueWait)))
	msg := "the server is busy with other analyses; try again in a few seconds"
	if s.isDraining() {
		msg = "the server is shutting down; try again shortly"
	}
	writeError(w, http.StatusServiceUnavailable, errors.New(msg))
}

// retryAfterSeconds is the Retry-After sent with a 503: the queue wait
// rounded up to whole seconds, at least 1.
func retryAfterSeconds(queueWait time.Duration) int {
	return max(1, int(math.Ceil(queueWait.Seconds())))
}

// handleInfo describes the model and the choices the API accepts.
func (s *server) handleInfo(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.info())
}

// handleAnalyze runs the pipeline on an uploaded image.
func (s *server) handleAnalyze(w http.ResponseWriter, r *http.Request) {
	ar, release, ok := s.admit(w, r)
	if !ok {
		return
	}
	defer release()
	res, err := s.analyze(r.Context(), ar)
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

// admit reads an upload, runs an endpoint's own checks of it, and waits
// for an analysis slot, answering the request itself (400, 413 or 503)
// when any fails; release frees the slot.
func (s *server) admit(w http.ResponseWriter, r *http.Request, checks ...func(*analyzeRequest) error) (ar *analyzeRequest, release func(), ok bool) {
	w.Header().Set("Cache-Control", "no-store")
	ar, status, err := s.parseUpload(w, r)
	if err != nil {
		writeError(w, status, err)
		return nil, nil, false
	}
	for _, check := range checks {
		if err := check(ar); err != nil {
			writeError(w, http.StatusBadRequest, err)
			return nil, nil, false
		}
	}
	if release, ok = s.acquire(r.Context()); !ok {
		s.writeBusy(w)
		return nil, nil, false
	}
	return ar, release, true
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
