package llm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xrayllm/xray/gradcam/notes"
	"github.com/xrayllm/xray/prompt"
)

const testKey = "AIzaSy-TEST-SECRET-KEY-123"

func testInputs(lang prompt.Lang) prompt.ReportInputs {
	f := 0.05
	return prompt.ReportInputs{
		Classes: []string{"NORMAL", "PNEUMONIA"},
		Probs:   []float64{0.1, 0.9},
		Pred:    1,
		Notes: &notes.Notes{
			Peak: notes.Point{X: 50, Y: 160}, PeakZone: notes.RightLower,
			Centroid: notes.Point{X: 70, Y: 130}, CentroidZone: notes.RightMiddle,
			ZoneShare: map[notes.Zone]float64{
				notes.RightUpper: 0.1, notes.RightMiddle: 0.3, notes.RightLower: 0.4,
				notes.LeftUpper: 0.05, notes.LeftMiddle: 0.05, notes.LeftLower: 0.1,
			},
			Spread: 0.2, BorderBand: 0.1, BorderShare: 0.05, Width: 224, Height: 224,
		},
		CAMMethod: "Grad-CAM", CAMLayer: "layer4",
		Faithfulness: &f,
		Lang:         lang,
	}
}

func testPrompt(t *testing.T, lang prompt.Lang) prompt.Prompt {
	t.Helper()
	p, err := prompt.Build(testInputs(lang))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// recorded is one request seen by a fake server.
type recorded struct {
	Path, RawQuery, URL string
	Header              http.Header
	Body                map[string]any
}

// fake is an httptest server answering request n with handle(n, w, r).
type fake struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func newFake(t *testing.T, handle func(n int, w http.ResponseWriter, r *http.Request)) *fake {
	t.Helper()
	f := &fake{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(b, &body)
		f.mu.Lock()
		n := len(f.reqs)
		f.reqs = append(f.reqs, recorded{Path: r.URL.Path, RawQuery: r.URL.RawQuery, URL: r.URL.String(), Header: r.Header.Clone(), Body: body})
		f.mu.Unlock()
		handle(n, w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fake) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

// assertNoKey fails when the key shows in any URL the server saw or in err.
func (f *fake) assertNoKey(t *testing.T, err error) {
	t.Helper()
	for _, r := range f.requests() {
		if strings.Contains(r.URL, testKey) {
			t.Errorf("API key in request URL %q", r.URL)
		}
	}
	if err != nil && strings.Contains(err.Error(), testKey) {
		t.Errorf("API key in error: %v", err)
	}
}

// sleeper records the waits instead of sleeping.
type sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) backoff() Backoff {
	return Backoff{
		Base: 100 * time.Millisecond, Max: 10 * time.Second,
		Sleep: func(ctx context.Context, d time.Duration) error {
			s.mu.Lock()
			s.waits = append(s.waits, d)
			s.mu.Unlock()
			return ctx.Err()
		},
		Now:  func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) },
		Rand: func() float64 { return 0 },
	}
}

func (s *sleeper) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeSSE(w http.ResponseWriter, events ...any) {
	w.Header().Set("Content-Type", "text/event-stream")
	for _, e := range events {
		var s string
		if str, ok := e.(string); ok {
			s = str
		} else {
			b, _ := json.Marshal(e)
			s = string(b)
		}
		_, _ = io.WriteString(w, "data: "+s+"\n\n")
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
	}
}

// slow blocks until the client gives up (or 5 s pass).
func slow(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
}

func isStatus(err error, code int) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code == code
}

// testCallOptions are the call options of the test clients: s's backoff,
// so that no test really sleeps, and a 2 s attempt timeout.
func testCallOptions(s *sleeper) CallOptions {
	return CallOptions{Backoff: s.backoff(), Timeout: 2 * time.Second}
}

// generate calls c.Stream with fn when stream is set, else c.Generate.
func generate(c Client, stream bool, p prompt.Prompt, fn func(string) error) (*Response, error) {
	if stream {
		return c.Stream(context.Background(), p, fn)
	}
	return c.Generate(context.Background(), p)
}

// errCase is a call that must fail against a fake server answering with
// handle; C is the client's config type, changed by mod.
type errCase[C any] struct {
	name     string
	handle   func(n int, w http.ResponseWriter, r *http.Request)
	mod      func(*C)
	stream   bool
	check    func(error) bool
	wantReqs int
	wantMsg  string
}

// runErrCases runs every case with a client from newClient and a prompt in
// lang, and checks that the error passes check and contains wantMsg, that
// the server saw wantReqs requests, that the call took less than 3 s and
// that the key shows in no URL and not in the error.
func runErrCases[C any](t *testing.T, lang prompt.Lang, cases []errCase[C], newClient func(*testing.T, *fake, func(*C)) Client) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t, c.handle)
			cl := newClient(t, f, c.mod)
			start := time.Now()
			_, err := generate(cl, c.stream, testPrompt(t, lang), nil)
			if err == nil || !c.check(err) {
				t.Fatalf("err = %v", err)
			}
			if c.wantMsg != "" && !strings.Contains(err.Error(), c.wantMsg) {
				t.Errorf("error %q lacks %q", err, c.wantMsg)
			}
			if n := len(f.requests()); n != c.wantReqs {
				t.Errorf("%d requests, want %d", n, c.wantReqs)
			}
			if time.Since(start) > 3*time.Second {
				t.Errorf("took %s", time.Since(start))
			}
			f.assertNoKey(t, err)
		})
	}
}
