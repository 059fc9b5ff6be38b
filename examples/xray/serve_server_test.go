package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/llm"
	"github.com/xrayllm/xray/prompt"
)

func TestAnalyzeBusy(t *testing.T) {
	b := &serveBlockingLLM{started: make(chan struct{}, 4), release: make(chan struct{})}
	h := newServer(serveAnalyzer(t, &xray.Options{LLM: b}), serverConfig{MaxConcurrent: 1, QueueWait: 50 * time.Millisecond})
	img := servePNG(t, 64, 64)
	first := make(chan *httptest.ResponseRecorder)
	go func() { first <- servePost(t, h, img, nil) }()
	<-b.started // the first analysis holds the only slot
	rec := servePost(t, h, img, nil)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("second request: status %d Retry-After %q, want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	close(b.release)
	if rec := <-first; rec.Code != http.StatusOK {
		t.Errorf("first request: status %d: %s", rec.Code, rec.Body)
	}
	if rec := servePost(t, h, img, nil); rec.Code != http.StatusOK {
		t.Errorf("after release: status %d: %s", rec.Code, rec.Body)
	}
}

func TestAnalyzeClientGone(t *testing.T) {
	b := &serveBlockingLLM{started: make(chan struct{}, 4), release: make(chan struct{})}
	h := newServer(serveAnalyzer(t, &xray.Options{LLM: b}), serverConfig{MaxConcurrent: 1, QueueWait: 100 * time.Millisecond})
	body, ct := serveForm(t, "chest.png", servePNG(t, 64, 64), nil)
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest(http.MethodPost, "/api/analyze", body).WithContext(ctx)
	req.Header.Set("Content-Type", ct)
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { h.ServeHTTP(rec, req); close(done) }()
	<-b.started
	cancel() // the client disconnects while the report is being written
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler kept working after the client went away")
	}
	if rec.Code != 499 {
		t.Errorf("status %d for a cancelled request, want 499: %s", rec.Code, rec.Body)
	}
	// The slot was given back: the next request does not get 503.
	close(b.release)
	if rec := servePost(t, h, servePNG(t, 32, 32), nil); rec.Code != http.StatusOK {
		t.Errorf("status %d after cancel: %s", rec.Code, rec.Body)
	}
}

func TestAnalyzeConcurrent(t *testing.T) {
	srv := httptest.NewServer(newServer(serveAnalyzer(t, nil), serverConfig{QueueWait: time.Minute}))
	defer srv.Close()
	img := servePNG(t, 240, 240)
	const n = 8
	answers := make([]serveAnswer, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i], errs[i] = servePostHTTP(t, srv.URL, img, map[string]string{"lang": "en"})
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		p, q := answers[i].Prediction, answers[0].Prediction
		if p.Label != q.Label || fmt.Sprint(p.Logits) != fmt.Sprint(q.Logits) {
			t.Errorf("request %d: %s %v, request 0: %s %v", i, p.Label, p.Logits, q.Label, q.Logits)
		}
		if answers[i].OverlayPNG != answers[0].OverlayPNG {
			t.Errorf("request %d: overlay differs", i)
		}
	}
}

// serveBlockingLLM is an LLM that waits for release (or its context) before
// writing the offline report, and says when a call has started.
type serveBlockingLLM struct {
	started chan struct{}
	release chan struct{}
}

// Name implements llm.Client.
func (b *serveBlockingLLM) Name() string { return "blocking" }

// Generate implements llm.Client.
func (b *serveBlockingLLM) Generate(ctx context.Context, p prompt.Prompt) (*llm.Response, error) {
	b.started <- struct{}{}
	select {
	case <-b.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return llm.Offline{}.Generate(ctx, p)
}

// Stream implements llm.Client.
func (b *serveBlockingLLM) Stream(ctx context.Context, p prompt.Prompt, fn func(string) error) (*llm.Response, error) {
	r, err := b.Generate(ctx, p)
	if err == nil && fn != nil {
		err = fn(r.Text)
	}
	return r, err
}
