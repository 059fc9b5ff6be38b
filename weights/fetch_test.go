package weights

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestMain lets the test binary act as a second process fetching a URL
// (see runFetchProcess) when XRAY_FETCH_URL is set.
func TestMain(m *testing.M) {
	if u := os.Getenv("XRAY_FETCH_URL"); u != "" {
		p, err := Fetch(context.Background(), u, &FetchOptions{CacheDir: os.Getenv("XRAY_FETCH_DIR")})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Print(p)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// checkpointBytes is the content served: a real checkpoint, so that the
// cached file also loads.
func checkpointBytes(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/sd_zip.pt")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hashedName is name-<first n hex digits of b's sha256>.pth.
func hashedName(name string, b []byte, n int) string {
	sum := sha256.Sum256(b)
	return fmt.Sprintf("%s-%s.pth", name, hex.EncodeToString(sum[:])[:n])
}

// serve returns a server of b at every path and a counter of requests.
func serve(t *testing.T, b []byte) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// assertCacheHolds fails unless dir holds exactly the names given: no
// .partial file, nothing unverified.
func assertCacheHolds(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if fmt.Sprint(got) != fmt.Sprint(names) {
		t.Errorf("cache holds %v, want %v", got, names)
	}
}

// TestFetchDownloadsOnceThenHitsCache: the first call downloads and
// verifies the name's hash prefix, the second is served from the cache
// with the server stopped.
func TestFetchDownloadsOnceThenHitsCache(t *testing.T) {
	b := checkpointBytes(t)
	srv, requests := serve(t, b)
	dir := t.TempDir()
	name := hashedName("resnet34", b, 8)
	var calls, last, total int64
	opts := &FetchOptions{CacheDir: dir, Progress: func(n, tot int64) { calls, last, total = calls+1, n, tot }}
	p, err := Fetch(context.Background(), srv.URL+"/models/"+name, opts)
	if err != nil {
		t.Fatal(err)
	}
	if p != filepath.Join(dir, name) {
		t.Errorf("path %s, want %s", p, filepath.Join(dir, name))
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, b) {
		t.Error("cached file differs from the served one")
	}
	if calls == 0 || last != int64(len(b)) || total != int64(len(b)) {
		t.Errorf("progress: %d calls, last (%d, %d), want (%d, %d)", calls, last, total, len(b), len(b))
	}
	if _, err := Load(p, nil); err != nil {
		t.Errorf("cached checkpoint does not load: %v", err)
	}
	srv.Close()
	p2, err := Fetch(context.Background(), srv.URL+"/models/"+name, opts)
	if err != nil || p2 != p {
		t.Fatalf("cache hit with the server stopped: %q, %v", p2, err)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	assertCacheHolds(t, dir, name)
}

// TestFetchRefusesAndLeavesNothing: each failure gives an error saying what
// happened and leaves the cache empty.
func TestFetchRefusesAndLeavesNothing(t *testing.T) {
	b := checkpointBytes(t)
	good := hashedName("m", b, 10)
	tests := []struct {
		name    string
		handler http.HandlerFunc
		file    string
		opts    FetchOptions
		want    error
		message string
	}{
		{name: "hash prefix mismatch", file: "m-deadbeef.pth", want: ErrChecksum, message: "want deadbeef (the prefix in the file name)"},
		{name: "full hash mismatch", file: good, opts: FetchOptions{SHA256: strings.Repeat("ab", 32)}, want: ErrChecksum, message: "want abab"},
		{name: "404", file: good, handler: func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, message: "HTTP 404 Not Found"},
		{name: "truncated", file: good, handler: truncatedHandler(b), want: ErrCorrupt, message: fmt.Sprintf("of %d bytes", len(b))},
		{name: "announced size over the cap", file: good, opts: FetchOptions{MaxBytes: 100}, want: ErrTooLarge, message: fmt.Sprintf("announces %d bytes", len(b))},
		{name: "streamed size over the cap", file: good, handler: chunkedHandler(b), opts: FetchOptions{MaxBytes: 100}, want: ErrTooLarge, message: "more than the 100 bytes"},
		{name: "slow body", file: good, handler: stallingHandler(b[:100], true), opts: FetchOptions{IdleTimeout: 200 * time.Millisecond}, want: os.ErrDeadlineExceeded, message: "no data for 200ms after 100 bytes"},
		{name: "slow headers", file: good, handler: stallingHandler(nil, false), opts: FetchOptions{IdleTimeout: 200 * time.Millisecond}, message: "timeout awaiting response headers"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.handler
			if h == nil {
				h = func(w http.ResponseWriter, r *http.Request) {
					http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
				}
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			dir := filepath.Join(t.TempDir(), "cache")
			tc.opts.CacheDir = dir
			start := time.Now()
			_, err := Fetch(context.Background(), srv.URL+"/"+tc.file, &tc.opts)
			if err == nil {
				t.Fatal("accepted")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %q does not wrap %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.message) || !strings.Contains(err.Error(), srv.URL+"/"+tc.file) {
				t.Errorf("error %q should name the URL and say %q", err, tc.message)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
			assertCacheHolds(t, dir)
		})
	}
}

// truncatedHandler announces all of b and sends half, then hangs up.
func truncatedHandler(b []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", len(b))
		buf.Write(b[:len(b)/2])
		buf.Flush()
	}
}

// chunkedHandler sends b without a Content-Length.
func chunkedHandler(b []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for c := range slices.Chunk(b, 64) {
			w.Write(c)
			http.NewResponseController(w).Flush()
		}
	}
}

// stallingHandler sends head (after the headers when sendHeaders) and then
// nothing until the client gives up.
func stallingHandler(head []byte, sendHeaders bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if sendHeaders {
			w.Header().Set("Content-Length", "100000")
			w.Write(head)
			http.NewResponseController(w).Flush()
		}
		<-r.Context().Done()
	}
}

// TestFetchConnectTimeout dials a server that never answers.
func TestFetchConnectTimeout(t *testing.T) {
	hang := func(ctx context.Context, network, addr string) (net.Conn, error) {
		<-ctx.Done()
		return nil, &net.OpError{Op: "dial", Net: network, Err: ctx.Err()}
	}
	dir := filepath.Join(t.TempDir(), "cache")
	start := time.Now()
	_, err := Fetch(context.Background(), "http://checkpoints.invalid/m.pth", &FetchOptions{CacheDir: dir, ConnectTimeout: 100 * time.Millisecond, dial: hang})
	if err == nil || !strings.Contains(err.Error(), "dial") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Fetch = %v, want a dial deadline error", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v", d)
	}
	assertCacheHolds(t, dir)
}

