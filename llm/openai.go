package llm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/xrayllm/xray/prompt"
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

// OpenAI is a dependency-free Client for OpenAI-compatible
// /v1/chat/completions servers: Ollama, llama.cpp server, vLLM. It is safe
// for concurrent use.
type OpenAI struct {
	endpoint string
	model    string
	key      string
	temp     float64
	max      int
	hc       *http.Client
	retry    retrier
	redact   redactor
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
	temp := DefaultTemperature
	if cfg.Temperature != nil {
		temp = *cfg.Temperature
	}
	co := cfg.CallOptions.withDefaults()
	return &OpenAI{
		endpoint: base + "/chat/completions",
		model:    cfg.Model, key: cfg.APIKey, temp: temp, max: co.MaxOutputTokens, hc: co.HTTPClient,
		retry:  co.retrier("openai"),
		redact: redactor{secret: cfg.APIKey},
		now:    co.Backoff.Now,
	}, nil
}

// Name implements Client.
func (o *OpenAI) Name() string { return "openai" }

// Model returns the configured model name.
func (o *OpenAI) Model() string { return o.model }

// Generate implements Client. An answer cut at MaxOutputTokens
// (finish_reason "length") is continued once; if it is cut again the
// Response is marked Truncated.
func (o *OpenAI) Generate(ctx context.Context, p prompt.Prompt) (*Response, error) {
	return o.run(ctx, p, nil)
}

