package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
)

// DefaultOpenAIBaseURL is the base URL used when none is configured: a
// local Ollama server.
const DefaultOpenAIBaseURL = "http://localhost:11434/v1"

// OpenAIConfig configures NewOpenAI. Zero fields take the defaults. The
// fields of the embedded CallOptions are set through it in a composite
// literal (OpenAIConfig{Model: m, CallOptions: CallOptions{Timeout: d}})
// and read directly (cfg.Timeout).
type OpenAIConfig struct {
	// BaseURL is the API root, up to and including /v1; default
	// DefaultOpenAIBaseURL. Requests go to BaseURL + "/chat/completions".
	BaseURL string
	// Model is the model name; required.
	Model string
	// APIKey is optional; when set it is sent as "Authorization: Bearer".
	APIKey string
	// Temperature is the sampling temperature; nil means DefaultTemperature.
	Temperature *float64
	// CallOptions bound and retry each call; MaxOutputTokens is sent as
	// max_tokens. HTTPClient is used as given.
	CallOptions
}

// OpenAIConfigFromEnv reads OPENAI_BASE_URL, OPENAI_MODEL and
// OPENAI_API_KEY through getenv (os.Getenv in production).
func OpenAIConfigFromEnv(getenv func(string) string) OpenAIConfig {
	return OpenAIConfig{
		BaseURL: strings.TrimSpace(getenv("OPENAI_BASE_URL")),
		Model:   strings.TrimSpace(getenv("OPENAI_MODEL")),
		APIKey:  strings.TrimSpace(getenv("OPENAI_API_KEY")),
	}
}

// OpenAI is a Client for OpenAI-compatible /v1/chat/completions servers
// (Ollama, llama.cpp server, vLLM) through github.com/openai/openai-go/v3
// with its base URL pointed at the server. The library's own retries are
// off and its environment variables unread: this package retries, and
// reads only what OpenAIConfigFromEnv names. It is safe for concurrent use.
type OpenAI struct {
	caller
	endpoint string // where the requests go
	model    string
	temp     float64
	hc       *http.Client
	chat     openai.ChatCompletionService
	now      func() time.Time
}

// NewOpenAI returns an OpenAI-compatible client. It makes no network call.
func NewOpenAI(cfg OpenAIConfig) (*OpenAI, error) {
	if cfg.Model == "" {
		return nil, fmt.Errorf("llm: openai: %w: no model (set OPENAI_MODEL)", ErrConfig)
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = DefaultOpenAIBaseURL
	}
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, fmt.Errorf("llm: openai: %w: base URL must start with http:// or https://", ErrConfig)
	}
	co := cfg.CallOptions.withDefaults()
	o := &OpenAI{
		endpoint: base + "/chat/completions",
		model:    cfg.Model, temp: temperature(cfg.Temperature), hc: co.HTTPClient,
		now: co.Backoff.Now,
	}
	o.caller = caller{
		name: "openai", cutReason: "length", max: co.MaxOutputTokens,
		retry: co.retrier("openai"), redact: redactor{secret: cfg.APIKey}, attempt: o.attempt,
	}
	// NewChatCompletionService, unlike openai.NewClient, reads no
	// environment variable (OPENAI_ORG_ID, OPENAI_CUSTOM_HEADERS, ...).
	o.chat = openai.NewChatCompletionService(
		option.WithBaseURL(base+"/"),
		option.WithAPIKey(cfg.APIKey), // no Authorization header when empty
		option.WithHTTPClient(co.HTTPClient),
		option.WithMaxRetries(0),
		option.WithMiddleware(o.statusMiddleware),
	)
	return o, nil
}

// Model returns the configured model name.
func (o *OpenAI) Model() string { return o.model }

// attempt is the attemptFunc of OpenAI.
func (o *OpenAI) attempt(ctx context.Context, conv conversation, emit func(string) error) (answer, error) {
	var msgs []openai.ChatCompletionMessageParamUnion
	if conv.system != "" {
		msgs = append(msgs, openai.SystemMessage(conv.system))
	}
	for _, t := range conv.turns {
		if t.fromModel {
			msgs = append(msgs, openai.AssistantMessage(t.text))
		} else {
			msgs = append(msgs, openai.UserMessage(t.text))
		}
	}
	params := openai.ChatCompletionNewParams{
		Model:       o.model,
		Messages:    msgs,
		Temperature: openai.Float(o.temp),
		MaxTokens:   openai.Int(int64(o.max)),
	}
	if emit == nil {
		return o.unary(ctx, params)
	}
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	return o.stream(ctx, params, emit)
}

