package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/preprocess"
)

func TestAnalyzeErrors(t *testing.T) {
	a := serveAnalyzer(t, nil)
	h := newServer(a, serverConfig{MaxUpload: 64 << 10})
	good := servePNG(t, 64, 64)
	tests := []struct {
		name   string
		req    func(t *testing.T) *http.Request
		status int
		want   string // substring of the error
	}{
		{"get", servePlainRequest(http.MethodGet, "", nil), http.StatusMethodNotAllowed, "use POST"},
		{"put", servePlainRequest(http.MethodPut, "", nil), http.StatusMethodNotAllowed, "use POST"},
		{"too large", serveUpload(bytes.Repeat([]byte{0x89}, 100<<10), nil), http.StatusRequestEntityTooLarge, "larger than the limit of 65536 bytes"},
		{"not an image", serveUpload([]byte("hello, I am text"), nil), http.StatusBadRequest, "unknown image format"},
		{"empty image", serveUpload([]byte{}, nil), http.StatusBadRequest, "empty input"},
		{"truncated png", serveUpload(good[:len(good)/2], nil), http.StatusBadRequest, "decoding png image"},
		{"absurd dimensions", serveUpload(serveHugePNG(), nil), http.StatusBadRequest, "100000x100000, more than the limit"},
		{"no image field", serveUpload(nil, map[string]string{"method": "gradcam"}), http.StatusBadRequest, `field "image"`},
		{"not multipart", servePlainRequest(http.MethodPost, "application/json", []byte(`{"image":"x"}`)), http.StatusBadRequest, "multipart/form-data"},
		{"unknown method", serveUpload(good, map[string]string{"method": "magiccam"}), http.StatusBadRequest, "valid: gradcam, hirescam, gradcamplusplus"},
		{"unknown layer", serveUpload(good, map[string]string{"layer": "fc"}), http.StatusBadRequest, "layer4"},
		{"unknown colormap", serveUpload(good, map[string]string{"colormap": "rainbow"}), http.StatusBadRequest, "valid: jet, viridis, inferno"},
		{"unknown target", serveUpload(good, map[string]string{"target": "COVID"}), http.StatusBadRequest, "NORMAL, PNEUMONIA"},
		{"unknown lang", serveUpload(good, map[string]string{"lang": "fr"}), http.StatusBadRequest, "want ko or en"},
		{"bad report flag", serveUpload(good, map[string]string{"report": "maybe"}), http.StatusBadRequest, "not true or false"},
		{"long field", serveUpload(good, map[string]string{"method": strings.Repeat("x", 2000)}), http.StatusBadRequest, "longer than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tc.req(t))
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			a := serveDecode(t, rec.Body.Bytes())
			if !strings.Contains(a.Error, tc.want) {
				t.Errorf("error %q, want it to contain %q", a.Error, tc.want)
			}
			if tc.status == http.StatusMethodNotAllowed && rec.Header().Get("Allow") != http.MethodPost {
				t.Errorf("Allow %q", rec.Header().Get("Allow"))
			}
		})
	}
}

// servePlainRequest returns a request maker for a non-multipart request.
func servePlainRequest(method, ct string, body []byte) func(t *testing.T) *http.Request {
	return func(t *testing.T) *http.Request {
		r := httptest.NewRequest(method, "/api/analyze", bytes.NewReader(body))
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		return r
	}
}

// serveUpload returns a request maker for a multipart upload.
func serveUpload(img []byte, fields map[string]string) func(t *testing.T) *http.Request {
	return func(t *testing.T) *http.Request {
		body, ct := serveForm(t, "chest.png", img, fields)
		r := httptest.NewRequest(http.MethodPost, "/api/analyze", body)
		r.Header.Set("Content-Type", ct)
		return r
	}
}

// serveHugePNG is a valid PNG signature and IHDR declaring a
// 100000x100000 gray image, with nothing after it.
func serveHugePNG() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 100000)
	binary.BigEndian.PutUint32(ihdr[4:], 100000)
	ihdr[8] = 8 // bit depth; colour type 0 (gray), default compression, filter, interlace
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(ihdr)))
	b.Write(n[:])
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.BigEndian.PutUint32(n[:], crc32.ChecksumIEEE(chunk))
	b.Write(n[:])
	return b.Bytes()
}

func FuzzAnalyzeUpload(f *testing.F) {
	const maxUpload = 256 << 10
	a := serveAnalyzer(f, &xray.Options{Preprocess: preprocess.Options{MaxPixels: 256 * 256}})
	h := newServer(a, serverConfig{MaxUpload: maxUpload, QueueWait: time.Minute})
	f.Add(servePNG(f, 48, 40))
	f.Add(serveJPEG(f, 40, 48))
	f.Add(serveHugePNG())
	f.Add([]byte("GIF89a"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		rec := servePost(t, h, data, map[string]string{"report": "false"})
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d for %d bytes: %s", rec.Code, len(data), rec.Body)
		}
		var v map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatalf("answer is not JSON: %v", err)
		}
		if rec.Code != http.StatusOK && v["error"] == "" {
			t.Fatalf("status %d without an error message", rec.Code)
		}
	})
}