// TestFetchCancelled stops a download half way through.
func TestFetchCancelled(t *testing.T) {
	b := checkpointBytes(t)
	ctx, cancel := context.WithCancel(context.Background())
	srv := httptest.NewServer(stallingHandler(b[:10], true))
	defer srv.Close()
	dir := t.TempDir()
	opts := &FetchOptions{CacheDir: dir, Progress: func(int64, int64) { cancel() }}
	if _, err := Fetch(ctx, srv.URL+"/m.pth", opts); !errors.Is(err, context.Canceled) {
		t.Errorf("Fetch = %v, want context.Canceled", err)
	}
	assertCacheHolds(t, dir)
}

// TestFetchRedactsSecrets: neither the query nor user information reach
// an error.
func TestFetchRedactsSecrets(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	dir := t.TempDir()
	u, _ := url.Parse(srv.URL)
	for _, raw := range []string{
		srv.URL + "/m.pth?token=s3cr3t&sig=s3cr3t",
		"http://user:s3cr3t@" + u.Host + "/m.pth",
		srv.URL + "/m.pth#s3cr3t",
		"ftp://" + u.Host + "/m.pth?token=s3cr3t",
		srv.URL + "/?token=s3cr3t",
		"http://" + u.Host + "/m.pth?token=s3cr3t%zz",
	} {
		_, err := Fetch(context.Background(), raw, &FetchOptions{CacheDir: dir})
		if err == nil || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("Fetch(%s) = %v, want an error without the secret", raw, err)
		}
	}
}

// TestFetchFullHash: a full -weights-sha256 replaces the name's prefix,
// and is checked again on a cache hit.
func TestFetchFullHash(t *testing.T) {
	b := checkpointBytes(t)
	srv, _ := serve(t, b)
	dir := t.TempDir()
	sum := sha256.Sum256(b)
	full := strings.ToUpper(hex.EncodeToString(sum[:]))
	if _, err := Fetch(context.Background(), srv.URL+"/m-2.0.pth", &FetchOptions{CacheDir: dir, SHA256: full}); err != nil {
		t.Fatalf("full hash: %v", err)
	}
	_, err := Fetch(context.Background(), srv.URL+"/m-2.0.pth", &FetchOptions{CacheDir: dir, SHA256: strings.Repeat("0", 64)})
	if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), "cached") {
		t.Errorf("cache hit with another hash = %v, want ErrChecksum naming the cached file", err)
	}
	if _, err := Fetch(context.Background(), srv.URL+"/m.pth", &FetchOptions{CacheDir: dir, SHA256: "abc"}); err == nil || !strings.Contains(err.Error(), "64 hex digits") {
		t.Errorf("short hash = %v", err)
	}
}

