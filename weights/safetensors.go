package weights

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
)

// maxSafetensorsHeader bounds the JSON header of a safetensors file, as the
// reference implementation does.
const maxSafetensorsHeader = 100_000_000

// safetensorsInfo is one tensor's entry in a safetensors header.
type safetensorsInfo struct {
	Dtype   string  `json:"dtype"`
	Shape   []int64 `json:"shape"`
	Offsets []int64 `json:"data_offsets"`
}

// safetensorsTensor is a checked header entry: its element type, shape and
// byte range [begin, end) in the data section.
type safetensorsTensor struct {
	name       string
	dt         dtype
	shape      []int64
	numel      int64
	begin, end int64
}

// safetensorsDtype maps a safetensors dtype name to an element type and its
// size in bits. Only the floating-point types F32, F64, F16 and BF16 are
// kept (dtype.float); the others are recognised so that their byte ranges
// can be checked, then dropped.
func safetensorsDtype(name string) (dt dtype, bits int64, ok bool) {
	switch name {
	case "F32":
		return dtype{"float32", 4, true}, 32, true
	case "F64":
		return dtype{"float64", 8, true}, 64, true
	case "F16":
		return dtype{"float16", 2, true}, 16, true
	case "BF16":
		return dtype{"bfloat16", 2, true}, 16, true
	case "I64", "U64", "C64":
		return dtype{name, 8, false}, 64, true
	case "I32", "U32":
		return dtype{name, 4, false}, 32, true
	case "I16", "U16":
		return dtype{name, 2, false}, 16, true
	case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2", "F8_E8M0":
		return dtype{name, 1, false}, 8, true
	case "F6_E2M3", "F6_E3M2":
		return dtype{name, 0, false}, 6, true
	case "F4":
		return dtype{name, 0, false}, 4, true
	}
	return dtype{}, 0, false
}

// looksLikeSafetensors reports whether the first bytes of a file are a
// safetensors header length followed by the start of a JSON object. No
// PyTorch checkpoint has '{' at offset 8 (a zip's compression method, a
// legacy file's magic number).
func looksLikeSafetensors(head []byte) bool {
	return len(head) > 8 && head[8] == '{'
}

// readSafetensors reads a safetensors file: a little-endian uint64 header
// length N, N bytes of JSON header, then the data section. Every length and
// offset is checked against the file size before anything is allocated.
func readSafetensors(r io.ReaderAt, size, limit int64) (StateDict, error) {
	header, err := readSafetensorsHeader(r, size, limit)
	if err != nil {
		return nil, err
	}
	dataStart := 8 + int64(len(header))
	if size-dataStart > math.MaxInt64/8 {
		return nil, fmt.Errorf("%w: safetensors: %d-byte file", ErrTooLarge, size)
	}
	tensors, err := parseSafetensorsHeader(header, size-dataStart)
	if err != nil {
		return nil, err
	}
	var entries []entry
	for _, t := range tensors {
		if !t.dt.float {
			continue
		}
		st := &storage{dt: t.dt, key: t.name, numel: t.numel, load: sectionLoader(r, dataStart+t.begin, t.end-t.begin)}
		ref, err := newTensorRef(st, 0, t.shape, contiguousStrides(t.shape))
		if err != nil {
			return nil, fmt.Errorf("safetensors: %q: %w", t.name, err)
		}
		entries = append(entries, entry{t.name, ref})
	}
	sd, err := selectTensors(entries, limit)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return sd, nil
}

// readSafetensorsHeader returns the JSON header after checking its length
// against the file size, the format's 100 MB cap and limit.
func readSafetensorsHeader(r io.ReaderAt, size, limit int64) ([]byte, error) {
	var word [8]byte
	if size < 8 {
		return nil, fmt.Errorf("%w: safetensors: %d bytes, no room for the header length", ErrCorrupt, size)
	}
	if _, err := r.ReadAt(word[:], 0); err != nil {
		return nil, fmt.Errorf("%w: safetensors: header length: %v", ErrCorrupt, err)
	}
	n := binary.LittleEndian.Uint64(word[:])
	switch {
	case n > uint64(size-8):
		return nil, fmt.Errorf("%w: safetensors: header of %d bytes in a %d-byte file", ErrCorrupt, n, size)
	case n > maxSafetensorsHeader || int64(n) > limit:
		return nil, fmt.Errorf("%w: safetensors: header of %d bytes", ErrTooLarge, n)
	case n < 2:
		return nil, fmt.Errorf("%w: safetensors: header of %d bytes", ErrCorrupt, n)
	}
	header := make([]byte, n)
	if _, err := r.ReadAt(header, 8); err != nil {
		return nil, fmt.Errorf("%w: safetensors: header: %v", ErrCorrupt, err)
	}
	if header[0] != '{' {
		return nil, fmt.Errorf("%w: safetensors: header does not start with '{'", ErrCorrupt)
	}
	return header, nil
}

