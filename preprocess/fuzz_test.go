package preprocess

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to Load. It must never panic, and must
// either fail with a "preprocess: " error or return a consistent Input.
// MaxPixels is small so that a tiny file declaring a large (but allowed by
// default) image cannot make each iteration allocate hundreds of MB.
// Seeds are the small fixtures of every format plus a PNG header declaring
// 100000x100000 pixels.
func FuzzLoad(f *testing.F) {
	for _, fx := range readFixtures(f) {
		data, err := os.ReadFile(filepath.Join("testdata", fx.input))
		if err != nil {
			f.Fatal(err)
		}
		if len(data) > 16<<10 {
			continue // large seeds make minimisation crawl; the format is covered by small ones
		}
		f.Add(data, uint8(fx.width), uint8(fx.height))
	}
	f.Add(pngHeader(100000, 100000), uint8(0), uint8(0))
	f.Add([]byte{}, uint8(1), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, w, h uint8) {
		opts := &Options{Width: int(w % 64), Height: int(h % 64), MaxPixels: 1 << 16}
		in, err := Load(bytes.NewReader(data), opts)
		if err != nil {
			if in != nil {
				t.Fatal("Input and error")
			}
			if !strings.HasPrefix(err.Error(), "preprocess: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		wantW, wantH := opts.Width, opts.Height
		if wantW == 0 {
			wantW = Size
		}
		if wantH == 0 {
			wantH = Size
		}
		if in.Width != wantW || in.Height != wantH || len(in.Tensor) != 3*wantW*wantH {
			t.Fatalf("got %dx%d with %d values, want %dx%d", in.Width, in.Height, len(in.Tensor), wantW, wantH)
		}
		if in.Resized.Rect.Dx() != wantW || in.Resized.Rect.Dy() != wantH {
			t.Fatalf("Resized is %v", in.Resized.Rect)
		}
		for i, v := range in.Tensor {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("Tensor[%d] = %v outside [0, 1]", i, v)
			}
		}
	})
}