// TestFetchCorruptedCache: a cached file that no longer matches its name's
// prefix is reported, not served.
func TestFetchCorruptedCache(t *testing.T) {
	b := checkpointBytes(t)
	dir := t.TempDir()
	name := hashedName("m", b, 8)
	if err := os.WriteFile(filepath.Join(dir, name), b[:10], 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Fetch(context.Background(), "http://127.0.0.1:1/"+name, &FetchOptions{CacheDir: dir})
	if !errors.Is(err, ErrChecksum) {
		t.Errorf("Fetch = %v, want ErrChecksum", err)
	}
}

// TestHashInName mirrors torch.hub's HASH_REGEX.search.
func TestHashInName(t *testing.T) {
	tests := map[string]string{
		"resnet34-b627a593.pth":        "b627a593",
		"resnet18-f37072fd.pth":        "f37072fd",
		"model.pth":                    "",
		"model-.pth":                   "", // empty match: torch checks nothing
		"a-b.c-0123.pth":               "b",
		"vit_b_16-C867DB91.pth":        "", // uppercase is not matched
		"m-v2.pth":                     "",
		"best_resnet34_addval.pth":     "",
		"x-0123456789abcdef.tar.pth":   "0123456789abcdef",
		"model-2.0.safetensors":        "2",
		"densenet121-a639ec97.pth?x=1": "a639ec97",
	}
	for name, want := range tests {
		got, err := expectedHash(name, "")
		if err != nil || got != want {
			t.Errorf("expectedHash(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
}

// TestFetchConcurrent: two fetches of one URL at once, their downloads
// overlapping, both return the verified file and leave nothing else.
func TestFetchConcurrent(t *testing.T) {
	b := checkpointBytes(t)
	var arrived sync.WaitGroup
	arrived.Add(2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Done()
		arrived.Wait() // both requests are in flight before either is answered
		chunkedHandler(b)(w, r)
	}))
	defer srv.Close()
	dir := t.TempDir()
	name := hashedName("m", b, 16)
	var wg sync.WaitGroup
	paths, errs := make([]string, 2), make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			paths[i], errs[i] = Fetch(context.Background(), srv.URL+"/"+name, &FetchOptions{CacheDir: dir})
		})
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil || paths[i] != filepath.Join(dir, name) {
			t.Errorf("fetch %d: %q, %v", i, paths[i], errs[i])
		}
	}
	if got, _ := os.ReadFile(filepath.Join(dir, name)); !bytes.Equal(got, b) {
		t.Error("cached file differs")
	}
	assertCacheHolds(t, dir, name)
}

// TestFetchTwoProcesses runs two processes (this test binary, see TestMain)
// fetching one URL into one cache at the same time.
func TestFetchTwoProcesses(t *testing.T) {
	b := checkpointBytes(t)
	srv, requests := serve(t, b)
	dir := t.TempDir()
	name := hashedName("m", b, 8)
	outs, errs := make([][]byte, 2), make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() { outs[i], errs[i] = fetchProcess(srv.URL+"/"+name, dir, "") })
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil || string(outs[i]) != filepath.Join(dir, name) {
			t.Errorf("process %d: %q, %v", i, outs[i], errs[i])
		}
	}
	if got, _ := os.ReadFile(filepath.Join(dir, name)); !bytes.Equal(got, b) {
		t.Error("cached file differs")
	}
	if n := requests.Load(); n < 1 || n > 2 {
		t.Errorf("%d requests", n)
	}
	assertCacheHolds(t, dir, name)
}

// fetchProcess runs Fetch(url) in a new process of this test binary, with
// HTTP_PROXY set when proxy is not empty.
func fetchProcess(u, dir, proxy string) ([]byte, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "XRAY_FETCH_URL="+u, "XRAY_FETCH_DIR="+dir, "HTTP_PROXY="+proxy, "http_proxy="+proxy, "NO_PROXY=", "no_proxy=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%w: %s", err, stderr.String())
	}
	return out, nil
}

// proxyServer serves b to any proxied request and records the hosts asked
// for.
func proxyServer(t *testing.T, b []byte) (*httptest.Server, *atomic.Value) {
	var host atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !r.URL.IsAbs() {
			http.Error(w, "not a proxy request", http.StatusBadRequest)
			return
		}
		host.Store(r.URL.Host)
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv, &host
}

// TestFetchProxy: an injected Proxy function is used.
func TestFetchProxy(t *testing.T) {
	b := checkpointBytes(t)
	proxy, host := proxyServer(t, b)
	pu, _ := url.Parse(proxy.URL)
	dir := t.TempDir()
	if _, err := Fetch(context.Background(), "http://checkpoints.invalid/m.pth", &FetchOptions{CacheDir: dir, Proxy: http.ProxyURL(pu)}); err != nil {
		t.Fatal(err)
	}
	if h, _ := host.Load().(string); h != "checkpoints.invalid" {
		t.Errorf("proxy asked for %q", h)
	}
}

// TestFetchProxyFromEnvironment: by default HTTP_PROXY is honoured (in a
// new process, since net/http reads the variables once).
func TestFetchProxyFromEnvironment(t *testing.T) {
	b := checkpointBytes(t)
	proxy, host := proxyServer(t, b)
	dir := t.TempDir()
	out, err := fetchProcess("http://checkpoints.invalid/"+hashedName("m", b, 8), dir, proxy.URL)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := host.Load().(string); h != "checkpoints.invalid" || !strings.HasPrefix(string(out), dir) {
		t.Errorf("proxy asked for %q, fetch returned %q", h, out)
	}
}
