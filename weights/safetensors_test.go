package weights

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// stTensor is one tensor for encodeSafetensors: its header entry as JSON
// values (so tests can write wrong ones) and its bytes.
type stTensor struct {
	name  string
	entry map[string]any
	data  []byte
}

// f32Tensor is a well-formed F32 entry at offset off.
func f32Tensor(name string, off int64, shape []int64, values ...float32) stTensor {
	b := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return stTensor{name, map[string]any{"dtype": "F32", "shape": shape, "data_offsets": []int64{off, off + int64(len(b))}}, b}
}

// encodeSafetensors writes the format directly: length, JSON header, data.
func encodeSafetensors(t testing.TB, meta map[string]any, tensors ...stTensor) []byte {
	t.Helper()
	header := map[string]any{}
	if meta != nil {
		header["__metadata__"] = meta
	}
	var data []byte
	for _, ts := range tensors {
		header[ts.name] = ts.entry
		data = append(data, ts.data...)
	}
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	return append(append(out, h...), data...)
}

// assertSameStateDict compares names, shapes and float32 bits.
func assertSameStateDict(t *testing.T, got, want StateDict) {
	t.Helper()
	if !reflect.DeepEqual(got.Names(), want.Names()) {
		t.Fatalf("names %v, want %v", got.Names(), want.Names())
	}
	for name, w := range want {
		g := got[name]
		if len(g.Shape) != len(w.Shape) || (len(w.Shape) > 0 && !reflect.DeepEqual(g.Shape, w.Shape)) {
			t.Errorf("%s: shape %v, want %v", name, g.Shape, w.Shape)
			continue
		}
		if len(g.Data) != len(w.Data) {
			t.Errorf("%s: %d values, want %d", name, len(g.Data), len(w.Data))
			continue
		}
		for i := range w.Data {
			if math.Float32bits(g.Data[i]) != math.Float32bits(w.Data[i]) {
				t.Errorf("%s[%d] = %v, want %v", name, i, g.Data[i], w.Data[i])
				break
			}
		}
	}
}

