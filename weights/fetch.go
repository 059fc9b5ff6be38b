package weights

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// ErrChecksum means a downloaded or cached checkpoint does not have the
// sha256 digest its file name or FetchOptions.SHA256 promises.
var ErrChecksum = errors.New("sha256 mismatch")

// DefaultMaxDownloadBytes is the largest checkpoint Fetch downloads when
// FetchOptions.MaxBytes is zero: 4 GiB, twice DefaultMaxBytes, room for a
// float64 file or a training checkpoint's extra entries.
const DefaultMaxDownloadBytes int64 = 2 * DefaultMaxBytes

// Default timeouts of Fetch.
const (
	DefaultConnectTimeout = 30 * time.Second
	DefaultIdleTimeout    = 60 * time.Second
)

// hashInName is torch.hub's HASH_REGEX: the first "-<hex>." of the file
// name holds a prefix of the file's sha256 digest.
var hashInName = regexp.MustCompile(`-([a-f0-9]*)\.`)

// FetchOptions configures Fetch. A nil *FetchOptions means the defaults.
type FetchOptions struct {
	// CacheDir holds the downloaded checkpoints; "" means DefaultCacheDir.
	CacheDir string
	// SHA256 is the full hex sha256 digest the file must have. When it is
	// empty, the hash prefix in the file name, if any, is checked instead.
	SHA256 string
	// MaxBytes caps the size of the download; 0 or negative means
	// DefaultMaxDownloadBytes.
	MaxBytes int64
	// ConnectTimeout bounds connecting to the server or proxy and the TLS
	// handshake; 0 means DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// IdleTimeout is the longest wait for the response headers and then
	// between two reads of the body that bring data; 0 means
	// DefaultIdleTimeout.
	IdleTimeout time.Duration
	// Proxy chooses the proxy of each request; nil means
	// http.ProxyFromEnvironment, which honours HTTPS_PROXY, HTTP_PROXY and
	// NO_PROXY (read once per process, and never for localhost).
	Proxy func(*http.Request) (*url.URL, error)
	// Progress, when set, is called as the body arrives with the bytes
	// received so far and the total the server announced (-1 if none).
	// It is not called on a cache hit.
	Progress func(received, total int64)

	// dial replaces net.Dialer.DialContext in tests.
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// DefaultCacheDir returns $XRAY_CACHE, else os.UserCacheDir()/xray/checkpoints.
func DefaultCacheDir() (string, error) {
	if d := os.Getenv("XRAY_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("weights: no cache directory (set XRAY_CACHE): %w", err)
	}
	return filepath.Join(d, "xray", "checkpoints"), nil
}

// IsURL reports whether s names a checkpoint Fetch downloads: an http://
// or https:// URL.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}

// Fetch returns the path of the checkpoint at rawURL in the cache,
// downloading it first if it is not there, like PyTorch's
// torch.hub.load_state_dict_from_url. opts may be nil.
//
// The file is cached under the last element of the URL's path (so two URLs
// with the same file name share one entry, as in torch.hub). As with
// torch.hub's check_hash, the first "-<lowercase hex>." in that name (the
// regular expression `-([a-f0-9]*)\.`) is a prefix of the file's sha256
// hex digest, of whatever length it has, and is checked; an empty match
// checks nothing. FetchOptions.SHA256, when given, is checked instead.
// Without either, the file is cached unverified. A cached file is verified
// again on each call that knows a hash; a mismatch is an error and the file
// is left for the user to inspect.
//
// A download is written to a uniquely named "<name>.*.partial" file in the
// cache directory, synced, verified and only then renamed into place, so
// that neither a failed download nor two processes fetching at once leave
// a partial or unverified file under the final name. Errors name the URL
// without its query, fragment or user information, which may hold tokens.
func Fetch(ctx context.Context, rawURL string, opts *FetchOptions) (string, error) {
	if opts == nil {
		opts = &FetchOptions{}
	}
	u, name, err := parseCheckpointURL(rawURL)
	if err != nil {
		return "", err
	}
	safe := redactURL(u)
	want, err := expectedHash(name, opts.SHA256)
	if err != nil {
		return "", fmt.Errorf("weights: fetch %s: %w", safe, err)
	}
	dir := opts.CacheDir
	if dir == "" {
		if dir, err = DefaultCacheDir(); err != nil {
			return "", err
		}
	}
	dst := filepath.Join(dir, name)
	if st, err := os.Stat(dst); err == nil && st.Mode().IsRegular() {
		if err := verifyFile(dst, want); err != nil {
			return "", fmt.Errorf("weights: cached %s: %w (delete it to download %s again)", dst, err, safe)
		}
		return dst, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("weights: cache: %w", err)
	}
	if err := download(ctx, u, dst, want, opts); err != nil {
		return "", fmt.Errorf("weights: fetch %s: %w", safe, err)
	}
	return dst, nil
}

// parseCheckpointURL checks that rawURL is an http(s) URL whose path ends
// in a usable file name, and returns that name.
func parseCheckpointURL(rawURL string) (*url.URL, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, "", errors.New("weights: fetch: malformed URL") // url.Error would repeat the query
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, "", fmt.Errorf("weights: fetch %s: want an http:// or https:// URL", redactURL(u))
	}
	name := path.Base(u.Path)
	if name == "." || name == "/" || name == ".." || strings.ContainsAny(name, `\:`) || !filepath.IsLocal(name) {
		return nil, "", fmt.Errorf("weights: fetch %s: the URL's path does not end in a file name", redactURL(u))
	}
	return u, name, nil
}

// redactURL drops what may hold secrets: user information, query and
// fragment.
func redactURL(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment = nil, "", false, "", ""
	s := c.String()
	if u.RawQuery != "" || u.ForceQuery {
		s += "?…"
	}
	return s
}

// expectedHash returns the full digest, or else the prefix in the file
// name, in lowercase hex; "" means no check.
func expectedHash(name, full string) (string, error) {
	if full != "" {
		full = strings.ToLower(full)
		if b, err := hex.DecodeString(full); err != nil || len(b) != sha256.Size {
			return "", errors.New("the sha256 digest must be 64 hex digits")
		}
		return full, nil
	}
	if m := hashInName.FindStringSubmatch(name); m != nil {
		return m[1], nil
	}
	return "", nil
}

// checkDigest compares a sha256 digest with want, a full digest or prefix.
func checkDigest(sum []byte, want string) error {
	got := hex.EncodeToString(sum)
	if !strings.HasPrefix(got, want) {
		what := "the full digest given"
		if len(want) < len(got) {
			what = "the prefix in the file name"
		}
		return fmt.Errorf("%w: sha256 is %s, want %s (%s)", ErrChecksum, got, want, what)
	}
	return nil
}

// verifyFile checks the file's digest against want; "" checks nothing.
func verifyFile(p, want string) error {
	if want == "" {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	return checkDigest(h.Sum(nil), want)
}
