package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// checkpointServer serves the fixture checkpoint at every path.
func checkpointServer(t *testing.T) (*httptest.Server, []byte, *atomic.Int32) {
	t.Helper()
	b, err := os.ReadFile(fixtureWeights)
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
	}))
	t.Cleanup(srv.Close)
	return srv, b, &n
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestClassifyWeightsURL: classify downloads a -weights URL into
// $XRAY_CACHE once and then runs from the cache with the server stopped.
func TestClassifyWeightsURL(t *testing.T) {
	srv, b, requests := checkpointServer(t)
	dir := t.TempDir()
	img := writeTestImage(t, dir, "a.png", 64, 48)
	cache := filepath.Join(dir, "cache")
	name := "narrow-" + sha256Hex(b)[:8] + ".pth"
	url := srv.URL + "/ckpt/" + name + "?token=s3cr3t"
	for i := range 2 {
		e, out, errOut := testEnv(map[string]string{"XRAY_CACHE": cache})
		if code := run(context.Background(), []string{"classify", "-json", "-weights", url, img}, e); code != 0 {
			t.Fatalf("run %d: exit %d: %s", i, code, errOut)
		}
		if rows := jsonLines(t, out.String()); len(rows) != 1 || rows[0]["label"] == nil {
			t.Errorf("run %d: output %q", i, out)
		}
		srv.Close()
	}
	if got, err := os.ReadFile(filepath.Join(cache, name)); err != nil || !bytes.Equal(got, b) {
		t.Errorf("cache holds %d bytes, %v", len(got), err)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// TestClassifyWeightsURLErrors: a wrong -weights-sha256 or a 404 fail with
// the reason, never the URL's query.
func TestClassifyWeightsURLErrors(t *testing.T) {
	srv, _, _ := checkpointServer(t)
	dir := t.TempDir()
	img := writeTestImage(t, dir, "a.png", 64, 48)
	missing := httptest.NewServer(http.NotFoundHandler())
	defer missing.Close()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-weights", srv.URL + "/m.pth?token=s3cr3t", "-weights-sha256", strings.Repeat("0", 64)}, "sha256 mismatch"},
		{[]string{"-weights", missing.URL + "/m.pth?token=s3cr3t"}, "HTTP 404"},
		{[]string{"-weights", fixtureWeights, "-weights-sha256", strings.Repeat("0", 64)}, "applies to a -weights URL only"},
	}
	for _, tc := range tests {
		e, _, errOut := testEnv(map[string]string{"XRAY_CACHE": filepath.Join(dir, "cache")})
		code := run(context.Background(), append(append([]string{"classify"}, tc.args...), img), e)
		if code == 0 || !strings.Contains(errOut.String(), tc.want) || strings.Contains(errOut.String(), "s3cr3t") {
			t.Errorf("%v: exit %d, stderr %q; want %q without the token", tc.args, code, errOut, tc.want)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "cache")); len(entries) != 0 {
		t.Errorf("cache holds %d files after failures", len(entries))
	}
}

// TestClassifyOriginalLayout: without -weights and $XRAY_WEIGHTS, the
// original app's models/best_resnet34_addval.pth in the working directory
// is used.
func TestClassifyOriginalLayout(t *testing.T) {
	b, err := os.ReadFile(fixtureWeights)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	img := writeTestImage(t, dir, "a.png", 64, 48)
	if err := os.MkdirAll(filepath.Join(dir, "models"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "models", "best_resnet34_addval.pth"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	e, out, errOut := testEnv(nil)
	if code := run(context.Background(), []string{"classify", "-json", "a.png"}, e); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if rows := jsonLines(t, out.String()); len(rows) != 1 || rows[0]["label"] == nil {
		t.Errorf("output %q (image %s)", out, img)
	}
}

// TestMissingWeightsNamesAllPlaces: the error names -weights, XRAY_WEIGHTS
// and models/best_resnet34_addval.pth.
func TestMissingWeightsNamesAllPlaces(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, args := range [][]string{{"classify", "x.png"}, {"analyze", "-llm", "offline", "x.png"}} {
		cmd := args[0]
		e, _, errOut := testEnv(nil)
		if code := run(context.Background(), args, e); code == 0 {
			t.Fatalf("%s: exit 0", cmd)
		}
		for _, want := range []string{"-weights", "XRAY_WEIGHTS", filepath.FromSlash("models/best_resnet34_addval.pth")} {
			if !strings.Contains(errOut.String(), want) {
				t.Errorf("%s: stderr %q does not mention %q", cmd, errOut, want)
			}
		}
	}
}

// TestWeightsFromEnvironment: $XRAY_WEIGHTS is -weights' default and the
// flag wins over it.
func TestWeightsFromEnvironment(t *testing.T) {
	for _, tc := range []struct {
		env  string
		args []string
		want string
	}{
		{"/env/model.pth", nil, "/env/model.pth"},
		{"/env/model.pth", []string{"-weights", "/flag/model.pth"}, "/flag/model.pth"},
	} {
		e, _, _ := testEnv(map[string]string{"XRAY_WEIGHTS": tc.env})
		var m modelFlags
		fs := newFlagSet("t", command{}, e)
		m.register(fs, e)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if got, err := m.checkpoint(context.Background()); err != nil || got != tc.want {
			t.Errorf("%v: checkpoint = %q, %v; want %q", tc.args, got, err, tc.want)
		}
	}
}

// TestProgressBar: no bar unless stderr is a terminal; the bar draws the
// bytes received.
func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	if downloadBar(&buf) != nil {
		t.Error("a bar on a bytes.Buffer")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if downloadBar(w) != nil {
		t.Error("a bar on a pipe")
	}
	p := &downloadProgress{w: &buf}
	p.update(1<<20, 4<<20)
	p.update(4<<20, 4<<20)
	p.finish()
	if s := buf.String(); !strings.Contains(s, "downloading the checkpoint") || !strings.Contains(s, "4.2/4.2 MB") {
		t.Errorf("bar drew %q", s)
	}
}