// TestSafetensorsMatchesPth loads the safetensors file make_safetensors.py
// wrote from sd_zip.pt (F32, F64, F16, BF16, strided views made contiguous,
// I64 and I32 dropped) and compares it with the .pth bit for bit.
func TestSafetensorsMatchesPth(t *testing.T) {
	want, err := Load("testdata/sd_zip.pt", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Load("testdata/sd.safetensors", nil)
	if err != nil {
		t.Fatal(err)
	}
	assertSameStateDict(t, got, want)
	for _, dropped := range []string{"bn.num_batches_tracked", "int32"} {
		if _, ok := got[dropped]; ok {
			t.Errorf("%q (an integer tensor) should be dropped", dropped)
		}
	}
}

// TestSafetensorsDetectedByContent reads the fixture through Read (no file
// name) and through Load under another extension.
func TestSafetensorsDetectedByContent(t *testing.T) {
	b, err := os.ReadFile("testdata/sd.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	want, err := Load("testdata/sd.safetensors", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Read(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	assertSameStateDict(t, got, want)
	p := filepath.Join(t.TempDir(), "model.bin")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err = Load(p, nil); err != nil {
		t.Fatal(err)
	}
	assertSameStateDict(t, got, want)
}

func TestSafetensorsModulePrefixAndMetadata(t *testing.T) {
	b := encodeSafetensors(t, map[string]any{"format": "pt"},
		f32Tensor("module.fc.weight", 0, []int64{2, 1}, 1, 2),
		f32Tensor("fc.bias", 8, []int64{2}, 3, 4),
		f32Tensor("empty", 16, []int64{0, 3}),
	)
	sd, err := Read(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := sd["fc.weight"]; !reflect.DeepEqual(w.Shape, []int{2, 1}) || !reflect.DeepEqual(w.Data, []float32{1, 2}) {
		t.Errorf("fc.weight = %+v", w)
	}
	if b := sd["fc.bias"]; !reflect.DeepEqual(b.Data, []float32{3, 4}) {
		t.Errorf("fc.bias = %+v", b)
	}
	if e, ok := sd["empty"]; !ok || len(e.Data) != 0 {
		t.Errorf("empty = %+v, %v", e, ok)
	}
}

func TestSafetensorsRefused(t *testing.T) {
	ok := f32Tensor("a", 0, []int64{2}, 1, 2)
	with := func(key string, v any) stTensor {
		c := stTensor{ok.name, map[string]any{}, ok.data}
		for k, x := range ok.entry {
			c.entry[k] = x
		}
		c.entry[key] = v
		return c
	}
	valid := encodeSafetensors(t, nil, ok)
	tests := []struct {
		name    string
		data    []byte
		opts    *Options
		want    error
		message string
	}{
		{"header longer than file", append(binary.LittleEndian.AppendUint64(nil, 1<<40), `{"a":1}`...), nil, ErrCorrupt, "header of 1099511627776 bytes in a 15-byte file"},
		{"header over MaxBytes", valid, &Options{MaxBytes: 10}, ErrTooLarge, "header of"},
		{"bad JSON", append(binary.LittleEndian.AppendUint64(nil, 4), `{"a"`...), nil, ErrCorrupt, "header"},
		{"not an object entry", encodeSafetensors(t, nil, stTensor{"a", map[string]any{"dtype": 3}, nil}), nil, ErrCorrupt, `"a"`},
		{"unknown dtype", encodeSafetensors(t, nil, with("dtype", "Q7")), nil, ErrUnsupported, `dtype "Q7"`},
		{"offsets past the data", encodeSafetensors(t, nil, with("data_offsets", []int64{0, 80})), nil, ErrCorrupt, "outside the 8 data bytes"},
		{"negative offset", encodeSafetensors(t, nil, with("data_offsets", []int64{-8, 0})), nil, ErrCorrupt, "outside"},
		{"reversed offsets", encodeSafetensors(t, nil, with("data_offsets", []int64{8, 0})), nil, ErrCorrupt, "outside"},
		{"one offset", encodeSafetensors(t, nil, with("data_offsets", []int64{0})), nil, ErrCorrupt, "1 data_offsets"},
		{"shape times dtype is not the length", encodeSafetensors(t, nil, with("shape", []int64{3})), nil, ErrCorrupt, "spans 8 bytes"},
		{"F64 length", encodeSafetensors(t, nil, with("dtype", "F64")), nil, ErrCorrupt, "spans 8 bytes"},
		{"negative dimension", encodeSafetensors(t, nil, with("shape", []int64{-2, -1})), nil, ErrCorrupt, "shape"},
		{"overflowing shape", encodeSafetensors(t, nil, with("shape", []int64{1 << 62, 1 << 62, 4})), nil, ErrCorrupt, "spans 8 bytes"},
		{"too many dimensions", encodeSafetensors(t, nil, with("shape", make([]int64, 65))), nil, ErrCorrupt, "65 dimensions"},
		{"overlap", encodeSafetensors(t, nil, ok, f32Tensor("b", 4, []int64{1}, 5)), nil, ErrCorrupt, "overlap or hole"},
		{"hole", encodeSafetensors(t, nil, ok, f32Tensor("b", 12, []int64{1}, 5), stTensor{"c", map[string]any{"dtype": "U8", "shape": []int64{}, "data_offsets": []int64{16, 17}}, []byte{0, 0, 0, 0, 1}}), nil, ErrCorrupt, "overlap or hole"},
		{"trailing bytes", append(bytes.Clone(valid), 0, 0, 0, 0), nil, ErrCorrupt, "cover 8 of the 12 data bytes"},
		{"metadata not strings", encodeSafetensors(t, map[string]any{"n": 1}, ok), nil, ErrCorrupt, "__metadata__"},
		{"MaxBytes", encodeSafetensors(t, nil, f32Tensor("a", 0, []int64{8}, 1, 2, 3, 4, 5, 6, 7, 8)), &Options{MaxBytes: 24}, ErrTooLarge, "bytes"},
		{"module. collision", encodeSafetensors(t, nil, ok, f32Tensor("module.a", 8, []int64{1}, 5)), nil, ErrCorrupt, `name "a"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sd, err := Read(bytes.NewReader(tc.data), int64(len(tc.data)), tc.opts)
			if err == nil {
				t.Fatalf("accepted: %v", sd.Names())
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.message) {
				t.Errorf("error %q, want %v mentioning %q", err, tc.want, tc.message)
			}
		})
	}
}

// TestSafetensorsByName: a .safetensors file is read as one even when its
// header does not look like one, so the error says what is wrong with it.
func TestSafetensorsByName(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.safetensors")
	data := append(binary.LittleEndian.AppendUint64(nil, 4), "[1] "...)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p, nil); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "does not start with '{'") {
		t.Errorf("Load = %v", err)
	}
	if _, err := Read(bytes.NewReader(data), int64(len(data)), nil); !errors.Is(err, ErrNotCheckpoint) {
		t.Errorf("Read without the name = %v, want ErrNotCheckpoint", err)
	}
}

// hugeZeros is a ReaderAt of size bytes, all zero but for a prefix.
type hugeZeros struct {
	prefix []byte
	size   int64
}

func (h hugeZeros) ReadAt(p []byte, off int64) (int, error) {
	clear(p)
	if off < int64(len(h.prefix)) {
		copy(p, h.prefix[off:])
	}
	return len(p), nil
}

// TestSafetensorsHeaderCap declares a 150 MB header in a 200 MB "file":
// refused before the header is allocated.
func TestSafetensorsHeaderCap(t *testing.T) {
	r := hugeZeros{append(binary.LittleEndian.AppendUint64(nil, 150_000_000), '{'), 200_000_000}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	if _, err := Read(r, r.size, &Options{MaxBytes: 1 << 40}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Read = %v, want ErrTooLarge", err)
	}
	runtime.ReadMemStats(&after)
	if d, n := time.Since(start), after.TotalAlloc-before.TotalAlloc; d > time.Second || n > 1<<20 {
		t.Errorf("took %v and allocated %d bytes", d, n)
	}
}

// TestSafetensorsTruncated cuts the fixture at every length: each cut is
// refused.
func TestSafetensorsTruncated(t *testing.T) {
	b, err := os.ReadFile("testdata/sd.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(b) {
		if _, err := Read(bytes.NewReader(b[:n]), int64(n), nil); err == nil {
			t.Fatalf("cut at %d of %d bytes: accepted", n, len(b))
		}
	}
}

// TestReferenceSafetensors writes the reference ResNet34 in safetensors
// (torchvision's key names, F32) and reads it back bit for bit.
func TestReferenceSafetensors(t *testing.T) {
	want, err := Load(referenceModel(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	var tensors []stTensor
	var off int64
	for _, name := range want.Names() {
		w := want[name]
		shape := make([]int64, len(w.Shape))
		for i, d := range w.Shape {
			shape[i] = int64(d)
		}
		ts := f32Tensor(name, off, shape, w.Data...)
		off += int64(len(ts.data))
		tensors = append(tensors, ts)
	}
	p := filepath.Join(t.TempDir(), "resnet34.safetensors")
	if err := os.WriteFile(p, encodeSafetensors(t, map[string]any{"format": "pt"}, tensors...), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	assertSameStateDict(t, got, want)
}
