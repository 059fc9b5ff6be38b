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

func gemResp(text, finish string) map[string]any {
	return map[string]any{
		"candidates": []any{map[string]any{
			"content":      map[string]any{"role": "model", "parts": []any{map[string]any{"text": text}}},
			"finishReason": finish,
		}},
		"usageMetadata": map[string]any{"promptTokenCount": 100, "candidatesTokenCount": 20, "totalTokenCount": 120},
		"modelVersion":  "gemini-2.5-flash",
	}
}

func newTestGemini(t *testing.T, f *fake, s *sleeper, mod func(*GeminiConfig)) *Gemini {
	t.Helper()
	cfg := GeminiConfig{APIKey: testKey, BaseURL: f.URL, CallOptions: testCallOptions(s)}
	if mod != nil {
		mod(&cfg)
	}
	g, err := NewGemini(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestGeminiGenerateSuccess(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, gemResp("## 1) 요약", "STOP"))
	})
	s := &sleeper{}
	g := newTestGemini(t, f, s, nil)
	resp, err := g.Generate(context.Background(), testPrompt(t, prompt.Korean))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "## 1) 요약" || resp.Truncated || resp.Continued || resp.FinishReason != "STOP" {
		t.Errorf("resp = %+v", resp)
	}
	if resp.Usage != (Usage{100, 20, 120}) || resp.Model != "gemini-2.5-flash" {
		t.Errorf("usage/model = %+v %q", resp.Usage, resp.Model)
	}
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Path != "/v1beta/models/"+DefaultGeminiModel+":generateContent" {
		t.Errorf("path %q", r.Path)
	}
	if got := r.Header.Get("x-goog-api-key"); got != testKey {
		t.Errorf("x-goog-api-key = %q", got)
	}
	gc, _ := r.Body["generationConfig"].(map[string]any)
	if gc["temperature"] != 0.2 || gc["maxOutputTokens"] != float64(DefaultMaxOutputTokens) {
		t.Errorf("generationConfig = %v", gc)
	}
	if tc, _ := gc["thinkingConfig"].(map[string]any); tc == nil || tc["thinkingBudget"] != float64(0) {
		t.Errorf("thinkingConfig = %v", gc["thinkingConfig"])
	}
	sys := fmt.Sprint(r.Body["systemInstruction"])
	if !strings.Contains(sys, "당신은 영상의학과 임상보조 설명가입니다.") {
		t.Errorf("systemInstruction = %v", sys)
	}
	if strings.Contains(fmt.Sprint(r.Body["contents"]), "당신은") {
		t.Error("system instruction leaked into contents")
	}
	f.assertNoKey(t, nil)
}

func TestGeminiStream(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		writeSSE(w, gemResp("Hello, ", ""), gemResp("world", ""), gemResp("!", "STOP"))
	})
	g := newTestGemini(t, f, &sleeper{}, nil)
	var chunks []string
	resp, err := g.Stream(context.Background(), testPrompt(t, prompt.English), func(c string) error {
		chunks = append(chunks, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "Hello, world!" || strings.Join(chunks, "|") != "Hello, |world|!" || resp.FinishReason != "STOP" {
		t.Errorf("resp %+v chunks %q", resp, chunks)
	}
	r := f.requests()[0]
	if r.Path != "/v1beta/models/"+DefaultGeminiModel+":streamGenerateContent" || r.RawQuery != "alt=sse" {
		t.Errorf("stream URL %q ? %q", r.Path, r.RawQuery)
	}
	f.assertNoKey(t, nil)
}

func TestGeminiTruncation(t *testing.T) {
	cases := []struct {
		name          string
		second        string
		wantTruncated bool
	}{
		{"continued", "STOP", false},
		{"still cut", "MAX_TOKENS", true},
	}
	for _, c := range cases {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s stream=%v", c.name, stream), func(t *testing.T) {
				f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
					text, finish := "first half ", "MAX_TOKENS"
					if n > 0 {
						text, finish = "second half", c.second
					}
					if stream {
						writeSSE(w, gemResp(text, finish))
					} else {
						writeJSON(w, 200, gemResp(text, finish))
					}
				})
				g := newTestGemini(t, f, &sleeper{}, nil)
				var sb strings.Builder
				resp, err := generate(g, stream, testPrompt(t, prompt.English), func(s string) error { sb.WriteString(s); return nil })
				if err != nil {
					t.Fatal(err)
				}
				if stream && sb.String() != "first half second half" {
					t.Errorf("streamed %q", sb.String())
				}
				if resp.Text != "first half second half" || !resp.Continued || resp.Truncated != c.wantTruncated {
					t.Errorf("resp = %+v", resp)
				}
				if resp.Usage.TotalTokens != 240 {
					t.Errorf("usage not summed: %+v", resp.Usage)
				}
				reqs := f.requests()
				if len(reqs) != 2 {
					t.Fatalf("%d requests, want 2", len(reqs))
				}
				contents := fmt.Sprint(reqs[1].Body["contents"])
				if !strings.Contains(contents, "first half") || !strings.Contains(contents, "role:model") || !strings.Contains(contents, "Continue exactly where it stopped") {
					t.Errorf("continuation request contents = %s", contents)
				}
			})
		}
	}
}

