package llm

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Default backoff parameters.
const (
	// DefaultBackoffBase is the wait before the first retry, before jitter.
	DefaultBackoffBase = 500 * time.Millisecond
	// DefaultBackoffMax caps a wait; a Retry-After above it ends the retries.
	DefaultBackoffMax = 30 * time.Second
)

// CallOptions control the calls of a client: how long the answer may be,
// how long an attempt may take, and how failed attempts are retried. They
// are embedded in GeminiConfig and OpenAIConfig. Zero fields take the
// defaults.
type CallOptions struct {
	// MaxOutputTokens bounds the answer; default DefaultMaxOutputTokens.
	MaxOutputTokens int
	// Timeout bounds each HTTP attempt; default DefaultTimeout.
	Timeout time.Duration
	// MaxRetries is the number of retries after the first attempt; 0 means
	// DefaultMaxRetries and a negative value disables retries.
	MaxRetries int
	// Backoff tunes the waits between attempts.
	Backoff Backoff
	// HTTPClient sends the requests; default a new http.Client.
	HTTPClient *http.Client
}

// withDefaults fills in the defaults. MaxRetries comes out as the number
// of retries to make: the default for 0, none for a negative value.
func (c CallOptions) withDefaults() CallOptions {
	if c.MaxOutputTokens <= 0 {
		c.MaxOutputTokens = DefaultMaxOutputTokens
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	switch {
	case c.MaxRetries == 0:
		c.MaxRetries = DefaultMaxRetries
	case c.MaxRetries < 0:
		c.MaxRetries = 0
	}
	c.Backoff = c.Backoff.withDefaults()
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	return c
}

// retrier returns the retrier of options filled in by withDefaults.
func (c CallOptions) retrier(backend string) retrier {
	return retrier{backend: backend, retries: c.MaxRetries, timeout: c.Timeout, backoff: c.Backoff}
}

// Backoff says how long to wait between attempts. Zero fields take the
// defaults; the function fields exist so that tests need no real sleeps.
type Backoff struct {
	// Base is the wait before the first retry; it doubles with every retry.
	// The wait actually used is uniform in [d/2, d) (jitter).
	Base time.Duration
	// Max caps the wait. When a server's Retry-After asks for more, the
	// client gives up at once instead of waiting.
	Max time.Duration
	// Sleep waits d or until ctx is done; default: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for Retry-After HTTP dates; default time.Now.
	Now func() time.Time
	// Rand returns a number in [0, 1) for jitter; default math/rand/v2.
	Rand func() float64
}

func (b Backoff) withDefaults() Backoff {
	if b.Base <= 0 {
		b.Base = DefaultBackoffBase
	}
	if b.Max <= 0 {
		b.Max = DefaultBackoffMax
	}
	if b.Sleep == nil {
		b.Sleep = sleepCtx
	}
	if b.Now == nil {
		b.Now = time.Now
	}
	if b.Rand == nil {
		b.Rand = rand.Float64
	}
	return b
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// delay returns the wait before retry number i (0-based), or false when a
// Retry-After exceeds Max.
func (b Backoff) delay(i int, retryAfter time.Duration) (time.Duration, bool) {
	if retryAfter > 0 {
		return retryAfter, retryAfter <= b.Max
	}
	d := b.Base
	for range i {
		d *= 2
		if d >= b.Max {
			d = b.Max
			break
		}
	}
	half := d / 2
	return half + time.Duration(b.Rand()*float64(d-half)), true
}

// ParseRetryAfter reads a Retry-After header value: delay seconds or an
// HTTP date, relative to now. It returns zero for an empty, malformed or
// past value.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 || s > 1<<31 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	if d := t.Sub(now); d > 0 {
		return d
	}
	return 0
}

// permanent marks an error that must not be retried.
type permanent struct{ err error }

func (p *permanent) Error() string { return p.err.Error() }
func (p *permanent) Unwrap() error { return p.err }

// retryable reports whether err is worth another attempt, and the wait the
// server asked for. attemptCtx is the context of the failed attempt.
func retryable(err error, attemptCtx context.Context) (bool, time.Duration) {
	var p *permanent
	if errors.As(err, &p) {
		return false, 0
	}
	var se *StatusError
	if errors.As(err, &se) {
		ok := se.Code == http.StatusRequestTimeout || se.Code == http.StatusTooManyRequests || se.Code >= 500
		return ok, se.RetryAfter
	}
	if errors.Is(attemptCtx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return true, 0
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true, 0
	}
	var ue *url.Error
	return errors.As(err, &ue), 0
}

// retrier runs attempts with a per-attempt timeout and backoff.
type retrier struct {
	backend string
	retries int
	timeout time.Duration
	backoff Backoff
}

// run calls attempt until it succeeds, fails for good, the retries are
// used up or ctx is done.
func (r retrier) run(ctx context.Context, attempt func(ctx context.Context) error) error {
	for i := 0; ; i++ {
		actx, cancel := context.WithTimeout(ctx, r.timeout)
		err := attempt(actx)
		timedOut := errors.Is(actx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
		again, wait := retryable(err, actx)
		cancel()
		if err == nil {
			return nil
		}
		if timedOut {
			err = fmt.Errorf("llm: %s: attempt timed out after %s: %w", r.backend, r.timeout, err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("llm: %s: %w (%w)", r.backend, ctx.Err(), err)
		}
		if !again {
			return err
		}
		if i >= r.retries {
			return fmt.Errorf("llm: %s: giving up after %d attempts: %w", r.backend, i+1, err)
		}
		d, ok := r.backoff.delay(i, wait)
		if !ok {
			return fmt.Errorf("llm: %s: server asked to retry after %s, more than the %s limit: %w", r.backend, wait, r.backoff.Max, err)
		}
		if serr := r.backoff.Sleep(ctx, d); serr != nil {
			return fmt.Errorf("llm: %s: waiting to retry: %w (%w)", r.backend, serr, err)
		}
	}
}
