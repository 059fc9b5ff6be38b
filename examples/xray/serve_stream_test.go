package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/llm"
)

// slowLLM is a fake OpenAI-compatible server that streams its deltas one
// every interval and records whether a request was cancelled.
type slowLLM struct {
	*httptest.Server
	deltas   []string
	interval time.Duration
	// onRequest, when set, runs as a request arrives.
	onRequest func()
	started   chan struct{} // closed when the first request arrives
	cancelled chan struct{} // closed when a request's context ends early
	once      sync.Once
	cancel    sync.Once
}

// newSlowLLM starts the fake; it stops with the test.
func newSlowLLM(t testing.TB, interval time.Duration, deltas ...string) *slowLLM {
	f := &slowLLM{deltas: deltas, interval: interval, started: make(chan struct{}), cancelled: make(chan struct{})}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *slowLLM) serve(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	f.once.Do(func() { close(f.started) })
	if f.onRequest != nil {
		f.onRequest()
	}
	w.Header().Set("Content-Type", "text/event-stream")
	for i, d := range f.deltas {
		if i > 0 {
			select {
			case <-r.Context().Done():
				f.cancel.Do(func() { close(f.cancelled) })
				return
			case <-time.After(f.interval):
			}
		}
		chunk := map[string]any{"model": "slow-fake", "choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": d}, "finish_reason": nil}}}
		b, _ := json.Marshal(chunk)
		_, _ = fmt.Fprintf(w, "data: %s\n\n", b)
		w.(http.Flusher).Flush()
	}
	_, _ = io.WriteString(w, `data: {"model":"slow-fake","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\ndata: [DONE]\n\n")
}

// client returns an LLM client talking to the fake.
func (f *slowLLM) client(t testing.TB) llm.Client {
	t.Helper()
	c, err := llm.NewOpenAI(llm.OpenAIConfig{BaseURL: f.URL + "/v1", Model: "slow-fake"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sseEvent is one server-sent event.
type sseEvent struct {
	name string
	data string
}

// readEvent reads the next event; it returns io.EOF at the stream's end.
func readEvent(br *bufio.Reader) (sseEvent, error) {
	var ev sseEvent
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return ev, err
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "" && ev.name != "":
			return ev, nil
		case strings.HasPrefix(line, "event: "):
			ev.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.data += strings.TrimPrefix(line, "data: ")
		}
	}
}

// readAllEvents reads events until the stream ends.
func readAllEvents(t testing.TB, r io.Reader) []sseEvent {
	t.Helper()
	var evs []sseEvent
	br := bufio.NewReader(r)
	for {
		ev, err := readEvent(br)
		if err == io.EOF {
			return evs
		}
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
}

// postStream starts an upload to /api/analyze/stream on a running server.
func postStream(t testing.TB, ctx context.Context, base string, img []byte, fields map[string]string) *http.Response {
	t.Helper()
	body, ct := serveForm(t, "chest.png", img, fields)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/analyze/stream", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestAnalyzeStreamEvents checks the events' order and that they add up to
// the answer: the prediction and the CAM are those of done, and the report
// deltas, joined, are done's report, notice included.
func TestAnalyzeStreamEvents(t *testing.T) {
	fake := newSlowLLM(t, 5*time.Millisecond, "## Report\n\n", "The model ", "says ", "something.\n")
	a := serveAnalyzer(t, &xray.Options{LLM: fake.client(t)})
	srv := httptest.NewServer(newServer(a, serverConfig{Lang: "en"}))
	defer srv.Close()
	resp := postStream(t, context.Background(), srv.URL, servePNG(t, 300, 260), map[string]string{"lang": "en"})
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/event-stream") || !strings.Contains(resp.Header.Get("Cache-Control"), "no-cache") {
		t.Fatalf("status %d, Content-Type %q, Cache-Control %q", resp.StatusCode, ct, resp.Header.Get("Cache-Control"))
	}
	var names []string
	var pred, cam, done string
	var report strings.Builder
	for _, ev := range readAllEvents(t, resp.Body) {
		if len(names) == 0 || names[len(names)-1] != ev.name {
			names = append(names, ev.name)
		}
		switch ev.name {
		case eventPrediction:
			pred = ev.data
		case eventCAM:
			cam = ev.data
		case eventReport:
			var d reportDelta
			if err := json.Unmarshal([]byte(ev.data), &d); err != nil {
				t.Fatal(err)
			}
			report.WriteString(d.Text)
		case eventDone:
			done = ev.data
		}
	}
	if got := strings.Join(names, ","); got != "prediction,cam,report,done" {
		t.Fatalf("events %s", got)
	}
	var answer struct {
		Prediction json.RawMessage `json:"prediction"`
		camEvent
		Report *llm.Report `json:"report"`
	}
	if err := json.Unmarshal([]byte(done), &answer); err != nil {
		t.Fatal(err)
	}
	if string(answer.Prediction) != pred {
		t.Errorf("prediction event %s, done's %s", pred, answer.Prediction)
	}
	var ce camEvent
	if err := json.Unmarshal([]byte(cam), &ce); err != nil {
		t.Fatal(err)
	}
	if ce.OverlayPNG != answer.OverlayPNG || !strings.HasPrefix(ce.OverlayFullJPEG, "data:image/jpeg;base64,") || len(ce.CAMText.Lines) == 0 || ce.CAMText.Summary != answer.CAMText.Summary {
		t.Errorf("cam event and done disagree, or lack the full overlay or the notes")
	}
	// The deltas may differ from the final Markdown in blank space only
	// (the notice is appended to the text as streamed).
	if answer.Report == nil || strings.Join(strings.Fields(answer.Report.Markdown), " ") != strings.Join(strings.Fields(report.String()), " ") || !strings.HasPrefix(report.String(), "## Report\n\nThe model says something.") || answer.Report.Backend != "openai" {
		t.Errorf("report deltas %q, done's report %+v", report.String(), answer.Report)
	}
}

// TestAnalyzeStreamDisconnectCancels closes the connection after the
// first report delta and checks that the LLM request is cancelled and the
// only analysis slot is free again for the next request.
func TestAnalyzeStreamDisconnectCancels(t *testing.T) {
	deltas := make([]string, 200)
	for i := range deltas {
		deltas[i] = fmt.Sprintf("word%d ", i)
	}
	fake := newSlowLLM(t, 50*time.Millisecond, deltas...)
	a := serveAnalyzer(t, &xray.Options{LLM: fake.client(t)})
	srv := httptest.NewServer(newServer(a, serverConfig{Lang: "en", MaxConcurrent: 1, QueueWait: 3 * time.Second}))
	defer srv.Close()
	img := servePNG(t, 200, 200)
	ctx, disconnect := context.WithCancel(context.Background())
	defer disconnect()
	resp := postStream(t, ctx, srv.URL, img, nil)
	br := bufio.NewReader(resp.Body)
	for _, want := range []string{eventPrediction, eventCAM, eventReport} {
		ev, err := readEvent(br)
		if err != nil || ev.name != want {
			t.Fatalf("event %q (%v), want %q", ev.name, err, want)
		}
	}
	disconnect()
	_ = resp.Body.Close()
	select {
	case <-fake.cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the LLM server never saw its request cancelled")
	}
	start := time.Now()
	if _, err := servePostHTTP(t, srv.URL, img, map[string]string{"report": "false"}); err != nil {
		t.Fatalf("the next request was refused after %v: %v", time.Since(start), err)
	}
}

// TestAnalyzeStreamErrorEvent ends the analysis after the stream started
// (its context is cancelled while the LLM writes) and checks that an error
// event with the message ends the stream.
func TestAnalyzeStreamErrorEvent(t *testing.T) {
	fake := newSlowLLM(t, 200*time.Millisecond, "one ", "two ", "three")
	a := serveAnalyzer(t, &xray.Options{LLM: fake.client(t)})
	h := newServer(a, serverConfig{Lang: "en"})
	var mu sync.Mutex
	var stop context.CancelFunc
	fake.onRequest = func() {
		mu.Lock()
		defer mu.Unlock()
		stop()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		mu.Lock()
		stop = cancel
		mu.Unlock()
		h.ServeHTTP(w, r.WithContext(ctx))
	}))
	defer srv.Close()
	resp := postStream(t, context.Background(), srv.URL, servePNG(t, 200, 200), nil)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body := string(raw)
	i := strings.Index(body, "event: error\ndata: ")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "event: prediction\n") || i < 0 || strings.Contains(body, "event: done") {
		t.Fatalf("status %d, body %.400s", resp.StatusCode, body)
	}
	var e errorEvent
	if err := json.Unmarshal([]byte(strings.TrimSpace(body[i+len("event: error\ndata: "):])), &e); err != nil || !strings.Contains(e.Error, "context canceled") {
		t.Errorf("error event %q (%v)", body[i:], err)
	}
}

// TestAnalyzeStreamRefusesBeforeStarting checks that an image that does not
// decode gets the JSON 400 /api/analyze gives, not an event stream.
func TestAnalyzeStreamRefusesBeforeStarting(t *testing.T) {
	a := serveAnalyzer(t, nil)
	srv := httptest.NewServer(newServer(a, serverConfig{}))
	defer srv.Close()
	resp := postStream(t, context.Background(), srv.URL, []byte("not an image"), nil)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || serveDecode(t, raw).Error == "" {
		t.Errorf("status %d, %s", resp.StatusCode, raw)
	}
}
