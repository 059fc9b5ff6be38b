package weights

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Sentinel errors returned (wrapped) by Load and Read; test with errors.Is.
var (
	// ErrNotCheckpoint means the input is not a PyTorch checkpoint at all:
	// empty, an image, a plain pickle, a zip without data.pkl, or a pickle
	// whose top-level object holds no state dict.
	ErrNotCheckpoint = errors.New("not a PyTorch checkpoint")
	// ErrUnsafePickle means a pickle names a global outside the whitelist
	// (for example os.system) or uses an opcode or structure the loader
	// refuses to decode.
	ErrUnsafePickle = errors.New("unsafe pickle")
	// ErrTooLarge means the tensors, a storage or a pickle exceed the limits
	// (see Options.MaxBytes).
	ErrTooLarge = errors.New("checkpoint exceeds the size limit")
	// ErrCorrupt means a truncated or inconsistent checkpoint: a storage
	// shorter than declared, a tensor outside its storage, a malformed pickle.
	ErrCorrupt = errors.New("corrupt or truncated checkpoint")
	// ErrUnsupported means a valid PyTorch file of a kind this package does
	// not read, such as a TorchScript archive or a pickled nn.Module.
	ErrUnsupported = errors.New("unsupported checkpoint")
)

// DefaultMaxBytes is the limit on the total decoded tensor bytes used when
// Options.MaxBytes is zero: 2 GiB.
const DefaultMaxBytes int64 = 2 << 30

// maxPickleBytes bounds the size of the main pickle (data.pkl); a ResNet34
// state dict needs about 25 KB, a large language model about 2 MB.
const maxPickleBytes int64 = 32 << 20

// Tensor is a dense float32 tensor in row-major order.
type Tensor struct {
	// Shape lists the dimensions, outermost first; empty for a scalar.
	Shape []int
	// Data holds the product of Shape elements, last dimension fastest.
	Data []float32
}

// StateDict maps parameter names, as PyTorch spells them (after
// unwrapping), to tensors.
type StateDict map[string]Tensor

// Names returns the parameter names in sorted order.
func (sd StateDict) Names() []string {
	names := make([]string, 0, len(sd))
	for k := range sd {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Options configures Load and Read. A nil *Options means the defaults.
type Options struct {
	// MaxBytes is the total decoded tensor bytes allowed (4 per float32
	// element); 0 or negative means DefaultMaxBytes. It also bounds the
	// size of any single storage and the memory spent decoding the pickle.
	MaxBytes int64
}

func (o *Options) maxBytes() int64 {
	if o == nil || o.MaxBytes <= 0 {
		return DefaultMaxBytes
	}
	return o.MaxBytes
}

// Load reads the PyTorch checkpoint or safetensors file at path; see the
// package documentation for the formats accepted and the safety
// guarantees. opts may be nil.
func Load(path string, opts *Options) (StateDict, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("weights: %s: %w: not a regular file", path, ErrNotCheckpoint)
	}
	sd, err := read(f, st.Size(), opts, strings.EqualFold(filepath.Ext(path), ".safetensors"))
	if err != nil {
		return nil, fmt.Errorf("weights: %s: %w", path, err)
	}
	return sd, nil
}

// Read reads a PyTorch checkpoint or safetensors file of size bytes from
// r; see Load. opts may be nil.
func Read(r io.ReaderAt, size int64, opts *Options) (StateDict, error) {
	if r == nil {
		return nil, errors.New("weights: nil reader")
	}
	sd, err := read(r, size, opts, false)
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	return sd, nil
}

// read detects the format from the first bytes, or takes safetensors when
// the file is named so.
func read(r io.ReaderAt, size int64, opts *Options, safetensorsName bool) (sd StateDict, err error) {
	defer func() {
		if p := recover(); p != nil {
			sd, err = nil, fmt.Errorf("%w: malformed input (recovered: %v)", ErrCorrupt, p)
		}
	}()
	limit := opts.maxBytes()
	if size < 0 {
		return nil, fmt.Errorf("negative size %d", size)
	}
	if size == 0 {
		return nil, fmt.Errorf("%w: empty file", ErrNotCheckpoint)
	}
	head := make([]byte, min(size, 16))
	if n, err := r.ReadAt(head, 0); n < len(head) {
		return nil, fmt.Errorf("reading header: %w", err)
	}
	var root any
	switch {
	case safetensorsName || looksLikeSafetensors(head):
		return readSafetensors(r, size, limit)
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		root, err = readZip(r, size, limit)
	case head[0] == 0x80:
		root, err = readLegacy(r, size, limit)
	default:
		return nil, fmt.Errorf("%w: %s", ErrNotCheckpoint, describe(head))
	}
	if err != nil {
		return nil, err
	}
	return buildStateDict(root, limit)
}

// describe names common non-checkpoint files from their first bytes.
func describe(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0xff, 0xd8, 0xff}):
		return "this is a JPEG image"
	case bytes.HasPrefix(head, []byte("\x89PNG")):
		return "this is a PNG image"
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return "this is a gzip file"
	}
	return fmt.Sprintf("unrecognised header % x", head[:min(len(head), 4)])
}