// statusMiddleware turns every non-2xx answer into a StatusError before
// openai-go reads it: the library's own *openai.Error loses the status
// when the body's "error" is a plain string, as Ollama and proxies send,
// and does not carry Retry-After.
func (o *OpenAI) statusMiddleware(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
	resp, err := next(req)
	if err != nil || resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return resp, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	msg := strings.TrimSpace(string(b))
	if m := errorMessage(b); m != "" {
		msg = m
	}
	return nil, &StatusError{
		Backend:    "openai",
		Code:       resp.StatusCode,
		Message:    shorten(o.redact.str(msg), 300),
		RetryAfter: ParseRetryAfter(resp.Header.Get("Retry-After"), o.now()),
	}
}

// errorMessage returns the message of a body {"error": {"message": m}} or
// {"error": m}, or "" for any other body.
func errorMessage(body []byte) string {
	var eb struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &eb) != nil || len(eb.Error) == 0 {
		return ""
	}
	var withMsg struct {
		Message string `json:"message"`
	}
	var plain string
	switch {
	case json.Unmarshal(eb.Error, &withMsg) == nil && withMsg.Message != "":
		return withMsg.Message
	case json.Unmarshal(eb.Error, &plain) == nil:
		return plain
	}
	return ""
}

// unary asks for the whole answer. It reads the body itself, rather than
// letting openai-go decode it, to bound its size and to report a body that
// is not a completion as malformed.
func (o *OpenAI) unary(ctx context.Context, params openai.ChatCompletionNewParams) (answer, error) {
	var raw *http.Response
	if _, err := o.chat.New(ctx, params, option.WithResponseBodyInto(&raw)); err != nil {
		return answer{}, err
	}
	defer raw.Body.Close()
	b, err := io.ReadAll(io.LimitReader(raw.Body, 8<<20))
	if err != nil {
		return answer{}, fmt.Errorf("read response: %w", err)
	}
	var cc openai.ChatCompletion
	if err := json.Unmarshal(b, &cc); err != nil {
		return answer{}, &permanent{fmt.Errorf("malformed response (%w): %s", err, shorten(string(b), 200))}
	}
	if m := errorMessage(b); m != "" {
		return answer{}, &permanent{fmt.Errorf("error in response: %s", shorten(m, 300))}
	}
	if len(cc.Choices) == 0 {
		return answer{}, &permanent{fmt.Errorf("%w: no choices", ErrEmpty)}
	}
	a := answer{text: cc.Choices[0].Message.Content, model: cc.Model, finish: cc.Choices[0].FinishReason}
	if cc.JSON.Usage.Valid() {
		a.usage = openAIUsage(cc.Usage)
	}
	return a, openAIBlocked(a)
}

// stream reads the answer as server-sent events, passing each content
// delta to emit.
func (o *OpenAI) stream(ctx context.Context, params openai.ChatCompletionNewParams, emit func(string) error) (answer, error) {
	s := o.chat.NewStreaming(ctx, params, option.WithHeader("Accept", "text/event-stream"))
	defer s.Close()
	var a answer
	for s.Next() {
		ch := s.Current()
		if ch.Model != "" {
			a.model = ch.Model
		}
		if ch.JSON.Usage.Valid() {
			a.usage = openAIUsage(ch.Usage)
		}
		if len(ch.Choices) == 0 {
			continue
		}
		if f := ch.Choices[0].FinishReason; f != "" {
			a.finish = f
		}
		chunk := ch.Choices[0].Delta.Content
		a.text += chunk
		if err := emit(chunk); err != nil {
			return a, err
		}
	}
	if err := s.Err(); err != nil {
		return a, streamError(err)
	}
	if a.finish == "" {
		return a, errors.New("stream ended without a finish reason")
	}
	return a, openAIBlocked(a)
}

// streamError names what went wrong in a stream.
func streamError(err error) error {
	var se *ssestream.StreamError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		msg := errorMessage(se.Event.Data)
		if msg == "" {
			msg = string(se.Event.Data)
		}
		return &permanent{fmt.Errorf("error in stream: %s", shorten(msg, 300))}
	case errors.As(err, &syn), errors.As(err, &typ):
		return &permanent{fmt.Errorf("malformed stream event: %w", err)}
	}
	return err
}

// openAIUsage converts the library's token counts.
func openAIUsage(u openai.CompletionUsage) Usage {
	return Usage{int(u.PromptTokens), int(u.CompletionTokens), int(u.TotalTokens)}
}

// openAIBlocked fails for an answer stopped by the content filter.
func openAIBlocked(a answer) error {
	if a.finish == "content_filter" {
		return &permanent{fmt.Errorf("%w: response blocked (finish_reason content_filter)", ErrBlocked)}
	}
	return nil
}
