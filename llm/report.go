package llm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/xrayllm/xray/prompt"
)

// Report is a finished report, as WriteReport returns it.
type Report struct {
	// Markdown is the report; it always ends with prompt.Disclaimer.
	Markdown string `json:"markdown"`
	// Backend names the backend that wrote Markdown: "gemini", "openai" or
	// "offline".
	Backend string `json:"backend"`
	// Model is the model that wrote it, when known.
	Model string `json:"model,omitempty"`
	// FellBack is set when the configured backend failed and Offline wrote
	// the report instead.
	FellBack bool `json:"fell_back"`
	// FallbackReason is the backend's error when FellBack is set; it holds
	// no secret.
	FallbackReason string `json:"fallback_reason,omitempty"`
	// Truncated is set when the model's answer was cut at the token limit
	// even after one continuation.
	Truncated bool `json:"truncated"`
	// Continued is set when the answer was cut once and continued.
	Continued bool `json:"continued"`
	// Usage counts the tokens the backend reported.
	Usage Usage `json:"usage"`
}

// ReportOption changes WriteReport.
type ReportOption func(*reportOptions)

type reportOptions struct {
	prompt     []prompt.Option
	stream     func(string) error
	noFallback bool
}

// WithPromptOptions passes options, such as prompt.WithTemplate, to
// prompt.Build.
func WithPromptOptions(opts ...prompt.Option) ReportOption {
	return func(o *reportOptions) { o.prompt = append(o.prompt, opts...) }
}

// WithStream streams the report to fn as it is written. fn also receives
// the notice when it had to be appended, and the offline report, after a
// blank line, when the backend failed midway.
func WithStream(fn func(chunk string) error) ReportOption {
	return func(o *reportOptions) { o.stream = fn }
}

// WithoutFallback makes WriteReport return the backend's error instead of
// falling back to Offline.
func WithoutFallback() ReportOption {
	return func(o *reportOptions) { o.noFallback = true }
}

// WriteReport writes the report for in: it builds the prompt with
// prompt.Build, asks client (Offline when nil), and, when that fails for
// any reason other than ctx being done (an HTTP error after retries, a
// timeout, a blocked prompt, an empty or malformed answer), writes the
// offline report instead, recording FellBack and FallbackReason. The
// result always carries the not-a-diagnosis notice. It returns an error
// only for invalid inputs or templates, when ctx is done, when a stream
// callback fails, or, with WithoutFallback, when the backend fails.
func WriteReport(ctx context.Context, client Client, in prompt.ReportInputs, opts ...ReportOption) (*Report, error) {
	var o reportOptions
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	p, err := prompt.Build(in, o.prompt...)
	if err != nil {
		return nil, fmt.Errorf("llm: report: %w", err)
	}
	if client == nil {
		client = Offline{}
	}
	lang := in.Language()
	sent := false
	var stream func(string) error
	if o.stream != nil {
		stream = func(s string) error {
			if s != "" {
				sent = true
			}
			return o.stream(s)
		}
	}
	resp, err := call(ctx, client, p, stream)
	if err == nil {
		rep := &Report{Backend: client.Name(), Model: resp.Model, Truncated: resp.Truncated, Continued: resp.Continued, Usage: resp.Usage}
		rep.Markdown = prompt.EnsureDisclaimer(resp.Text, lang)
		if stream != nil {
			if err := streamSuffix(stream, resp.Text, rep.Markdown); err != nil {
				return nil, err
			}
		}
		return rep, nil
	}
	var cbErr *callbackError
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("llm: report: %w", err)
	case errors.As(err, &cbErr):
		return nil, fmt.Errorf("llm: report: stream callback: %w", cbErr.err)
	case o.noFallback:
		return nil, fmt.Errorf("llm: report: %w", err)
	}
	text, oerr := Offline{}.Compose(in)
	if oerr != nil {
		return nil, fmt.Errorf("llm: report: %w (after %s failed: %v)", oerr, client.Name(), err)
	}
	rep := &Report{
		Markdown: prompt.EnsureDisclaimer(text, lang), Backend: "offline", Model: "offline-template",
		FellBack: true, FallbackReason: err.Error(),
	}
	if stream != nil {
		chunk := rep.Markdown
		if sent {
			chunk = "\n\n" + chunk
		}
		if err := o.stream(chunk); err != nil {
			return nil, fmt.Errorf("llm: report: stream callback: %w", err)
		}
	}
	return rep, nil
}

// callbackError marks an error returned by the caller's stream callback,
// which must not trigger the fallback.
type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }
func (e *callbackError) Unwrap() error { return e.err }

// call asks the client, streaming when stream is set.
func call(ctx context.Context, c Client, p prompt.Prompt, stream func(string) error) (*Response, error) {
	if stream == nil {
		return c.Generate(ctx, p)
	}
	return c.Stream(ctx, p, func(s string) error {
		if err := stream(s); err != nil {
			return &callbackError{err}
		}
		return nil
	})
}

// streamSuffix sends what EnsureDisclaimer added to the streamed text.
func streamSuffix(stream func(string) error, streamed, final string) error {
	t := strings.TrimSpace(streamed)
	if !strings.HasPrefix(final, t) {
		return nil
	}
	suffix := final[len(t):]
	if strings.TrimSpace(suffix) == "" {
		return nil
	}
	if err := stream(suffix); err != nil {
		return fmt.Errorf("llm: report: stream callback: %w", err)
	}
	return nil
}

// stopErr reports whether err must end the work rather than be worked
// around: ctx is done or the caller's callback failed.
func stopErr(ctx context.Context, err error) bool {
	var cb *callbackError
	return ctx.Err() != nil || errors.As(err, &cb)
}
