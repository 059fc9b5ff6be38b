package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// serveChildEnv, when set to 1, makes the test binary run main instead
// of the tests: TestServeSIGTERM starts the real command that way.
const serveChildEnv = "XRAY_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(serveChildEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestServeSIGTERM runs "xray serve" as a child process whose report
// writer is a fake OpenAI-compatible server on loopback that holds its
// answer. With an analysis waiting on it, the child gets SIGTERM: it must
// refuse new connections, finish the analysis with 200 and exit 0.
func TestServeSIGTERM(t *testing.T) {
	called, release := make(chan struct{}, 1), make(chan struct{})
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case called <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"model":   "fake",
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": "A report from the fake model."}, "finish_reason": "stop"}},
			"usage":   map[string]any{"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
		})
	}))
	defer fake.Close()
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()

	weights, err := filepath.Abs(serveWeights)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "serve", "-weights", weights, "-addr", "127.0.0.1:0", "-llm", "openai",
		"-env-file", filepath.Join(t.TempDir(), "none.env"), "-concurrency", "1", "-shutdown-timeout", "20s")
	cmd.Env = []string{serveChildEnv + "=1", "OPENAI_BASE_URL=" + fake.URL + "/v1", "OPENAI_MODEL=fake", "PATH=" + os.Getenv("PATH")}
	var stderr serveSyncBuffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// exited is closed when the child has exited, with its error in
	// exitErr; early tells serveWaitListening.
	exited, early := make(chan struct{}), make(chan error, 1)
	var exitErr error
	go func() { exitErr = cmd.Wait(); close(exited); early <- exitErr }()
	defer func() {
		_ = cmd.Process.Kill() // no-op once it has exited
		<-exited
	}()
	base := "http://" + serveWaitListening(t, &stderr, early)

	form, ct := serveForm(t, "chest.png", servePNG(t, 64, 64), nil)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	running := make(chan serveLoadAnswer, 1)
	go func() { running <- uploadOnce(client, base, form.Bytes(), ct) }()
	select {
	case <-called:
	case <-time.After(30 * time.Second):
		t.Fatalf("the analysis never reached the report writer\n%s", stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the child to refuse new connections", func() bool {
		_, err := client.Get(base + "/healthz")
		return err != nil
	})
	select {
	case <-exited:
		t.Fatalf("the child exited with an analysis in flight: %v\n%s", exitErr, stderr.String())
	default:
	}
	close(release)
	released = true
	if a := <-running; a.err != nil || a.status != http.StatusOK {
		t.Errorf("analysis in flight at SIGTERM: %+v, want 200", a)
	}
	select {
	case <-exited:
		if exitErr != nil {
			t.Errorf("child: %v, want exit status 0\n%s", exitErr, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the child did not exit after its last analysis\n%s", stderr.String())
	}
}
