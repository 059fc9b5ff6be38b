package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestLogHasNoPatientData(t *testing.T) {
	var logs bytes.Buffer
	h := newServer(serveAnalyzer(t, nil), serverConfig{Log: &logs})
	const name = "KIM-Minji_1984-03-02_MRN12345.png"
	for _, img := range [][]byte{servePNG(t, 64, 64), []byte("not an image")} {
		body, ct := serveForm(t, name, img, map[string]string{"lang": "en"})
		req := httptest.NewRequest(http.MethodPost, "/api/analyze?patient=KIM", body)
		req.Header.Set("Content-Type", ct)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if strings.Contains(rec.Body.String(), "MRN12345") {
			t.Errorf("the answer serveContains the file name: %s", rec.Body)
		}
	}
	out := logs.String()
	for _, bad := range []string{"MRN12345", "KIM", "patient", "\x89PNG", "not an image"} {
		if strings.Contains(out, bad) {
			t.Errorf("log serveContains %q:\n%s", bad, out)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	line := regexp.MustCompile(`^POST /api/analyze (200|400) [0-9.]+(µs|ms|s)$`)
	if len(lines) != 2 || !line.MatchString(lines[0]) || !line.MatchString(lines[1]) {
		t.Errorf("log lines %q, want two of method, path, status, duration", lines)
	}
}

func TestRecoverPanics(t *testing.T) {
	var logs bytes.Buffer
	h := recoverPanics(&logs, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/boom" {
			var m map[string]int
			m["x"]++ // panics: assignment to entry in nil map
		}
		_, _ = io.WriteString(w, "fine")
	}))
	srv := httptest.NewServer(logRequests(&logs, h))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/boom")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), `"error":"internal error"`) {
		t.Errorf("panic answered %d %s", resp.StatusCode, body)
	}
	resp, err = http.Get(srv.URL + "/ok")
	if err != nil {
		t.Fatalf("server died after a panic: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("after a panic: status %d", resp.StatusCode)
	}
	if !strings.Contains(logs.String(), "panic in GET /boom") || !strings.Contains(logs.String(), "GET /boom 500") {
		t.Errorf("log:\n%s", logs.String())
	}
}