func TestGeminiErrors(t *testing.T) {
	cases := []errCase[GeminiConfig]{
		{
			name: "prompt blocked",
			handle: func(n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, map[string]any{"promptFeedback": map[string]any{"blockReason": "SAFETY"}})
			},
			check: func(err error) bool { return errors.Is(err, ErrBlocked) }, wantReqs: 1, wantMsg: "prompt blocked (block reason SAFETY)",
		},
		{
			name:   "prompt blocked stream",
			stream: true,
			handle: func(n int, w http.ResponseWriter, r *http.Request) {
				writeSSE(w, map[string]any{"promptFeedback": map[string]any{"blockReason": "PROHIBITED_CONTENT"}})
			},
			check: func(err error) bool { return errors.Is(err, ErrBlocked) }, wantReqs: 1, wantMsg: "PROHIBITED_CONTENT",
		},
		{
			name:   "response blocked",
			handle: func(n int, w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, gemResp("", "SAFETY")) },
			check:  func(err error) bool { return errors.Is(err, ErrBlocked) }, wantReqs: 1, wantMsg: "finish reason SAFETY",
		},
		{
			name: "recitation",
			handle: func(n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, gemResp("partial", "RECITATION"))
			},
			check: func(err error) bool { return errors.Is(err, ErrBlocked) }, wantReqs: 1,
		},
		{
			name: "empty",
			handle: func(n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, map[string]any{"candidates": []any{}})
			},
			check: func(err error) bool { return errors.Is(err, ErrEmpty) }, wantReqs: 1,
		},
		{
			name: "503 exhaustion",
			handle: func(n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 503, map[string]any{"error": map[string]any{"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}})
			},
			mod:   func(c *GeminiConfig) { c.MaxRetries = 2 },
			check: func(err error) bool { return isStatus(err, 503) }, wantReqs: 3, wantMsg: "giving up after 3 attempts",
		},
		{
			name: "400 not retried, key echoed by server is redacted",
			handle: func(n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 400, map[string]any{"error": map[string]any{"code": 400, "message": "API key " + r.Header.Get("x-goog-api-key") + " not valid", "status": "INVALID_ARGUMENT"}})
			},
			check: func(err error) bool { return isStatus(err, 400) }, wantReqs: 1, wantMsg: "[REDACTED]",
		},
		{
			name: "malformed JSON",
			handle: func(n int, w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"candidates": [`)
			},
			check: func(err error) bool { return err != nil }, wantReqs: 1, wantMsg: "llm: gemini:",
		},
		{
			name:   "malformed stream",
			stream: true,
			handle: func(n int, w http.ResponseWriter, r *http.Request) { writeSSE(w, `{"candidates": [`) },
			check:  func(err error) bool { return err != nil }, wantReqs: 1,
		},
		{
			name:   "slow server times out",
			handle: func(n int, w http.ResponseWriter, r *http.Request) { slow(w, r) },
			mod:    func(c *GeminiConfig) { c.Timeout = 50 * time.Millisecond; c.MaxRetries = 1 },
			check:  func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }, wantReqs: 2, wantMsg: "timed out after 50ms",
		},
	}
	runErrCases(t, prompt.Korean, cases, func(t *testing.T, f *fake, mod func(*GeminiConfig)) Client {
		return newTestGemini(t, f, &sleeper{}, mod)
	})
}

func TestGeminiRetryAfter(t *testing.T) {
	now := (&sleeper{}).backoff().Now()
	cases := []struct {
		name, header string
		want         time.Duration
	}{
		{"seconds", "7", 7 * time.Second},
		{"http date", now.Add(5 * time.Second).Format(http.TimeFormat), 5 * time.Second},
		{"none: backoff", "", 50 * time.Millisecond}, // Base 100ms, Rand 0 → half
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 0 {
					if c.header != "" {
						w.Header().Set("Retry-After", c.header)
					}
					writeJSON(w, 429, map[string]any{"error": map[string]any{"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}})
					return
				}
				writeJSON(w, 200, gemResp("ok", "STOP"))
			})
			s := &sleeper{}
			g := newTestGemini(t, f, s, nil)
			resp, err := g.Generate(context.Background(), testPrompt(t, prompt.English))
			if err != nil || resp.Text != "ok" {
				t.Fatalf("%v %+v", err, resp)
			}
			if w := s.got(); len(w) != 1 || w[0] != c.want {
				t.Errorf("waits %v, want [%s]", w, c.want)
			}
			f.assertNoKey(t, err)
		})
	}
}

func TestGeminiRetryAfterTooLong(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		writeJSON(w, 429, map[string]any{"error": map[string]any{"code": 429, "message": "quota"}})
	})
	s := &sleeper{}
	g := newTestGemini(t, f, s, nil)
	_, err := g.Generate(context.Background(), testPrompt(t, prompt.English))
	if err == nil || !strings.Contains(err.Error(), "server asked to retry after 1h0m0s") || len(s.got()) != 0 {
		t.Fatalf("err %v waits %v", err, s.got())
	}
}

func TestGeminiContextCanceled(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) { slow(w, r) })
	g := newTestGemini(t, f, &sleeper{}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := g.Generate(ctx, testPrompt(t, prompt.English))
	if !errors.Is(err, context.DeadlineExceeded) || len(f.requests()) != 1 {
		t.Fatalf("err %v after %d requests", err, len(f.requests()))
	}
	f.assertNoKey(t, err)
}

func TestNewGeminiNoKey(t *testing.T) {
	if _, err := NewGemini(GeminiConfig{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("err = %v", err)
	}
}
