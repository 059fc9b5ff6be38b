package weights

import (
	"bytes"
	"errors"
	"fmt"
	"math"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
)

// dtype describes the element type of a storage.
type dtype struct {
	name  string
	size  int64
	float bool // converted to float32 and kept; other tensors are dropped
}

// storageClass is what a torch.*Storage global resolves to. It is not
// callable: it only names the element type in persistent IDs.
type storageClass struct{ dt dtype }

// storageClassOf maps the torch storage class names to element types.
func storageClassOf(name string) (*storageClass, bool) {
	dt, ok := map[string]dtype{
		"FloatStorage":         {"float32", 4, true},
		"DoubleStorage":        {"float64", 8, true},
		"HalfStorage":          {"float16", 2, true},
		"BFloat16Storage":      {"bfloat16", 2, true},
		"LongStorage":          {"int64", 8, false},
		"IntStorage":           {"int32", 4, false},
		"ShortStorage":         {"int16", 2, false},
		"CharStorage":          {"int8", 1, false},
		"ByteStorage":          {"uint8", 1, false},
		"BoolStorage":          {"bool", 1, false},
		"ComplexFloatStorage":  {"complex64", 8, false},
		"ComplexDoubleStorage": {"complex128", 16, false},
	}[name]
	if !ok {
		return nil, false
	}
	return &storageClass{dt: dt}, true
}

// storage is a validated storage: numel elements of dt whose bytes the
// loader can fetch on demand. A legacy view storage points into base.
type storage struct {
	dt        dtype
	key       string
	numel     int64
	bigEndian bool
	base      *storage // for legacy views: the root storage
	baseOff   int64    // element offset of the view in base
	load      func() ([]byte, error)
}

// tensorRef describes a tensor over a root storage; its bounds were checked.
type tensorRef struct {
	st     *storage // root storage
	offset int64    // in elements of st
	shape  []int
	stride []int64
	numel  int64
}

// rebuildTensor implements torch._utils._rebuild_tensor_v2 (6 or 7
// arguments) and _rebuild_tensor (4 arguments).
type rebuildTensor struct{ minArgs, maxArgs int }

// Call validates the arguments and returns a *tensorRef.
func (r *rebuildTensor) Call(args ...any) (any, error) {
	if len(args) < r.minArgs || len(args) > r.maxArgs {
		return nil, fmt.Errorf("%w: _rebuild_tensor with %d arguments", ErrCorrupt, len(args))
	}
	st, ok := args[0].(*storage)
	if !ok {
		return nil, fmt.Errorf("%w: _rebuild_tensor on %T, not a storage", ErrCorrupt, args[0])
	}
	off, ok := args[1].(int)
	if !ok {
		return nil, fmt.Errorf("%w: storage offset is %T", ErrCorrupt, args[1])
	}
	size, err := intTuple(args[2], "size")
	if err != nil {
		return nil, err
	}
	stride, err := intTuple(args[3], "stride")
	if err != nil {
		return nil, err
	}
	return newTensorRef(st, int64(off), size, stride)
}

// rebuildParameter implements torch._utils._rebuild_parameter and
// _rebuild_parameter_with_state: it returns the tensor it wraps.
type rebuildParameter struct{ nargs int }

// Call returns the wrapped *tensorRef.
func (r *rebuildParameter) Call(args ...any) (any, error) {
	if len(args) != r.nargs {
		return nil, fmt.Errorf("%w: _rebuild_parameter with %d arguments", ErrCorrupt, len(args))
	}
	t, ok := args[0].(*tensorRef)
	if !ok {
		return nil, fmt.Errorf("%w: _rebuild_parameter of %T, not a tensor", ErrCorrupt, args[0])
	}
	return t, nil
}

// findClass resolves a pickle global against the whitelist.
func findClass(module, name string) (any, error) {
	switch module {
	case "torch._utils":
		switch name {
		case "_rebuild_tensor_v2":
			return &rebuildTensor{6, 7}, nil
		case "_rebuild_tensor":
			return &rebuildTensor{4, 4}, nil
		case "_rebuild_parameter":
			return &rebuildParameter{3}, nil
		case "_rebuild_parameter_with_state":
			return &rebuildParameter{4}, nil
		}
	case "torch":
		if c, ok := storageClassOf(name); ok {
			return c, nil
		}
	case "collections":
		if name == "OrderedDict" {
			return &types.OrderedDictClass{}, nil
		}
	case "torch.storage":
		if name == "_load_from_bytes" {
			return nil, fmt.Errorf("%w: global \"torch.storage._load_from_bytes\" is refused (it runs torch.load on embedded bytes)", ErrUnsafePickle)
		}
	}
	return nil, fmt.Errorf("%w: global %q is not allowed", ErrUnsafePickle, module+"."+name)
}

