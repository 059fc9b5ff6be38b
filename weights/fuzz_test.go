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
		readConsistent(t, data)
	})
}

// FuzzSafetensors feeds arbitrary bytes, seeded with valid safetensors
// files, to Read: it must return, without panicking, either an error or a
// state dict whose tensors match their shapes.
func FuzzSafetensors(f *testing.F) {
	if b, err := os.ReadFile("testdata/sd.safetensors"); err == nil {
		f.Add(b)
	}
	f.Add(encodeSafetensors(f, map[string]any{"format": "pt"},
		f32Tensor("w", 0, []int64{2, 2}, 1, 2, 3, 4),
		stTensor{"h", map[string]any{"dtype": "F16", "shape": []int64{2}, "data_offsets": []int64{16, 20}}, []byte{0, 0x3c, 0, 0xc0}},
		stTensor{"b", map[string]any{"dtype": "BF16", "shape": []int64{1}, "data_offsets": []int64{20, 22}}, []byte{0x80, 0x3f}},
		stTensor{"d", map[string]any{"dtype": "F64", "shape": []int64{}, "data_offsets": []int64{22, 30}}, make([]byte, 8)},
		stTensor{"n", map[string]any{"dtype": "I64", "shape": []int64{1}, "data_offsets": []int64{30, 38}}, make([]byte, 8)},
	))
	f.Fuzz(func(t *testing.T, data []byte) {
		readConsistent(t, data)
	})
}

// readConsistent reads data and, if it is accepted, checks that each
// tensor holds as many values as its shape says.
func readConsistent(t *testing.T, data []byte) {
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
}
