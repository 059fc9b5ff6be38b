package llm

import (
	"context"
	"fmt"
	"strings"

	"github.com/xrayllm/xray/prompt"
)

// conversation is what one call sends: the system instruction and the
// turns so far.
type conversation struct {
	system string
	turns  []turn
}

// turn is one message of a conversation.
type turn struct {
	// fromModel marks the model's own earlier answer; otherwise the turn is
	// the user's.
	fromModel bool
	text      string
}

// answer is the result of one call.
type answer struct {
	text, finish, model string
	usage               Usage
}

// attemptFunc sends conv to a backend once: one HTTP request, no retry.
// With emit nil it waits for the whole answer; otherwise it streams and
// passes each text delta to emit as it arrives, stopping at emit's first
// error. It fails with a permanent ErrBlocked error when the provider
// blocked the prompt or the answer. Its errors need no "llm: backend:"
// prefix and may hold the API key: caller adds the one and removes the
// other.
type attemptFunc func(ctx context.Context, conv conversation, emit func(string) error) (answer, error)

// caller turns a backend's attemptFunc into a Client's Generate and
// Stream: it retries failed attempts (a stream only until its first
// chunk), redacts the key from errors, refuses empty answers, and
// continues an answer cut at the output-token limit once. Gemini and
// OpenAI embed it.
type caller struct {
	name      string // the backend's name, for Name and errors
	cutReason string // the finish reason of an answer cut at the limit
	max       int    // the output-token limit, for errors
	retry     retrier
	redact    redactor
	attempt   attemptFunc
}

// Name implements Client.
func (c caller) Name() string { return c.name }

// Generate implements Client. An answer cut at MaxOutputTokens is
// continued once; if it is cut again the Response is marked Truncated.
func (c caller) Generate(ctx context.Context, p prompt.Prompt) (*Response, error) {
	return c.run(ctx, p, nil)
}

// Stream implements Client: fn receives the text deltas as the backend
// sends them, continuation included. Failed attempts are retried only
// before the first chunk has reached fn. Cancelling ctx cancels the HTTP
// request.
func (c caller) Stream(ctx context.Context, p prompt.Prompt, fn func(chunk string) error) (*Response, error) {
	if fn == nil {
		fn = func(string) error { return nil }
	}
	return c.run(ctx, p, fn)
}

// run makes the first call and, when it was cut, one continuation; fn nil
// means not streaming.
func (c caller) run(ctx context.Context, p prompt.Prompt, fn func(string) error) (*Response, error) {
	conv := conversation{system: p.System, turns: []turn{{text: p.User}}}
	first, err := c.call(ctx, conv, fn)
	if err != nil {
		return nil, err
	}
	resp := &Response{Text: first.text, Usage: first.usage, Model: first.model, FinishReason: first.finish}
	if first.finish != c.cutReason {
		return resp, nil
	}
	if strings.TrimSpace(first.text) == "" {
		return nil, fmt.Errorf("llm: %s: %w: the output-token limit (%d) was reached before any text", c.name, ErrEmpty, c.max)
	}
	resp.Continued = true
	conv.turns = append(conv.turns, turn{fromModel: true, text: first.text}, turn{text: continuePrompt})
	second, err := c.call(ctx, conv, fn)
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
	resp.Truncated = second.finish == c.cutReason
	return resp, nil
}

// call runs one generation with retries.
func (c caller) call(ctx context.Context, conv conversation, fn func(string) error) (answer, error) {
	var out answer
	err := c.retry.run(ctx, func(actx context.Context) error {
		var err error
		out, err = c.once(actx, conv, fn)
		return err
	})
	return out, err
}

// once runs one attempt and sorts its outcome: a failed callback or a
// stream broken after output ends the call, an empty answer is refused,
// and every other error is prefixed and redacted.
func (c caller) once(ctx context.Context, conv conversation, fn func(string) error) (answer, error) {
	var emit func(string) error
	sent := false
	var cbErr error
	if fn != nil {
		emit = func(s string) error {
			if s == "" {
				return nil
			}
			sent = true
			if err := fn(s); err != nil {
				cbErr = err
				return err
			}
			return nil
		}
	}
	a, err := c.attempt(ctx, conv, emit)
	switch {
	case cbErr != nil:
		return a, &permanent{fmt.Errorf("llm: %s: stream callback: %w", c.name, &callbackError{cbErr})}
	case err != nil && sent:
		return a, &permanent{c.wrap(fmt.Errorf("stream broken after partial output: %w", err))}
	case err != nil:
		return a, c.wrap(err)
	case strings.TrimSpace(a.text) == "" && a.finish != c.cutReason:
		return a, &permanent{fmt.Errorf("llm: %s: %w (finish reason %q)", c.name, ErrEmpty, a.finish)}
	}
	return a, nil
}

// wrap prefixes err with the backend's name and removes the key from its
// message; a StatusError, already prefixed and redacted, stays as it is.
func (c caller) wrap(err error) error {
	if se, ok := err.(*StatusError); ok {
		return se
	}
	return &redactedError{msg: "llm: " + c.name + ": " + shorten(c.redact.str(err.Error()), 400), err: err}
}
