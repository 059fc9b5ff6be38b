package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xrayllm/xray/prompt"
)

func oaResp(text, finish string) map[string]any {
	return map[string]any{
		"model":   "llama3",
		"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": text}, "finish_reason": finish}},
		"usage":   map[string]any{"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60},
	}
}

func oaDelta(text string, finish any) map[string]any {
	return map[string]any{"model": "llama3", "choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": text}, "finish_reason": finish}}}
}

func newTestOpenAI(t *testing.T, f *fake, s *sleeper, mod func(*OpenAIConfig)) *OpenAI {
	t.Helper()
	cfg := OpenAIConfig{BaseURL: f.URL + "/v1", Model: "llama3", APIKey: testKey, CallOptions: testCallOptions(s)}
	if mod != nil {
		mod(&cfg)
	}
	o, err := NewOpenAI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestOpenAIGenerateSuccess(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, oaResp("report", "stop")) })
	o := newTestOpenAI(t, f, &sleeper{}, nil)
	resp, err := o.Generate(context.Background(), testPrompt(t, prompt.Korean))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "report" || resp.Usage != (Usage{50, 10, 60}) || resp.Model != "llama3" || resp.FinishReason != "stop" {
		t.Errorf("resp = %+v", resp)
	}
	r := f.requests()[0]
	if r.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer "+testKey {
		t.Errorf("path %q auth %q", r.Path, r.Header.Get("Authorization"))
	}
	msgs, _ := r.Body["messages"].([]any)
	if len(msgs) != 2 || !strings.Contains(fmt.Sprint(msgs[0]), "role:system") || !strings.Contains(fmt.Sprint(msgs[1]), "role:user") {
		t.Errorf("messages = %v", msgs)
	}
	if r.Body["temperature"] != 0.2 || r.Body["max_tokens"] != float64(DefaultMaxOutputTokens) || r.Body["stream"] != nil {
		t.Errorf("body = %v", r.Body)
	}
	f.assertNoKey(t, nil)
}

func TestOpenAINoKeyNoHeader(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, oaResp("x", "stop")) })
	o := newTestOpenAI(t, f, &sleeper{}, func(c *OpenAIConfig) { c.APIKey = "" })
	if _, err := o.Generate(context.Background(), testPrompt(t, prompt.English)); err != nil {
		t.Fatal(err)
	}
	if h := f.requests()[0].Header.Get("Authorization"); h != "" {
		t.Errorf("Authorization %q without a key", h)
	}
}

func TestOpenAIStream(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		writeSSE(w, oaDelta("Hel", nil), oaDelta("lo", nil), oaDelta("", "stop"),
			map[string]any{"choices": []any{}, "usage": map[string]any{"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}},
			"[DONE]")
	})
	o := newTestOpenAI(t, f, &sleeper{}, nil)
	var chunks []string
	resp, err := o.Stream(context.Background(), testPrompt(t, prompt.English), func(c string) error { chunks = append(chunks, c); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "Hello" || strings.Join(chunks, "|") != "Hel|lo" || resp.Usage != (Usage{5, 2, 7}) || resp.FinishReason != "stop" {
		t.Errorf("resp %+v chunks %q", resp, chunks)
	}
	b := f.requests()[0].Body
	if b["stream"] != true || fmt.Sprint(b["stream_options"]) != "map[include_usage:true]" {
		t.Errorf("body %v", b)
	}
}

func TestOpenAITruncation(t *testing.T) {
	for _, second := range []string{"stop", "length"} {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s stream=%v", second, stream), func(t *testing.T) {
				f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
					text, finish := "part one, ", "length"
					if n > 0 {
						text, finish = "part two", second
					}
					if stream {
						writeSSE(w, oaDelta(text, finish), "[DONE]")
					} else {
						writeJSON(w, 200, oaResp(text, finish))
					}
				})
				o := newTestOpenAI(t, f, &sleeper{}, nil)
				resp, err := generate(o, stream, testPrompt(t, prompt.English), nil)
				if err != nil {
					t.Fatal(err)
				}
				if resp.Text != "part one, part two" || !resp.Continued || resp.Truncated != (second == "length") {
					t.Errorf("resp %+v", resp)
				}
				reqs := f.requests()
				if len(reqs) != 2 {
					t.Fatalf("%d requests", len(reqs))
				}
				msgs := fmt.Sprint(reqs[1].Body["messages"])
				if !strings.Contains(msgs, "role:assistant") || !strings.Contains(msgs, "part one") {
					t.Errorf("continuation messages %s", msgs)
				}
			})
		}
	}
}