// Stream implements Client with server-sent events. Failed attempts are
// retried only before the first chunk has reached fn.
func (o *OpenAI) Stream(ctx context.Context, p prompt.Prompt, fn func(chunk string) error) (*Response, error) {
	if fn == nil {
		fn = func(string) error { return nil }
	}
	return o.run(ctx, p, fn)
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatRequest struct {
	Model         string         `json:"model"`
	Messages      []chatMessage  `json:"messages"`
	Temperature   float64        `json:"temperature"`
	MaxTokens     int            `json:"max_tokens"`
	Stream        bool           `json:"stream,omitempty"`
	StreamOptions *streamOptions `json:"stream_options,omitempty"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

type chatUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

type chatResponse struct {
	Model   string `json:"model"`
	Choices []struct {
		Message      chatMessage `json:"message"`
		Delta        chatMessage `json:"delta"`
		FinishReason *string     `json:"finish_reason"`
	} `json:"choices"`
	Usage *chatUsage  `json:"usage"`
	Error *apiErrBody `json:"error"`
}

type apiErrBody struct {
	Message string `json:"message"`
}

// run makes the first call and, when it was cut, one continuation.
func (o *OpenAI) run(ctx context.Context, p prompt.Prompt, fn func(string) error) (*Response, error) {
	var msgs []chatMessage
	if p.System != "" {
		msgs = append(msgs, chatMessage{Role: "system", Content: p.System})
	}
	msgs = append(msgs, chatMessage{Role: "user", Content: p.User})
	first, err := o.call(ctx, msgs, fn)
	if err != nil {
		return nil, err
	}
	resp := &Response{Text: first.text, Usage: first.usage, Model: first.model, FinishReason: first.finish}
	if first.finish != "length" {
		return resp, nil
	}
	if strings.TrimSpace(first.text) == "" {
		return nil, fmt.Errorf("llm: openai: %w: the output-token limit (%d) was reached before any text", ErrEmpty, o.max)
	}
	resp.Continued = true
	msgs = append(msgs, chatMessage{Role: "assistant", Content: first.text}, chatMessage{Role: "user", Content: continuePrompt})
	second, err := o.call(ctx, msgs, fn)
	if err != nil {
		if stopErr(ctx, err) {
			return nil, err
		}
		// Keep what we have, and say it is cut.
		resp.Truncated = true
		return resp, nil
	}
	resp.Text += second.text
	resp.Usage = resp.Usage.add(second.usage)
	resp.FinishReason = second.finish
	resp.Truncated = second.finish == "length"
	return resp, nil
}

// call runs one completion with retries; fn nil means not streaming.
func (o *OpenAI) call(ctx context.Context, msgs []chatMessage, fn func(string) error) (answer, error) {
	req := chatRequest{Model: o.model, Messages: msgs, Temperature: o.temp, MaxTokens: o.max}
	if fn != nil {
		req.Stream = true
		req.StreamOptions = &streamOptions{IncludeUsage: true}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return answer{}, fmt.Errorf("llm: openai: encode request: %w", err)
	}
	var out answer
	err = o.retry.run(ctx, func(actx context.Context) error {
		var err error
		out, err = o.attempt(actx, body, fn)
		return o.redact.err(err)
	})
	return out, err
}

// attempt sends one HTTP request and reads its answer.
func (o *OpenAI) attempt(ctx context.Context, body []byte, fn func(string) error) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.endpoint, bytes.NewReader(body))
	if err != nil {
		return answer{}, &permanent{fmt.Errorf("llm: openai: new request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	if fn != nil {
		req.Header.Set("Accept", "text/event-stream")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	if o.key != "" {
		req.Header.Set("Authorization", "Bearer "+o.key)
	}
	resp, err := o.hc.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("llm: openai: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return answer{}, o.statusError(resp)
	}
	if fn == nil {
		return o.readUnary(resp.Body)
	}
	return o.readStream(resp.Body, fn)
}

// statusError reads an error answer.
func (o *OpenAI) statusError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	msg := strings.TrimSpace(string(b))
	var eb struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(b, &eb) == nil && len(eb.Error) > 0 {
		var withMsg apiErrBody
		var plain string
		switch {
		case json.Unmarshal(eb.Error, &withMsg) == nil && withMsg.Message != "":
			msg = withMsg.Message
		case json.Unmarshal(eb.Error, &plain) == nil && plain != "":
			msg = plain
		}
	}
	return &StatusError{
		Backend:    "openai",
		Code:       resp.StatusCode,
		Message:    shorten(o.redact.str(msg), 300),
		RetryAfter: ParseRetryAfter(resp.Header.Get("Retry-After"), o.now()),
	}
}

func (o *OpenAI) readUnary(r io.Reader) (answer, error) {
	b, err := io.ReadAll(io.LimitReader(r, 8<<20))
	if err != nil {
		return answer{}, fmt.Errorf("llm: openai: read response: %w", err)
	}
	var cr chatResponse
	if err := json.Unmarshal(b, &cr); err != nil {
		return answer{}, &permanent{fmt.Errorf("llm: openai: malformed response (%w): %s", err, shorten(o.redact.str(string(b)), 200))}
	}
	if cr.Error != nil {
		return answer{}, &permanent{fmt.Errorf("llm: openai: error in response: %s", shorten(o.redact.str(cr.Error.Message), 300))}
	}
	if len(cr.Choices) == 0 {
		return answer{}, &permanent{fmt.Errorf("llm: openai: %w: no choices", ErrEmpty)}
	}
	a := answer{text: cr.Choices[0].Message.Content, model: cr.Model}
	if f := cr.Choices[0].FinishReason; f != nil {
		a.finish = *f
	}
	if cr.Usage != nil {
		a.usage = Usage{cr.Usage.PromptTokens, cr.Usage.CompletionTokens, cr.Usage.TotalTokens}
	}
	return a, checkOpenAI(a)
}

// checkOpenAI fails for blocked and empty answers.
func checkOpenAI(a answer) error {
	if a.finish == "content_filter" {
		return &permanent{fmt.Errorf("llm: openai: %w: response blocked (finish_reason content_filter)", ErrBlocked)}
	}
	if strings.TrimSpace(a.text) == "" && a.finish != "length" {
		return &permanent{fmt.Errorf("llm: openai: %w (finish_reason %q)", ErrEmpty, a.finish)}
	}
	return nil
}

// readStream reads server-sent events, calling fn with each content delta.
func (o *OpenAI) readStream(r io.Reader, fn func(string) error) (answer, error) {
	var a answer
	sent := false
	fail := func(err error) (answer, error) {
		if sent {
			return a, &permanent{fmt.Errorf("llm: openai: stream broken after partial output: %w", err)}
		}
		return a, err
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	done := false
	for !done && sc.Scan() {
		line := sc.Text()
		data, ok := strings.CutPrefix(line, "data:")
		if !ok {
			continue // comments, event names, blank separators
		}
		data = strings.TrimSpace(data)
		if data == "[DONE]" {
			done = true
			break
		}
		var cr chatResponse
		if err := json.Unmarshal([]byte(data), &cr); err != nil {
			return fail(&permanent{fmt.Errorf("llm: openai: malformed stream event (%w): %s", err, shorten(o.redact.str(data), 200))})
		}
		if cr.Error != nil {
			return fail(&permanent{fmt.Errorf("llm: openai: error in stream: %s", shorten(o.redact.str(cr.Error.Message), 300))})
		}
		if cr.Model != "" {
			a.model = cr.Model
		}
		if cr.Usage != nil {
			a.usage = Usage{cr.Usage.PromptTokens, cr.Usage.CompletionTokens, cr.Usage.TotalTokens}
		}
		if len(cr.Choices) == 0 {
			continue
		}
		if f := cr.Choices[0].FinishReason; f != nil && *f != "" {
			a.finish = *f
		}
		if chunk := cr.Choices[0].Delta.Content; chunk != "" {
			a.text += chunk
			sent = true
			if err := fn(chunk); err != nil {
				return a, &permanent{fmt.Errorf("llm: openai: stream callback: %w", err)}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fail(fmt.Errorf("llm: openai: read stream: %w", err))
	}
	if !done && a.finish == "" {
		return fail(errors.New("llm: openai: stream ended without [DONE] or a finish reason"))
	}
	return a, checkOpenAI(a)
}
