package llm

import (
	"context"
	"errors"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xrayllm/xray/gradcam/notes"
	"github.com/xrayllm/xray/prompt"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestOfflineGolden(t *testing.T) {
	border := testInputs(prompt.English)
	border.Notes.BorderAttention, border.Notes.PeakInBorder, border.Notes.BorderShare = true, true, 0.4
	border.Probs, border.Pred = []float64{0.62, 0.38}, 0
	cases := map[string]prompt.ReportInputs{
		"offline_ko":        testInputs(prompt.Korean),
		"offline_en":        testInputs(prompt.English),
		"offline_en_border": border,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Offline{}.Compose(in)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./llm -update)", err)
			}
			if got != string(want) {
				t.Errorf("differs from %s:\n%s", path, got)
			}
			if !strings.HasSuffix(got, prompt.Disclaimer(in.Language())+"\n") {
				t.Error("no disclaimer")
			}
			for _, h := range []string{"## 1)", "## 2)", "## 3)", "## 4)"} {
				if !strings.Contains(got, h) {
					t.Errorf("missing section %s", h)
				}
			}
		})
	}
}

// TestOfflineLowConfidenceIsTheNetworks checks that a threshold deciding
// the less likely class does not make the report call the network unsure:
// "not sure either way" is about the highest probability.
func TestOfflineLowConfidenceIsTheNetworks(t *testing.T) {
	low := "the model was not sure either way"
	in := testInputs(prompt.English)
	in.Probs, in.Pred = []float64{0.0738, 0.9262}, 0 // NORMAL decided by a threshold of 0.95
	in.Decision = &prompt.Decision{Threshold: 0.95, Positive: "PNEUMONIA", Probability: 0.9262, Argmax: "PNEUMONIA", Decided: "NORMAL"}
	got, err := Offline{}.Compose(in)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got, low) {
		t.Errorf("a threshold's decision reads as an unsure network:\n%s", got)
	}
	in.Probs, in.Pred, in.Decision = []float64{0.55, 0.45}, 0, nil
	if got, _ = (Offline{}).Compose(in); !strings.Contains(got, low) {
		t.Errorf("55%% is not called unsure:\n%s", got)
	}
}

func TestOfflineVariants(t *testing.T) {
	in := testInputs(prompt.Korean)
	in.Notes = nil
	got, err := Offline{}.Compose(in)
	if err != nil || !strings.Contains(got, "Grad-CAM 메모 없음") || !strings.Contains(got, "폐렴(PNEUMONIA)") {
		t.Errorf("nil notes: %v\n%s", err, got)
	}
	in.Notes = &notes.Notes{Empty: true}
	got, _ = Offline{}.Compose(in)
	if !strings.Contains(got, "위치에 대한 해석은 하지 마세요") {
		t.Errorf("empty map:\n%s", got)
	}
	in.Lang = "xx"
	if _, err := (Offline{}).Compose(in); err == nil {
		t.Error("bad language accepted")
	}
	if _, err := (Offline{}).Generate(context.Background(), prompt.Prompt{User: "u"}); !errors.Is(err, ErrNoInputs) {
		t.Errorf("hand-made prompt: %v", err)
	}
}

// stub is a Client with canned answers.
type stub struct {
	resp *Response
	err  error
}

func (s stub) Name() string { return "stub" }
func (s stub) Generate(ctx context.Context, p prompt.Prompt) (*Response, error) {
	return s.resp, s.err
}
func (s stub) Stream(ctx context.Context, p prompt.Prompt, fn func(string) error) (*Response, error) {
	if s.resp != nil {
		if err := fn(s.resp.Text); err != nil {
			return nil, err
		}
	}
	return s.resp, s.err
}

