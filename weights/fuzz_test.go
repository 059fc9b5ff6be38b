package weights

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead feeds arbitrary bytes to Read: it must return, without panicking,
// either an error or a state dict whose tensors match their shapes.
func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.p*")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil && filepath.Ext(name) != ".py" {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sd, err := Read(bytes.NewReader(data), int64(len(data)), &Options{MaxBytes: 64 << 20})
		if err != nil {
			return
		}
		for name, ts := range sd {
			n := 1
			for _, d := range ts.Shape {
				n *= d
			}
			if n != len(ts.Data) {
				t.Fatalf("%s: shape %v but %d values", name, ts.Shape, len(ts.Data))
			}
		}
	})
}
