package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/llm"
)

// streamWriteTimeout bounds the writing of one event. It is set afresh
// before each event, so a server WriteTimeout does not cut a long report.
const streamWriteTimeout = 30 * time.Second

// The events of POST /api/analyze/stream, in the order they come.
const (
	// eventPrediction carries a predictionEvent.
	eventPrediction = "prediction"
	// eventCAM carries a camEvent.
	eventCAM = "cam"
	// eventReport carries a reportDelta, one per chunk the LLM writes.
	eventReport = "report"
	// eventDone carries the analyzeJSON that /api/analyze answers.
	eventDone = "done"
	// eventError carries an errorEvent; nothing follows it.
	eventError = "error"
)

// camEvent is the CAM part of the answer, sent before the report.
type camEvent struct {
	CAM     *camJSON `json:"cam"`
	CAMText camText  `json:"cam_text"`
	// Image is set for a DICOM file (see analyzeJSON).
	Image *imageJSON `json:"image,omitempty"`
	camImages
}

// reportDelta is one chunk of the report as the LLM writes it.
type reportDelta struct {
	Text string `json:"text"`
}

// errorEvent says why the analysis stopped after the stream started.
type errorEvent struct {
	Error string `json:"error"`
}

// handleAnalyzeStream runs the pipeline on an uploaded image, as
// handleAnalyze does, and answers with server-sent events: the prediction
// as soon as the network has run, then the CAM and its overlays, then the
// report as it is written, then the whole answer. Errors before the first
// event are JSON answers with a status, as for /api/analyze; later ones
// are an error event. A client that goes away cancels the analysis (and
// so the LLM request) and frees its slot.
func (s *server) handleAnalyzeStream(w http.ResponseWriter, r *http.Request) {
	ar, release, ok := s.admit(w, r)
	if !ok {
		return
	}
	defer release()
	ev := &eventStream{w: w, rc: http.NewResponseController(w)}
	var imgs camImages
	var imgErr error
	ar.req.Progress = func(st xray.Stage, res *xray.Result) {
		switch st {
		case xray.StagePredicted:
			ev.send(eventPrediction, predictionEvent{newAnalysisPrediction(s.a.Model().Classes(), res.Prediction), newTTAJSON(res.TTA, ar.req.Lang)})
		case xray.StageExplained:
			imgs, imgErr = newCAMImages(res, ar.colormap)
			if imgErr != nil {
				return // reported once the analysis is over
			}
			ev.send(eventCAM, camEvent{CAM: newCAMJSON(res.CAM, nil), CAMText: newCAMText(res.CAM, ar.req.Lang),
				Image: newImageJSON(res, ar.req.Lang), camImages: imgs})
		}
	}
	ar.req.ReportOptions = append(ar.req.ReportOptions, llm.WithStream(func(chunk string) error {
		return ev.send(eventReport, reportDelta{Text: chunk})
	}))
	res, aerr := s.analyze(r.Context(), ar)
	switch {
	case aerr != nil && !ev.started:
		writeError(w, analyzeStatus(r.Context(), aerr), aerr)
	case aerr != nil:
		ev.send(eventError, errorEvent{Error: aerr.Error()})
	case imgErr != nil:
		ev.send(eventError, errorEvent{Error: imgErr.Error()})
	case imgs.OverlayPNG == "":
		ev.send(eventError, errorEvent{Error: "serve: the analysis returned no CAM"})
	default:
		ev.send(eventDone, s.resultWith(res, ar, imgs))
	}
}

// eventStream writes server-sent events, flushing each one. It sends the
// headers with the first event, so that an error before it (an image
// that does not decode) is a plain JSON answer with its status. After a
// failed write it writes nothing more and every send returns that error.
type eventStream struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	started bool
	err     error
}

// start sends the headers of an event stream.
func (e *eventStream) start() {
	h := e.w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache, no-store")
	h.Set("X-Accel-Buffering", "no") // asks proxies such as nginx not to buffer
	e.w.WriteHeader(http.StatusOK)
	e.started = true
}

// send writes one event whose data is v as JSON.
func (e *eventStream) send(name string, v any) error {
	if e.err != nil {
		return e.err
	}
	if !e.started {
		e.start()
	}
	data, err := json.Marshal(v)
	if err != nil {
		name, data = eventError, []byte(`{"error":"serve: encoding the event failed"}`)
	}
	if err := e.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		e.err = fmt.Errorf("serve: event stream: %w", err)
		return e.err
	}
	if _, err := fmt.Fprintf(e.w, "event: %s\ndata: %s\n\n", name, data); err != nil {
		e.err = fmt.Errorf("serve: event stream: %w", err)
		return e.err
	}
	e.err = e.flush()
	return e.err
}

// flush pushes what was written to the client.
func (e *eventStream) flush() error {
	if err := e.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return fmt.Errorf("serve: event stream: %w", err)
	}
	return nil
}
