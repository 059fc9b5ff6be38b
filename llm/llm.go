// Package llm writes the educational report with a language model: Gemini
// through google.golang.org/genai, any OpenAI-compatible
// /v1/chat/completions server (Ollama, llama.cpp, vLLM) through
// github.com/openai/openai-go/v3, or Offline, a
// deterministic template-based writer that needs no model.
//
// Most callers need only WriteReport, which builds the prompt, calls a
// Client, falls back to Offline when the call fails, and makes sure the
// report carries the not-a-diagnosis notice:
//
//	client, err := llm.FromEnv(os.Getenv, "")  // gemini if GEMINI_API_KEY is set, else offline
//	rep, err := llm.WriteReport(ctx, client, inputs)
//	fmt.Print(rep.Markdown)
//
// The clients time out each HTTP attempt (DefaultTimeout), retry 408, 429,
// 5xx and timeouts with exponential backoff and jitter honouring
// Retry-After (DefaultMaxRetries), continue a generation cut at the token
// limit once and mark it Truncated if it is still cut, and turn a blocked
// prompt or response into ErrBlocked. API keys travel in headers only and
// are redacted from every error message. Both model clients share that
// logic (caller) and differ only in how they make one attempt; both
// stream text deltas through Client.Stream, and cancelling its context
// cancels the HTTP request.
package llm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/xrayllm/xray/prompt"
)

// Defaults shared by the clients.
const (
	// DefaultTemperature is the sampling temperature of the original app.
	DefaultTemperature = 0.2
	// DefaultMaxOutputTokens leaves room for 12 Korean sentences in four
	// sections (about 600-900 tokens) with a wide margin.
	DefaultMaxOutputTokens = 2048
	// DefaultTimeout bounds each HTTP attempt.
	DefaultTimeout = 60 * time.Second
	// DefaultMaxRetries is the number of retries after the first attempt.
	DefaultMaxRetries = 3
)

// continuePrompt asks the model to go on after an answer cut at the limit.
const continuePrompt = "Your previous answer was cut off at the output limit. Continue exactly where it stopped, in the same language and format, without repeating anything already written."

// Client is a language model that can write the report.
type Client interface {
	// Generate returns the whole answer to p.
	Generate(ctx context.Context, p prompt.Prompt) (*Response, error)
	// Stream calls fn with each chunk of the answer as it arrives and
	// returns the whole answer; an error from fn stops the stream and is
	// returned.
	Stream(ctx context.Context, p prompt.Prompt, fn func(chunk string) error) (*Response, error)
	// Name names the backend: "gemini", "openai" or "offline".
	Name() string
}

// Every backend is a Client.
var (
	_ Client = (*Gemini)(nil)
	_ Client = (*OpenAI)(nil)
	_ Client = Offline{}
)

// temperature returns *t, or DefaultTemperature when t is nil.
func temperature(t *float64) float64 {
	if t == nil {
		return DefaultTemperature
	}
	return *t
}

// Usage counts tokens; zero when the backend does not report them.
type Usage struct {
	// PromptTokens counts the input tokens (summed over continuations).
	PromptTokens int `json:"prompt_tokens"`
	// OutputTokens counts the generated tokens, thinking included.
	OutputTokens int `json:"output_tokens"`
	// TotalTokens is the backend's total.
	TotalTokens int `json:"total_tokens"`
}

// add sums two usages.
func (u Usage) add(v Usage) Usage {
	return Usage{u.PromptTokens + v.PromptTokens, u.OutputTokens + v.OutputTokens, u.TotalTokens + v.TotalTokens}
}

// Response is a model's answer.
type Response struct {
	// Text is the answer, continuation included.
	Text string `json:"text"`
	// Truncated is set when the answer was still cut at the output-token
	// limit after one continuation.
	Truncated bool `json:"truncated"`
	// Usage counts the tokens of all calls made for the answer.
	Usage Usage `json:"usage"`
	// Model is the model that answered, as the backend names it.
	Model string `json:"model"`
	// FinishReason is the backend's last finish reason, e.g. "STOP" or "stop".
	FinishReason string `json:"finish_reason"`
	// Continued is set when the answer was cut once and continued.
	Continued bool `json:"continued"`
}

var (
	// ErrBlocked is returned when the backend blocked the prompt or the
	// response (safety, blocklist, prohibited content, recitation, content
	// filter).
	ErrBlocked = errors.New("blocked by the provider")
	// ErrEmpty is returned when the backend answered without text.
	ErrEmpty = errors.New("empty response")
	// ErrNoInputs is returned by Offline for a prompt not made by
	// prompt.Build, which carries no inputs to write from.
	ErrNoInputs = errors.New("prompt carries no report inputs")
	// ErrConfig is returned for an unusable configuration.
	ErrConfig = errors.New("bad configuration")
)

// StatusError is an HTTP error answer of a backend.
type StatusError struct {
	// Backend names the backend.
	Backend string
	// Code is the HTTP status code.
	Code int
	// Message is the backend's message, redacted and shortened.
	Message string
	// RetryAfter is the wait the server asked for; zero when none.
	RetryAfter time.Duration
}

// Error implements error.
func (e *StatusError) Error() string {
	msg := fmt.Sprintf("llm: %s: HTTP %d", e.Backend, e.Code)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// redactor hides a secret in error messages.
type redactor struct{ secret string }

// redactedError carries a redacted message and the original error for
// errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// str replaces every occurrence of the secret in s.
func (r redactor) str(s string) string {
	if r.secret == "" {
		return s
	}
	return strings.ReplaceAll(s, r.secret, "[REDACTED]")
}

// shorten cuts s to at most n bytes on a rune boundary.
func shorten(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