// unpickle decodes a scanned pickle with the whitelist and the given
// persistent-ID handler (nil: persistent IDs are refused).
func unpickle(data []byte, persistentLoad func(any) (any, error)) (v any, err error) {
	defer func() {
		if p := recover(); p != nil {
			v, err = nil, fmt.Errorf("%w: malformed pickle (recovered: %v)", ErrCorrupt, p)
		}
	}()
	u := pickle.NewUnpickler(bytes.NewReader(data))
	u.FindClass = findClass
	u.PersistentLoad = persistentLoad
	v, err = u.Load()
	if err != nil {
		return nil, classify(err)
	}
	return v, nil
}

// classify wraps decoder errors that carry no sentinel in ErrCorrupt.
func classify(err error) error {
	for _, s := range []error{ErrNotCheckpoint, ErrUnsafePickle, ErrTooLarge, ErrCorrupt, ErrUnsupported} {
		if errors.Is(err, s) {
			return err
		}
	}
	return fmt.Errorf("%w: pickle: %v", ErrCorrupt, err)
}

// maxDims bounds the rank of a tensor.
const maxDims = 64

// newTensorRef checks that a tensor of the given size, stride and offset
// lies inside st and returns it relative to st's root storage.
func newTensorRef(st *storage, off int64, size []int64, stride []int64) (*tensorRef, error) {
	if len(size) != len(stride) || len(size) > maxDims {
		return nil, fmt.Errorf("%w: tensor with %d sizes and %d strides", ErrCorrupt, len(size), len(stride))
	}
	if off < 0 {
		return nil, fmt.Errorf("%w: negative storage offset %d", ErrCorrupt, off)
	}
	numel := int64(1)
	last := off // index of the last element
	for i, n := range size {
		if n < 0 || stride[i] < 0 {
			return nil, fmt.Errorf("%w: negative size or stride in %v / %v", ErrCorrupt, size, stride)
		}
		if n > 0 && numel > (math.MaxInt64/8)/n {
			return nil, fmt.Errorf("%w: tensor of size %v", ErrTooLarge, size)
		}
		numel *= n
		if n > 1 {
			if stride[i] > 0 && (n-1) > (math.MaxInt64-last)/stride[i] {
				return nil, fmt.Errorf("%w: tensor of size %v and stride %v overflows", ErrCorrupt, size, stride)
			}
			last += (n - 1) * stride[i]
		}
	}
	if numel > 0 && last >= st.numel {
		return nil, fmt.Errorf("%w: tensor of size %v, stride %v, offset %d needs element %d of a %d-element storage",
			ErrCorrupt, size, stride, off, last, st.numel)
	}
	shape := make([]int, len(size))
	for i, n := range size {
		shape[i] = int(n)
	}
	if st.base != nil {
		off += st.baseOff
		st = st.base
	}
	return &tensorRef{st: st, offset: off, shape: shape, stride: stride, numel: numel}, nil
}

// intTuple converts a pickled tuple of ints.
func intTuple(v any, what string) ([]int64, error) {
	t, ok := v.(*types.Tuple)
	if !ok {
		return nil, fmt.Errorf("%w: tensor %s is %T, not a tuple", ErrCorrupt, what, v)
	}
	if t.Len() > maxDims {
		return nil, fmt.Errorf("%w: tensor %s has %d dimensions", ErrCorrupt, what, t.Len())
	}
	out := make([]int64, t.Len())
	for i := range out {
		n, ok := t.Get(i).(int)
		if !ok {
			return nil, fmt.Errorf("%w: tensor %s holds %T", ErrCorrupt, what, t.Get(i))
		}
		out[i] = int64(n)
	}
	return out, nil
}

// storageID is the common part of zip and legacy persistent IDs:
// ("storage", class, key, location, numel, ...).
type storageID struct {
	dt    dtype
	key   string
	numel int64
	rest  []any
}

func parseStorageID(pid any, minLen int) (storageID, error) {
	t, ok := pid.(*types.Tuple)
	if !ok || t.Len() < 1 {
		return storageID{}, fmt.Errorf("%w: persistent ID %T", ErrCorrupt, pid)
	}
	if s, _ := t.Get(0).(string); s != "storage" {
		if s == "module" {
			return storageID{}, fmt.Errorf("%w: the file holds a pickled nn.Module; save model.state_dict() instead", ErrUnsupported)
		}
		return storageID{}, fmt.Errorf("%w: persistent ID of type %q", ErrCorrupt, s)
	}
	if t.Len() != minLen {
		return storageID{}, fmt.Errorf("%w: storage persistent ID with %d fields", ErrCorrupt, t.Len())
	}
	cls, ok1 := t.Get(1).(*storageClass)
	key, ok2 := t.Get(2).(string)
	_, ok3 := t.Get(3).(string)
	numel, ok4 := t.Get(4).(int)
	if !ok1 || !ok2 || !ok3 || !ok4 || numel < 0 {
		return storageID{}, fmt.Errorf("%w: malformed storage persistent ID", ErrCorrupt)
	}
	if int64(numel) > math.MaxInt64/cls.dt.size {
		return storageID{}, fmt.Errorf("%w: storage %q of %d elements", ErrTooLarge, key, numel)
	}
	return storageID{dt: cls.dt, key: key, numel: int64(numel), rest: (*t)[5:]}, nil
}
