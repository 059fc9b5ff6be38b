package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/xrayllm/xray/preprocess"
)

// retryAfterSeconds is the Retry-After sent with a 503.
const retryAfterSeconds = 5

// handleHealth answers the health check.
func handleHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok")
}

// handleInfo describes the model and the choices the API accepts.
func (s *server) handleInfo(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.info())
}

// handleAnalyze runs the pipeline on an uploaded image.
func (s *server) handleAnalyze(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	ar, status, err := s.parseUpload(w, r)
	if err != nil {
		writeError(w, status, err)
		return
	}
	release, ok := s.acquire(r.Context())
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
		writeError(w, http.StatusServiceUnavailable, errors.New("the server is busy with other analyses; try again in a few seconds"))
		return
	}
	defer release()
	res, err := s.a.AnalyzeBytes(r.Context(), ar.image, ar.req)
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
