package weights

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xrayllm/xray/internal/reftest"
)

type expectedFile struct {
	Files   []string `json:"files"`
	Tensors map[string]struct {
		Shape []int     `json:"shape"`
		Data  []float64 `json:"data"`
	} `json:"tensors"`
}

func readExpected(t *testing.T) expectedFile {
	t.Helper()
	b, err := os.ReadFile("testdata/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var e expectedFile
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestLoadFixtures(t *testing.T) {
	exp := readExpected(t)
	if len(exp.Files) < 7 || len(exp.Tensors) < 10 {
		t.Fatalf("expected.json lists %d files and %d tensors", len(exp.Files), len(exp.Tensors))
	}
	for _, name := range exp.Files {
		t.Run(name, func(t *testing.T) {
			sd, err := Load(filepath.Join("testdata", name), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(sd) != len(exp.Tensors) {
				t.Errorf("got %d tensors %v, want %d", len(sd), sd.Names(), len(exp.Tensors))
			}
			for k, want := range exp.Tensors {
				got, ok := sd[k]
				if !ok {
					t.Errorf("missing %q", k)
					continue
				}
				if !reflect.DeepEqual(got.Shape, want.Shape) && !(len(got.Shape) == 0 && len(want.Shape) == 0) {
					t.Errorf("%s: shape %v, want %v", k, got.Shape, want.Shape)
				}
				if len(got.Data) != len(want.Data) {
					t.Errorf("%s: %d values, want %d", k, len(got.Data), len(want.Data))
					continue
				}
				for i, w := range want.Data {
					if math.Float32bits(got.Data[i]) != math.Float32bits(float32(w)) {
						t.Errorf("%s[%d] = %v, want %v", k, i, got.Data[i], float32(w))
						break
					}
				}
			}
			for _, dropped := range []string{"bn.num_batches_tracked", "int32", "module.conv.weight"} {
				if _, ok := sd[dropped]; ok {
					t.Errorf("%q should not be in the state dict", dropped)
				}
			}
		})
	}
}

func TestNamesSorted(t *testing.T) {
	sd, err := Load("testdata/sd_zip.pt", nil)
	if err != nil {
		t.Fatal(err)
	}
	names := sd.Names()
	if len(names) != len(sd) {
		t.Fatalf("Names has %d entries for %d tensors", len(names), len(sd))
	}
	for i := 1; i < len(names); i++ {
		if names[i-1] >= names[i] {
			t.Fatalf("not sorted: %q before %q", names[i-1], names[i])
		}
	}
}

func TestRefused(t *testing.T) {
	jpeg := []byte{0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1}
	tests := []struct {
		name    string
		file    string // in testdata, or "" to use data
		data    []byte
		opts    *Options
		want    error
		message string // substring of the error
	}{
		{name: "os.system in zip", file: "hostile_os_system.pt", want: ErrUnsafePickle, message: `"os.system"`},
		{name: "os.system in legacy", file: "hostile_os_system_legacy.pt", want: ErrUnsafePickle, message: `"os.system"`},
		{name: "os.system bare pickle", file: "hostile_os_system.pkl", want: ErrUnsafePickle, message: `"os.system"`},
		{name: "eval via STACK_GLOBAL", file: "hostile_eval.pt", want: ErrUnsafePickle, message: `"builtins.eval"`},
		{name: "_load_from_bytes", file: "hostile_load_from_bytes.pt", want: ErrUnsafePickle, message: "_load_from_bytes"},
		{name: "huge zip storage", file: "hostile_huge_storage.pt", want: ErrCorrupt, message: "1099511627776"},
		{name: "huge legacy storage", file: "hostile_huge_legacy.pt", want: ErrCorrupt, message: "1099511627776"},
		{name: "tensor outside storage", file: "hostile_tensor_oob.pt", want: ErrCorrupt, message: "4-element storage"},
		{name: "MaxBytes", file: "sd_zip.pt", opts: &Options{MaxBytes: 100}, want: ErrTooLarge, message: "bytes"},
		{name: "MaxBytes legacy", file: "sd_legacy.pt", opts: &Options{MaxBytes: 100}, want: ErrTooLarge, message: "bytes"},
		{name: "empty", data: []byte{}, want: ErrNotCheckpoint, message: "empty"},
		{name: "jpeg", data: jpeg, want: ErrNotCheckpoint, message: "JPEG"},
		{name: "text", data: []byte("hello, world\n"), want: ErrNotCheckpoint, message: "header"},
		{name: "plain pickle", data: []byte("\x80\x02}q\x00."), want: ErrNotCheckpoint, message: "magic"},
		{name: "zip without data.pkl", data: emptyZip(), want: ErrNotCheckpoint, message: "data.pkl"},
		{name: "truncated zip", file: "sd_zip.pt", data: nil, want: ErrCorrupt, message: "zip"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.data
			if tc.file != "" {
				b, err := os.ReadFile(filepath.Join("testdata", tc.file))
				if err != nil {
					t.Fatal(err)
				}
				data = b
				if tc.name == "truncated zip" {
					data = b[:len(b)/2]
				}
			}
			start := time.Now()
			sd, err := Read(bytes.NewReader(data), int64(len(data)), tc.opts)
			if err == nil {
				t.Fatalf("accepted: %d tensors", len(sd))
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("error %q does not wrap %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.message) || !strings.HasPrefix(err.Error(), "weights: ") {
				t.Errorf("error %q should start with \"weights: \" and mention %q", err, tc.message)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func emptyZip() []byte {
	// End of central directory record of an archive with no entries.
	return append([]byte("PK\x05\x06"), make([]byte, 18)...)
}

func TestLoadErrorNamesPath(t *testing.T) {
	p := filepath.Join(t.TempDir(), "photo.jpg")
	if err := os.WriteFile(p, []byte{0xff, 0xd8, 0xff, 0xdb, 1, 2}, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p, nil)
	if !errors.Is(err, ErrNotCheckpoint) || !strings.Contains(err.Error(), p) {
		t.Errorf("Load(jpeg) = %v, want ErrNotCheckpoint naming %s", err, p)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.pt"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want os.ErrNotExist", err)
	}
	if _, err := Load(t.TempDir(), nil); !errors.Is(err, ErrNotCheckpoint) {
		t.Errorf("Load(directory) = %v, want ErrNotCheckpoint", err)
	}
}

// TestTruncated cuts every fixture at many lengths: each cut must be refused
// with an error, never a panic or a partial result.
func TestTruncated(t *testing.T) {
	for _, name := range []string{"sd_zip.pt", "sd_legacy.pt", "wrapped_net_legacy.pt", "sd_proto4.pt"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < len(b); n++ {
			if _, err := Read(bytes.NewReader(b[:n]), int64(n), nil); err == nil {
				t.Fatalf("%s cut at %d of %d bytes: accepted", name, n, len(b))
			}
		}
	}
}

// TestBitFlips corrupts each byte of the pickles: no panic, and either an
// error or a result.
func TestBitFlips(t *testing.T) {
	b, err := os.ReadFile("testdata/sd_legacy.pt")
	if err != nil {
		t.Fatal(err)
	}
	for i := range min(len(b), 1800) {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			c := bytes.Clone(b)
			c[i] ^= x
			_, _ = Read(bytes.NewReader(c), int64(len(c)), &Options{MaxBytes: 1 << 20})
		}
	}
}

func TestHalfToFloat32(t *testing.T) {
	tests := []struct {
		h    uint16
		want float32
	}{
		{0x0000, 0}, {0x3c00, 1}, {0xc000, -2}, {0x7bff, 65504}, {0x0001, 5.9604645e-08},
		{0x03ff, 6.097555e-05}, {0x0400, 6.1035156e-05}, {0x3555, 0.33325195},
		{0x7c00, float32(math.Inf(1))}, {0xfc00, float32(math.Inf(-1))},
	}
	for _, tc := range tests {
		if got := halfToFloat32(tc.h); got != tc.want {
			t.Errorf("halfToFloat32(%#04x) = %v, want %v", tc.h, got, tc.want)
		}
	}
	if got := halfToFloat32(0x7e00); !math.IsNaN(float64(got)) {
		t.Errorf("halfToFloat32(NaN) = %v", got)
	}
	if got := halfToFloat32(0x8000); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("halfToFloat32(-0) = %v", got)
	}
}

func referenceModel(tb testing.TB) string {
	return reftest.Checkpoint(reftest.Dir(tb))
}

func TestReferenceResNet34(t *testing.T) {
	sd, err := Load(referenceModel(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	// 218 entries, of which 36 are BatchNorm num_batches_tracked (int64).
	if len(sd) != 218-36 {
		t.Errorf("%d tensors, want 182", len(sd))
	}
	shapes := map[string][]int{
		"conv1.weight":                 {64, 3, 7, 7},
		"bn1.running_var":              {64},
		"layer1.0.conv1.weight":        {64, 64, 3, 3},
		"layer2.0.downsample.0.weight": {128, 64, 1, 1},
		"layer4.2.bn2.bias":            {512},
		"fc.weight":                    {2, 512},
		"fc.bias":                      {2},
	}
	for k, want := range shapes {
		if got := sd[k].Shape; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: shape %v, want %v", k, got, want)
		}
	}
	params := 0
	for _, name := range sd.Names() {
		if strings.HasSuffix(name, "num_batches_tracked") {
			t.Errorf("%s kept", name)
		}
		if !strings.Contains(name, "running_") {
			params += len(sd[name].Data)
		}
	}
	if params != 21285698 { // torchvision resnet34 with a 2-class head
		t.Errorf("%d parameters, want 21285698", params)
	}
}

func BenchmarkLoad(b *testing.B) {
	path := referenceModel(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(path, nil); err != nil {
			b.Fatal(err)
		}
	}
}
