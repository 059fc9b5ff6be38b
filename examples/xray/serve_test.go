package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRunServe(t *testing.T) {
	var stderr serveSyncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	args := []string{"-weights", serveWeights, "-addr", "127.0.0.1:0", "-llm", "offline", "-env-file", t.TempDir() + "/none.env", "-lang", "en"}
	done := make(chan error, 1)
	go func() { done <- runCommand(ctx, "serve", args, serveEnv(&stderr)) }()
	addr := serveWaitListening(t, &stderr, done)
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz: %d", resp.StatusCode)
	}
	if _, err := servePostHTTP(t, "http://"+addr, servePNG(t, 64, 64), nil); err != nil {
		t.Errorf("analyze: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return after cancel")
	}
	if !strings.Contains(stderr.String(), "GET /healthz 200") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

// serveWaitListening waits for serve's "listening on" line and returns the
// address.
func serveWaitListening(t *testing.T, stderr *serveSyncBuffer, done <-chan error) string {
	t.Helper()
	re := regexp.MustCompile(`listening on http://(\S+)`)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("serve returned early: %v\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not start:\n%s", stderr.String())
	return ""
}

func TestRunServeFlags(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no weights", []string{"-llm", "offline"}, "-weights is required"},
		{"bad lang", []string{"-weights", serveWeights, "-lang", "fr"}, "want ko or en"},
		{"bad colormap", []string{"-weights", serveWeights, "-colormap", "rainbow"}, "valid: jet"},
		{"bad method", []string{"-weights", serveWeights, "-cam-method", "x"}, "valid: gradcam"},
		{"bad max-upload", []string{"-weights", serveWeights, "-max-upload", "0"}, "must be positive"},
		{"bad concurrency", []string{"-weights", serveWeights, "-concurrency", "0"}, "-concurrency 0: must be positive"},
		{"bad queue-wait", []string{"-weights", serveWeights, "-queue-wait", "0s"}, "-queue-wait 0s: must be positive"},
		{"bad read-header-timeout", []string{"-weights", serveWeights, "-read-header-timeout", "0s"}, "-read-header-timeout 0s"},
		{"negative write-timeout", []string{"-weights", serveWeights, "-write-timeout", "-1s"}, "must not be negative"},
		{"bad shutdown-timeout", []string{"-weights", serveWeights, "-shutdown-timeout", "0s"}, "-shutdown-timeout 0s"},
		{"bad addr", []string{"-weights", serveWeights, "-llm", "offline", "-env-file", dir + "/x", "-addr", "256.0.0.1:99999"}, "listen"},
		{"extra args", []string{"-weights", serveWeights, "image.png"}, "usage"},
		{"bad flag", []string{"-nope"}, "usage"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := runCommand(context.Background(), "serve", tc.args, serveEnv(&stderr))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if err := runCommand(context.Background(), "serve", []string{"-h"}, serveEnv(io.Discard)); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
}

func TestServeHelp(t *testing.T) {
	var out bytes.Buffer
	if err := runCommand(context.Background(), "serve", []string{"-h"}, serveEnv(&out)); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	for _, want := range []string{
		"usage: xray serve [flags]\n", "serve the analyzer over HTTP", "not a diagnostic device",
		"-concurrency int", "-queue-wait duration", "(default 5s)", "-max-upload int", "(default 33554432)",
		"-read-header-timeout duration", "(default 10s)", "-read-timeout duration", "-write-timeout duration", "(default 4m0s)",
		"-idle-timeout duration", "-shutdown-timeout duration", "(default 30s)",
		// The pipeline's flags, shared with analyze:
		"-weights string", "-cam-method string", "-cam-layer string", "-llm string", "-lang string", "-env-file string",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("serve -h lacks %q:\n%s", want, out.String())
		}
	}
	for name, c := range commands() {
		var out bytes.Buffer
		if err := runCommand(context.Background(), name, []string{"-h"}, serveEnv(&out)); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("%s -h: %v", name, err)
		}
		if !strings.HasPrefix(out.String(), "usage: xray "+name) || !strings.Contains(out.String(), c.summary) || !strings.Contains(out.String(), "(default") {
			t.Errorf("%s -h: want the usage line, the summary %q and the defaults:\n%s", name, c.summary, out.String())
		}
	}
}

// serveSyncBuffer is a bytes.Buffer safe for concurrent use.
type serveSyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write implements io.Writer.
func (s *serveSyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written.
func (s *serveSyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveEnv is an env with an empty environment and the given stderr.
func serveEnv(stderr io.Writer) env {
	vars := map[string]string{}
	var mu sync.Mutex
	return env{
		stdout: io.Discard, stderr: stderr,
		getenv:    func(k string) string { mu.Lock(); defer mu.Unlock(); return vars[k] },
		lookupEnv: func(k string) (string, bool) { mu.Lock(); defer mu.Unlock(); v, ok := vars[k]; return v, ok },
		setenv:    func(k, v string) error { mu.Lock(); defer mu.Unlock(); vars[k] = v; return nil },
	}
}