func TestOpenAIErrors(t *testing.T) {
	cases := []errCase[OpenAIConfig]{
		{
			name:   "content filter",
			handle: func(n int, w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, oaResp("", "content_filter")) },
			check:  func(err error) bool { return errors.Is(err, ErrBlocked) }, wantReqs: 1,
		},
		{
			name:   "content filter stream",
			stream: true,
			handle: func(n int, w http.ResponseWriter, r *http.Request) {
				writeSSE(w, oaDelta("", "content_filter"), "[DONE]")
			},
			check: func(err error) bool { return errors.Is(err, ErrBlocked) }, wantReqs: 1,
		},
		{
			name: "503 exhaustion",
			handle: func(n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 503, map[string]any{"error": map[string]any{"message": "model loading"}})
			},
			check: func(err error) bool { return isStatus(err, 503) }, wantReqs: 4, wantMsg: "giving up after 4 attempts",
		},
		{
			name: "401 echoing the key",
			handle: func(n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 401, map[string]any{"error": map[string]any{"message": "bad key " + r.Header.Get("Authorization")}})
			},
			check: func(err error) bool { return isStatus(err, 401) }, wantReqs: 1, wantMsg: "[REDACTED]",
		},
		{
			name: "malformed JSON",
			handle: func(n int, w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, `{"choices": [ oops`)
			},
			check: func(err error) bool { return err != nil }, wantReqs: 1, wantMsg: "malformed response",
		},
		{
			name:   "malformed stream",
			stream: true,
			handle: func(n int, w http.ResponseWriter, r *http.Request) { writeSSE(w, `{"choices": [`) },
			check:  func(err error) bool { return err != nil }, wantReqs: 1, wantMsg: "malformed stream event",
		},
		{
			name:   "stream cut",
			stream: true,
			handle: func(n int, w http.ResponseWriter, r *http.Request) { writeSSE(w, oaDelta("Hel", nil)) },
			check:  func(err error) bool { return err != nil }, wantReqs: 1, wantMsg: "broken after partial output",
		},
		{
			name:   "slow server times out",
			handle: func(n int, w http.ResponseWriter, r *http.Request) { slow(w, r) },
			mod:    func(c *OpenAIConfig) { c.Timeout = 50 * time.Millisecond; c.MaxRetries = -1 },
			check:  func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }, wantReqs: 1, wantMsg: "timed out after 50ms",
		},
	}
	runErrCases(t, prompt.English, cases, func(t *testing.T, f *fake, mod func(*OpenAIConfig)) Client {
		return newTestOpenAI(t, f, &sleeper{}, mod)
	})
}

func TestOpenAI429ThenSuccess(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n < 2 {
			if n == 0 {
				w.Header().Set("Retry-After", "2")
			}
			writeJSON(w, 429, map[string]any{"error": "rate limited"})
			return
		}
		writeJSON(w, 200, oaResp("done", "stop"))
	})
	s := &sleeper{}
	o := newTestOpenAI(t, f, s, nil)
	resp, err := o.Generate(context.Background(), testPrompt(t, prompt.English))
	if err != nil || resp.Text != "done" {
		t.Fatalf("%v %+v", err, resp)
	}
	// First wait from Retry-After, second from backoff: 100ms*2 halved (Rand 0).
	if w := s.got(); len(w) != 2 || w[0] != 2*time.Second || w[1] != 100*time.Millisecond {
		t.Errorf("waits %v", w)
	}
}

func TestNewOpenAIConfig(t *testing.T) {
	if _, err := NewOpenAI(OpenAIConfig{}); !errors.Is(err, ErrConfig) {
		t.Errorf("no model: %v", err)
	}
	if _, err := NewOpenAI(OpenAIConfig{Model: "m", BaseURL: "localhost:11434"}); !errors.Is(err, ErrConfig) {
		t.Errorf("bad URL: %v", err)
	}
	o, err := NewOpenAI(OpenAIConfig{Model: "m"})
	if err != nil || o.endpoint != DefaultOpenAIBaseURL+"/chat/completions" {
		t.Errorf("%v %+v", err, o)
	}
}

func TestCallOptionsDefaults(t *testing.T) {
	d := CallOptions{}.withDefaults()
	if d.MaxOutputTokens != DefaultMaxOutputTokens || d.Timeout != DefaultTimeout || d.MaxRetries != DefaultMaxRetries ||
		d.HTTPClient == nil || d.Backoff.Base != DefaultBackoffBase || d.Backoff.Max != DefaultBackoffMax || d.Backoff.Sleep == nil {
		t.Errorf("defaults %+v", d)
	}
	hc := &http.Client{Timeout: time.Minute}
	set := CallOptions{MaxOutputTokens: 10, Timeout: time.Second, MaxRetries: 5, HTTPClient: hc}.withDefaults()
	if set.MaxOutputTokens != 10 || set.Timeout != time.Second || set.MaxRetries != 5 || set.HTTPClient != hc {
		t.Errorf("set %+v", set)
	}
	if r := (CallOptions{MaxRetries: -1}).withDefaults().MaxRetries; r != 0 {
		t.Errorf("negative MaxRetries gives %d retries, want 0", r)
	}
	// Gemini copies the client; OpenAI uses it as given.
	g, err := NewGemini(GeminiConfig{APIKey: testKey, CallOptions: CallOptions{HTTPClient: hc}})
	if err != nil || hc.Transport != nil || g.max != DefaultMaxOutputTokens {
		t.Errorf("gemini: %v, transport %v, max %d", err, hc.Transport, g.max)
	}
	o, err := NewOpenAI(OpenAIConfig{Model: "m", CallOptions: CallOptions{HTTPClient: hc, MaxOutputTokens: 7}})
	if err != nil || o.hc != hc || o.max != 7 || o.retry.retries != DefaultMaxRetries || o.retry.timeout != DefaultTimeout {
		t.Errorf("openai: %v %+v", err, o)
	}
}

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Base: time.Second, Max: 5 * time.Second, Rand: func() float64 { return 0.5 }}.withDefaults()
	want := []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond, 3 * time.Second, 3750 * time.Millisecond, 3750 * time.Millisecond}
	for i, w := range want {
		if d, ok := b.delay(i, 0); !ok || d != w {
			t.Errorf("delay(%d) = %s, want %s", i, d, w)
		}
	}
	if _, ok := b.delay(0, 6*time.Second); ok {
		t.Error("Retry-After above Max accepted")
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := map[string]time.Duration{
		"":  0,
		"3": 3 * time.Second, " 10 ": 10 * time.Second, "-1": 0, "abc": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Minute).Format(http.TimeFormat):     0,
	}
	for in, want := range cases {
		if got := ParseRetryAfter(in, now); got != want {
			t.Errorf("ParseRetryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"1", "Wed, 21 Oct 2015 07:28:00 GMT", "", "99999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d := ParseRetryAfter(s, time.Unix(0, 0)); d < 0 {
			t.Errorf("negative %s", d)
		}
	})
}