func TestWriteReport(t *testing.T) {
	in := testInputs(prompt.English)
	disc := prompt.Disclaimer(prompt.English)

	t.Run("model omits the notice", func(t *testing.T) {
		rep, err := WriteReport(context.Background(), stub{resp: &Response{Text: "## 1) Summary\nok", Usage: Usage{1, 2, 3}, Truncated: true}}, in)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(rep.Markdown, disc+"\n") || rep.Backend != "stub" || rep.FellBack || !rep.Truncated || rep.Usage.TotalTokens != 3 {
			t.Errorf("%+v", rep)
		}
	})
	t.Run("nil client is offline", func(t *testing.T) {
		rep, err := WriteReport(context.Background(), nil, in)
		if err != nil || rep.Backend != "offline" || rep.FellBack || strings.Count(rep.Markdown, disc) != 1 {
			t.Fatalf("%v %+v", err, rep)
		}
	})
	t.Run("failure falls back", func(t *testing.T) {
		f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 503, map[string]any{"error": map[string]any{"code": 503, "message": "down " + testKey}})
		})
		g := newTestGemini(t, f, &sleeper{}, nil)
		rep, err := WriteReport(context.Background(), g, in)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.FellBack || rep.Backend != "offline" || !strings.Contains(rep.FallbackReason, "HTTP 503") {
			t.Errorf("%+v", rep)
		}
		if strings.Contains(rep.FallbackReason, testKey) || strings.Contains(rep.Markdown, testKey) {
			t.Error("key in report")
		}
		if !strings.HasSuffix(rep.Markdown, disc+"\n") {
			t.Error("no disclaimer")
		}
	})
	t.Run("blocked falls back", func(t *testing.T) {
		f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"promptFeedback": map[string]any{"blockReason": "SAFETY"}})
		})
		rep, err := WriteReport(context.Background(), newTestGemini(t, f, &sleeper{}, nil), in)
		if err != nil || !rep.FellBack || !strings.Contains(rep.FallbackReason, "blocked") {
			t.Fatalf("%v %+v", err, rep)
		}
	})
	t.Run("without fallback", func(t *testing.T) {
		_, err := WriteReport(context.Background(), stub{err: ErrBlocked}, in, WithoutFallback())
		if !errors.Is(err, ErrBlocked) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := WriteReport(ctx, stub{err: context.Canceled}, in)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("bad inputs", func(t *testing.T) {
		bad := in
		bad.Pred = 5
		if _, err := WriteReport(context.Background(), nil, bad); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("bad template", func(t *testing.T) {
		if _, err := WriteReport(context.Background(), nil, in, WithPromptOptions(prompt.WithTemplate("{{", ""))); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("stream gets the notice", func(t *testing.T) {
		var sb strings.Builder
		rep, err := WriteReport(context.Background(), stub{resp: &Response{Text: "text"}}, in, WithStream(func(s string) error { sb.WriteString(s); return nil }))
		if err != nil {
			t.Fatal(err)
		}
		if sb.String() != rep.Markdown {
			t.Errorf("streamed %q, markdown %q", sb.String(), rep.Markdown)
		}
	})
	t.Run("stream callback error stops", func(t *testing.T) {
		boom := errors.New("boom")
		_, err := WriteReport(context.Background(), stub{resp: &Response{Text: "text"}}, in, WithStream(func(s string) error { return boom }))
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		backend string
		env     map[string]string
		want    string
		wantErr bool
	}{
		{"", nil, "offline", false},
		{"", map[string]string{"GEMINI_API_KEY": "k"}, "gemini", false},
		{"offline", map[string]string{"GEMINI_API_KEY": "k"}, "offline", false},
		{"gemini", nil, "", true},
		{"openai", map[string]string{"OPENAI_MODEL": "llama3"}, "openai", false},
		{"openai", nil, "", true},
		{"claude", nil, "", true},
	}
	for _, c := range cases {
		cl, err := FromEnv(env(c.env), c.backend)
		if (err != nil) != c.wantErr || (err == nil && cl.Name() != c.want) {
			t.Errorf("FromEnv(%q, %v) = %v, %v", c.backend, c.env, cl, err)
		}
		if err != nil && strings.Contains(err.Error(), "k\"") {
			t.Errorf("error shows the key: %v", err)
		}
	}
	g := GeminiConfigFromEnv(env(map[string]string{"GEMINI_API_KEY": " k ", "GEMINI_MODEL": "gemini-x", "GEMINI_API_BASE": "http://b"}))
	if g.APIKey != "k" || g.Model != "gemini-x" || g.BaseURL != "http://b" {
		t.Errorf("%+v", g)
	}
	o := OpenAIConfigFromEnv(env(map[string]string{"OPENAI_BASE_URL": "http://o/v1", "OPENAI_MODEL": "m", "OPENAI_API_KEY": "s"}))
	if o.BaseURL != "http://o/v1" || o.Model != "m" || o.APIKey != "s" {
		t.Errorf("%+v", o)
	}
}

// TestOfflineEveryLanguage checks that every language of prompt has an
// offline template and gets the report's sections and its notice.
func TestOfflineEveryLanguage(t *testing.T) {
	for _, lang := range prompt.Languages() {
		text, err := Offline{}.Compose(testInputs(lang))
		if err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		for _, want := range []string{"## 1)", "## 2)", "## 3)", "## 4)", prompt.Disclaimer(lang)} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: offline report lacks %q", lang, want)
			}
		}
	}
}
