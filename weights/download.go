package weights

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// errIdle cancels a download whose server stopped sending.
var errIdle = errors.New("idle timeout")

// fetchLimits are FetchOptions' limits with the defaults filled in.
type fetchLimits struct {
	maxBytes      int64
	connect, idle time.Duration
	proxy         func(*http.Request) (*url.URL, error)
	dial          func(ctx context.Context, network, addr string) (net.Conn, error)
	progress      func(received, total int64)
}

// limitsOf fills in the defaults of o.
func limitsOf(o *FetchOptions) fetchLimits {
	l := fetchLimits{maxBytes: o.MaxBytes, connect: o.ConnectTimeout, idle: o.IdleTimeout, proxy: o.Proxy, dial: o.dial, progress: o.Progress}
	if l.maxBytes <= 0 {
		l.maxBytes = DefaultMaxDownloadBytes
	}
	if l.connect <= 0 {
		l.connect = DefaultConnectTimeout
	}
	if l.idle <= 0 {
		l.idle = DefaultIdleTimeout
	}
	if l.proxy == nil {
		l.proxy = http.ProxyFromEnvironment
	}
	if l.dial == nil {
		l.dial = (&net.Dialer{Timeout: l.connect, KeepAlive: 30 * time.Second}).DialContext
	}
	return l
}

// transport is an HTTP transport with the connect and header timeouts.
func (l fetchLimits) transport() *http.Transport {
	return &http.Transport{
		Proxy: l.proxy,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			ctx, cancel := context.WithTimeout(ctx, l.connect)
			defer cancel()
			return l.dial(ctx, network, addr)
		},
		TLSHandshakeTimeout:   l.connect,
		ResponseHeaderTimeout: l.idle,
		ForceAttemptHTTP2:     true,
	}
}

// download fetches u into dst through a temporary file in dst's directory,
// renamed into place once complete and verified against want.
func download(ctx context.Context, u *url.URL, dst, want string, opts *FetchOptions) error {
	l := limitsOf(opts)
	tr := l.transport()
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return errors.New("malformed request")
	}
	req.Header.Set("User-Agent", "xray-weights")
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return requestError(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	if resp.ContentLength > l.maxBytes {
		return fmt.Errorf("%w: the server announces %d bytes, more than the %d allowed", ErrTooLarge, resp.ContentLength, l.maxBytes)
	}
	f, err := os.CreateTemp(filepath.Dir(dst), filepath.Base(dst)+".*.partial")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // fails harmlessly once renamed
	defer f.Close()
	h := sha256.New()
	if err := l.copyBody(ctx, cancel, io.MultiWriter(f, h), resp); err != nil {
		return err
	}
	if err := finish(f, h, want); err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

// finish syncs and closes the temporary file and checks its digest.
func finish(f *os.File, h hash.Hash, want string) error {
	if err := f.Sync(); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return checkDigest(h.Sum(nil), want)
}

// copyBody copies the response body to w within the size cap, cancelling
// the request when no data arrives for the idle timeout.
func (l fetchLimits) copyBody(ctx context.Context, cancel context.CancelCauseFunc, w io.Writer, resp *http.Response) error {
	idle := time.AfterFunc(l.idle, func() { cancel(errIdle) })
	defer idle.Stop()
	buf := make([]byte, 64<<10)
	var received int64
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			idle.Reset(l.idle)
			if received += int64(n); received > l.maxBytes {
				return fmt.Errorf("%w: more than the %d bytes allowed", ErrTooLarge, l.maxBytes)
			}
			if _, werr := w.Write(buf[:n]); werr != nil {
				return fmt.Errorf("cache: %w", werr)
			}
			if l.progress != nil {
				l.progress(received, resp.ContentLength)
			}
		}
		switch {
		case err == io.EOF:
			if resp.ContentLength >= 0 && received != resp.ContentLength {
				return fmt.Errorf("%w: received %d of %d bytes", ErrCorrupt, received, resp.ContentLength)
			}
			return nil
		case err != nil:
			return bodyError(ctx, err, received, resp.ContentLength, l.idle)
		}
	}
}

// requestError says why a request failed without repeating its URL, which
// *url.Error would, query included.
func requestError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err
}

// bodyError says why reading the body stopped after received bytes.
func bodyError(ctx context.Context, err error, received, total int64, idle time.Duration) error {
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errIdle):
		return fmt.Errorf("no data for %v after %d bytes: %w", idle, received, os.ErrDeadlineExceeded)
	case ctx.Err() != nil:
		return fmt.Errorf("after %d bytes: %w", received, ctx.Err())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: received %d of %d bytes", ErrCorrupt, received, total)
	}
	return fmt.Errorf("after %d bytes: %w", received, requestError(ctx, err))
}
