package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"google.golang.org/genai"
)

// DefaultGeminiModel is the Gemini model used when none is configured: a
// current stable Flash model. (The original app's gemini-2.0-flash was shut
// down on 2026-06-01.)
const DefaultGeminiModel = "gemini-2.5-flash"

// GeminiConfig configures NewGemini. Zero fields take the defaults. The
// fields of the embedded CallOptions are set through it in a composite
// literal (GeminiConfig{APIKey: k, CallOptions: CallOptions{Timeout: d}})
// and read directly (cfg.Timeout).
type GeminiConfig struct {
	// APIKey is the Gemini API key; required. It is sent in the
	// x-goog-api-key header, never in a URL.
	APIKey string
	// Model is the model name; default DefaultGeminiModel.
	Model string
	// BaseURL overrides the API endpoint, e.g. a proxy or a test server;
	// default https://generativelanguage.googleapis.com/.
	BaseURL string
	// APIVersion is the API version in the path; default "v1beta".
	APIVersion string
	// Temperature is the sampling temperature; nil means DefaultTemperature.
	Temperature *float64
	// ThinkingBudget bounds the model's thinking tokens, which count against
	// MaxOutputTokens. Nil means 0 (no thinking) for gemini-2.5-flash
	// models, so that the whole budget goes to the report, and the model's
	// default for other models.
	ThinkingBudget *int32
	// CallOptions bound and retry each call. HTTPClient is copied, not
	// modified: the copy's transport also records Retry-After headers.
	CallOptions
}

// GeminiConfigFromEnv reads GEMINI_API_KEY, GEMINI_MODEL and
// GEMINI_API_BASE through getenv (os.Getenv in production).
func GeminiConfigFromEnv(getenv func(string) string) GeminiConfig {
	return GeminiConfig{
		APIKey:  strings.TrimSpace(getenv("GEMINI_API_KEY")),
		Model:   strings.TrimSpace(getenv("GEMINI_MODEL")),
		BaseURL: strings.TrimSpace(getenv("GEMINI_API_BASE")),
	}
}

// Gemini is a Client for the Gemini API through google.golang.org/genai.
// It is safe for concurrent use.
type Gemini struct {
	caller
	client  *genai.Client
	model   string
	temp    float32
	think   *int32
	backoff Backoff
}

// NewGemini returns a Gemini client. It makes no network call.
func NewGemini(cfg GeminiConfig) (*Gemini, error) {
	if cfg.APIKey == "" {
		return nil, fmt.Errorf("llm: gemini: %w: no API key (set GEMINI_API_KEY)", ErrConfig)
	}
	model := cfg.Model
	if model == "" {
		model = DefaultGeminiModel
	}
	co := cfg.CallOptions.withDefaults()
	think := cfg.ThinkingBudget
	if think == nil && strings.HasPrefix(strings.TrimPrefix(model, "models/"), "gemini-2.5-flash") {
		think = genai.Ptr[int32](0)
	}
	red := redactor{secret: cfg.APIKey}
	cc := &genai.ClientConfig{
		APIKey:     cfg.APIKey,
		Backend:    genai.BackendGeminiAPI,
		HTTPClient: captureClient(co.HTTPClient),
		HTTPOptions: genai.HTTPOptions{
			BaseURL:    cfg.BaseURL,
			APIVersion: cfg.APIVersion,
		},
	}
	c, err := genai.NewClient(context.Background(), cc)
	if err != nil {
		return nil, fmt.Errorf("llm: gemini: new client: %s", red.str(err.Error()))
	}
	g := &Gemini{
		client: c, model: model, temp: float32(temperature(cfg.Temperature)), think: think,
		backoff: co.Backoff,
	}
	g.caller = caller{
		name: "gemini", cutReason: string(genai.FinishReasonMaxTokens), max: min(co.MaxOutputTokens, 1<<30),
		retry: co.retrier("gemini"), redact: red, attempt: g.attempt,
	}
	return g, nil
}

// Model returns the configured model name.
func (g *Gemini) Model() string { return g.model }

// attempt is the attemptFunc of Gemini.
func (g *Gemini) attempt(ctx context.Context, conv conversation, emit func(string) error) (answer, error) {
	sink := &headerSink{}
	ctx = context.WithValue(ctx, sinkKey{}, sink)
	contents := make([]*genai.Content, 0, len(conv.turns))
	for _, t := range conv.turns {
		role := genai.Role(genai.RoleUser)
		if t.fromModel {
			role = genai.RoleModel
		}
		contents = append(contents, genai.NewContentFromText(t.text, role))
	}
	cfg := g.config(conv.system)
	var a answer
	var err error
	if emit == nil {
		a, err = g.unary(ctx, contents, cfg)
	} else {
		a, err = g.stream(ctx, contents, cfg, emit)
	}
	return a, g.statusError(err, sink)
}