// parseSafetensorsHeader decodes the header and checks that the tensors'
// byte ranges tile the data section of dataLen bytes exactly, without
// holes or overlaps, as the reference implementation requires. The result
// is sorted by name.
func parseSafetensorsHeader(header []byte, dataLen int64) ([]safetensorsTensor, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(header, &raw); err != nil {
		return nil, fmt.Errorf("%w: safetensors: header: %v", ErrCorrupt, err)
	}
	tensors := make([]safetensorsTensor, 0, len(raw))
	for name, msg := range raw {
		if name == "__metadata__" {
			var meta map[string]string
			if err := json.Unmarshal(msg, &meta); err != nil {
				return nil, fmt.Errorf("%w: safetensors: __metadata__ is not a map of strings: %v", ErrCorrupt, err)
			}
			continue
		}
		t, err := checkSafetensorsEntry(name, msg, dataLen)
		if err != nil {
			return nil, err
		}
		tensors = append(tensors, t)
	}
	sort.Slice(tensors, func(i, j int) bool {
		a, b := tensors[i], tensors[j]
		return a.begin < b.begin || (a.begin == b.begin && a.end < b.end)
	})
	var next int64
	for _, t := range tensors {
		if t.begin != next {
			return nil, fmt.Errorf("%w: safetensors: %q starts at byte %d of the data, want %d (overlap or hole)", ErrCorrupt, t.name, t.begin, next)
		}
		next = t.end
	}
	if next != dataLen {
		return nil, fmt.Errorf("%w: safetensors: tensors cover %d of the %d data bytes", ErrCorrupt, next, dataLen)
	}
	sort.Slice(tensors, func(i, j int) bool { return tensors[i].name < tensors[j].name })
	return tensors, nil
}

// checkSafetensorsEntry decodes one tensor entry and checks its dtype,
// shape and byte range against a data section of dataLen bytes.
func checkSafetensorsEntry(name string, msg json.RawMessage, dataLen int64) (safetensorsTensor, error) {
	var info safetensorsInfo
	if err := json.Unmarshal(msg, &info); err != nil {
		return safetensorsTensor{}, fmt.Errorf("%w: safetensors: %q: %v", ErrCorrupt, name, err)
	}
	dt, bits, ok := safetensorsDtype(info.Dtype)
	if !ok {
		return safetensorsTensor{}, fmt.Errorf("%w: safetensors: %q has dtype %q", ErrUnsupported, name, info.Dtype)
	}
	if len(info.Offsets) != 2 {
		return safetensorsTensor{}, fmt.Errorf("%w: safetensors: %q has %d data_offsets, want 2", ErrCorrupt, name, len(info.Offsets))
	}
	begin, end := info.Offsets[0], info.Offsets[1]
	if begin < 0 || begin > end || end > dataLen {
		return safetensorsTensor{}, fmt.Errorf("%w: safetensors: %q has data_offsets [%d, %d] outside the %d data bytes", ErrCorrupt, name, begin, end, dataLen)
	}
	if len(info.Shape) > maxDims {
		return safetensorsTensor{}, fmt.Errorf("%w: safetensors: %q has %d dimensions", ErrCorrupt, name, len(info.Shape))
	}
	// numel*bits must equal the span's bits: bounding numel by maxElems
	// before each multiplication rules out overflow.
	span := end - begin
	maxElems := span * 8 / bits
	numel := int64(1)
	for _, d := range info.Shape {
		if d < 0 {
			return safetensorsTensor{}, fmt.Errorf("%w: safetensors: %q has shape %v", ErrCorrupt, name, info.Shape)
		}
		if d > 0 && numel > maxElems/d {
			numel = -1
			break
		}
		numel *= d
	}
	if numel < 0 || numel*bits != span*8 {
		return safetensorsTensor{}, fmt.Errorf("%w: safetensors: %q is %s of shape %v but spans %d bytes", ErrCorrupt, name, info.Dtype, info.Shape, span)
	}
	return safetensorsTensor{name: name, dt: dt, shape: info.Shape, numel: numel, begin: begin, end: end}, nil
}

// contiguousStrides returns the row-major strides of shape, in elements.
func contiguousStrides(shape []int64) []int64 {
	stride := make([]int64, len(shape))
	s := int64(1)
	for i := len(shape) - 1; i >= 0; i-- {
		stride[i] = s
		if shape[i] > 0 && s <= math.MaxInt64/shape[i] {
			s *= shape[i]
		}
	}
	return stride
}

// sectionLoader returns a storage loader reading n bytes at off; off and n
// were checked against the file size.
func sectionLoader(r io.ReaderAt, off, n int64) func() ([]byte, error) {
	return func() ([]byte, error) {
		b := make([]byte, n)
		if m, err := r.ReadAt(b, off); int64(m) < n {
			return nil, fmt.Errorf("%w: safetensors: reading %d bytes at %d: %v", ErrCorrupt, n, off, err)
		}
		return b, nil
	}
}
