package weights

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"

	"github.com/nlpodyssey/gopickle/types"
)

// entry is one key/value pair of a pickled dict.
type entry struct {
	key   any
	value any
}

// dictEntries lists the entries of a pickled dict or OrderedDict in order.
func dictEntries(v any) ([]entry, bool) {
	switch d := v.(type) {
	case *types.Dict:
		out := make([]entry, 0, d.Len())
		for _, e := range *d {
			out = append(out, entry{e.Key, e.Value})
		}
		return out, true
	case *types.OrderedDict:
		out := make([]entry, 0, d.Len())
		for el := d.List.Front(); el != nil; el = el.Next() {
			e := el.Value.(*types.OrderedDictEntry)
			out = append(out, entry{e.Key, e.Value})
		}
		return out, true
	}
	return nil, false
}

// findStateDict unwraps training checkpoints down to the dict of tensors.
func findStateDict(root any) ([]entry, error) {
	entries, ok := dictEntries(root)
	if !ok {
		return nil, fmt.Errorf("%w: the pickle holds a %s, not a state dict", ErrNotCheckpoint, pyType(root))
	}
	for range 4 {
		if hasTensor(entries) {
			break
		}
		inner, ok := wrapped(entries)
		if !ok {
			break
		}
		entries = inner
	}
	return entries, nil
}

func hasTensor(entries []entry) bool {
	for _, e := range entries {
		if _, ok := e.value.(*tensorRef); ok {
			return true
		}
	}
	return false
}

// wrapped returns the state dict stored under one of the entries of a
// training checkpoint that may hold it, in order of preference.
func wrapped(entries []entry) ([]entry, bool) {
	for _, wk := range [...]string{"state_dict", "model_state_dict", "model", "net"} {
		for _, e := range entries {
			if k, _ := e.key.(string); k == wk {
				if inner, ok := dictEntries(e.value); ok {
					return inner, true
				}
			}
		}
	}
	return nil, false
}

func pyType(v any) string {
	switch v.(type) {
	case nil:
		return "None"
	case *types.List:
		return "list"
	case *types.Tuple:
		return "tuple"
	case *tensorRef:
		return "single tensor"
	case string:
		return "string"
	case int, *big.Int:
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

// buildStateDict selects the floating-point tensors, strips "module." and
// decodes them, reading each storage once.
func buildStateDict(root any, limit int64) (StateDict, error) {
	entries, err := findStateDict(root)
	if err != nil {
		return nil, err
	}
	return selectTensors(entries, limit)
}

// selectTensors keeps the floating-point tensors of a state dict's
// entries, strips "module." and decodes them within limit bytes.
func selectTensors(entries []entry, limit int64) (StateDict, error) {
	refs := map[string]*tensorRef{}
	origin := map[string]string{}
	var total int64
	for _, e := range entries {
		key, ok := e.key.(string)
		t, isT := e.value.(*tensorRef)
		if !ok || !isT || !t.st.dt.float {
			continue
		}
		name := strings.TrimPrefix(key, "module.")
		if o, dup := origin[name]; dup && o != key {
			return nil, fmt.Errorf("%w: both %q and %q name %q", ErrCorrupt, o, key, name)
		}
		if old, dup := refs[name]; dup {
			total -= old.numel * 4
		}
		origin[name], refs[name] = key, t
		if total += t.numel * 4; total > limit {
			return nil, fmt.Errorf("%w: tensors need more than %d bytes (Options.MaxBytes)", ErrTooLarge, limit)
		}
	}
	if len(refs) == 0 && !hasTensor(entries) {
		return nil, fmt.Errorf("%w: no tensors found", ErrNotCheckpoint)
	}
	return materialize(refs)
}

// materialize decodes the tensors, grouped by storage so that each storage
// is read once and released before the next.
func materialize(refs map[string]*tensorRef) (StateDict, error) {
	names := make([]string, 0, len(refs))
	for n := range refs {
		names = append(names, n)
	}
	sort.Strings(names)
	groups := map[*storage][]string{}
	var order []*storage
	for _, n := range names {
		st := refs[n].st
		if _, seen := groups[st]; !seen {
			order = append(order, st)
		}
		groups[st] = append(groups[st], n)
	}
	sd := make(StateDict, len(refs))
	for _, st := range order {
		if st.load == nil {
			return nil, fmt.Errorf("%w: storage %q has no data", ErrCorrupt, st.key)
		}
		raw, err := st.load()
		if err != nil {
			return nil, err
		}
		for _, n := range groups[st] {
			t := refs[n]
			sd[n] = Tensor{Shape: t.shape, Data: decode(raw, t)}
		}
	}
	return sd, nil
}

// decode gathers a (possibly strided) tensor into row-major float32.
// Bounds were checked by newTensorRef and the storage loader.
func decode(raw []byte, t *tensorRef) []float32 {
	out := make([]float32, t.numel)
	if t.numel == 0 {
		return out
	}
	get := elementDecoder(t.st.dt, t.st.bigEndian)
	if contiguous(t.shape, t.stride) {
		if t.st.dt.name == "float32" && !t.st.bigEndian {
			b := raw[t.offset*4 : (t.offset+t.numel)*4]
			for i := range out {
				out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
			return out
		}
		for i := range out {
			out[i] = get(raw, t.offset+int64(i))
		}
		return out
	}
	nd := len(t.shape)
	idx := make([]int, nd)
	pos := t.offset
	for i := range out {
		out[i] = get(raw, pos)
		for d := nd - 1; d >= 0; d-- {
			idx[d]++
			pos += t.stride[d]
			if idx[d] < t.shape[d] {
				break
			}
			pos -= t.stride[d] * int64(t.shape[d])
			idx[d] = 0
		}
	}
	return out
}

// contiguous reports whether strides are row-major for the shape
// (dimensions of size 1 may have any stride).
func contiguous(shape []int, stride []int64) bool {
	want := int64(1)
	for d := len(shape) - 1; d >= 0; d-- {
		if shape[d] != 1 && stride[d] != want {
			return false
		}
		want *= int64(shape[d])
	}
	return true
}

// elementDecoder returns a function reading element i of a storage.
func elementDecoder(dt dtype, bigEndian bool) func(b []byte, i int64) float32 {
	var o binary.ByteOrder = binary.LittleEndian
	if bigEndian {
		o = binary.BigEndian
	}
	switch dt.name {
	case "float64":
		return func(b []byte, i int64) float32 { return float32(math.Float64frombits(o.Uint64(b[8*i:]))) }
	case "float16":
		return func(b []byte, i int64) float32 { return halfToFloat32(o.Uint16(b[2*i:])) }
	case "bfloat16":
		return func(b []byte, i int64) float32 { return math.Float32frombits(uint32(o.Uint16(b[2*i:])) << 16) }
	}
	return func(b []byte, i int64) float32 { return math.Float32frombits(o.Uint32(b[4*i:])) }
}

// halfToFloat32 converts an IEEE 754 binary16 value exactly.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	}
	f := float32(mant) * (1.0 / (1 << 24)) // zero or subnormal: mant * 2^-24
	if sign != 0 {
		f = -f
	}
	return f
}