// config is the generation config of one call.
func (g *Gemini) config(system string) *genai.GenerateContentConfig {
	c := &genai.GenerateContentConfig{
		Temperature:     genai.Ptr(g.temp),
		MaxOutputTokens: int32(g.max),
	}
	if system != "" {
		c.SystemInstruction = &genai.Content{Parts: []*genai.Part{{Text: system}}}
	}
	if g.think != nil {
		c.ThinkingConfig = &genai.ThinkingConfig{ThinkingBudget: genai.Ptr(*g.think)}
	}
	return c
}

func (g *Gemini) unary(ctx context.Context, contents []*genai.Content, cfg *genai.GenerateContentConfig) (answer, error) {
	r, err := g.client.Models.GenerateContent(ctx, g.model, contents, cfg)
	if err != nil {
		return answer{}, err
	}
	var a answer
	return a, a.observe(r)
}

func (g *Gemini) stream(ctx context.Context, contents []*genai.Content, cfg *genai.GenerateContentConfig, emit func(string) error) (answer, error) {
	var a answer
	for r, err := range g.client.Models.GenerateContentStream(ctx, g.model, contents, cfg) {
		if err != nil {
			return a, err
		}
		before := len(a.text)
		if err := a.observe(r); err != nil {
			return a, err
		}
		if err := emit(a.text[before:]); err != nil {
			return a, err
		}
	}
	return a, nil
}

// observe adds one (possibly streamed) response to a, failing for blocks.
func (a *answer) observe(r *genai.GenerateContentResponse) error {
	if r == nil {
		return nil
	}
	if r.PromptFeedback != nil && r.PromptFeedback.BlockReason != "" {
		return &permanent{fmt.Errorf("%w: prompt blocked (block reason %s)", ErrBlocked, r.PromptFeedback.BlockReason)}
	}
	if r.ModelVersion != "" {
		a.model = r.ModelVersion
	}
	if u := r.UsageMetadata; u != nil {
		a.usage = Usage{
			PromptTokens: int(u.PromptTokenCount),
			OutputTokens: int(u.CandidatesTokenCount + u.ThoughtsTokenCount),
			TotalTokens:  int(u.TotalTokenCount),
		}
	}
	if len(r.Candidates) == 0 || r.Candidates[0] == nil {
		return nil
	}
	c := r.Candidates[0]
	if c.Content != nil {
		for _, part := range c.Content.Parts {
			if part != nil && !part.Thought {
				a.text += part.Text
			}
		}
	}
	if c.FinishReason != "" {
		a.finish = string(c.FinishReason)
	}
	if geminiBlocked(c.FinishReason) {
		return &permanent{fmt.Errorf("%w: response blocked (finish reason %s)", ErrBlocked, c.FinishReason)}
	}
	return nil
}

// geminiBlocked reports whether a finish reason means the provider blocked
// the answer.
func geminiBlocked(f genai.FinishReason) bool {
	switch f {
	case genai.FinishReasonSafety, genai.FinishReasonRecitation, genai.FinishReasonBlocklist,
		genai.FinishReasonProhibitedContent, genai.FinishReasonSPII, genai.FinishReasonImageSafety,
		genai.FinishReasonImageProhibitedContent, genai.FinishReasonImageRecitation:
		return true
	}
	return false
}

// statusError turns a genai HTTP error into a StatusError with the
// Retry-After that sink recorded; other errors pass unchanged.
func (g *Gemini) statusError(err error, sink *headerSink) error {
	var ae genai.APIError
	if !errors.As(err, &ae) || ae.Code == 0 {
		return err
	}
	msg := ae.Message
	if msg == "" {
		msg = ae.Status
	}
	return &StatusError{
		Backend:    "gemini",
		Code:       ae.Code,
		Message:    shorten(g.redact.str(msg), 300),
		RetryAfter: ParseRetryAfter(sink.get(), g.backoff.Now()),
	}
}

// sinkKey keys the per-attempt headerSink in a request context.
type sinkKey struct{}

// headerSink receives the Retry-After header of an attempt's response.
type headerSink struct {
	mu         sync.Mutex
	retryAfter string
}

func (s *headerSink) set(v string) {
	s.mu.Lock()
	s.retryAfter = v
	s.mu.Unlock()
}

func (s *headerSink) get() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.retryAfter
}

// captureTransport records Retry-After into the request's headerSink,
// which genai's errors do not carry.
type captureTransport struct{ base http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (t captureTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if resp != nil {
		if s, ok := req.Context().Value(sinkKey{}).(*headerSink); ok {
			s.set(resp.Header.Get("Retry-After"))
		}
	}
	return resp, err
}

// captureClient returns a copy of c (or a new client) whose transport
// records Retry-After.
func captureClient(c *http.Client) *http.Client {
	var hc http.Client
	if c != nil {
		hc = *c
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc.Transport = captureTransport{base: base}
	return &hc
}
