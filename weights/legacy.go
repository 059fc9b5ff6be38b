package weights

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/nlpodyssey/gopickle/types"
)

const (
	legacyMagic     = "1950a86a20f9469cfc6c" // hex of torch's MAGIC_NUMBER
	legacyProtocol  = 1001
	smallPickleSize = 64 << 10 // magic, protocol and sys_info pickles
	smallPickleCost = 32 << 20 // decoder memory allowed for them
)

// legacyReader tracks the position in a legacy (non-zip) checkpoint.
type legacyReader struct {
	r     io.ReaderAt
	size  int64
	limit int64
	br    *bufio.Reader
	pos   int64 // bytes consumed by the pickles read so far
}

func (l *legacyReader) pickle(maxLen, costLimit int64, load func(any) (any, error)) (any, error) {
	data, err := scanPickle(l.br, maxLen, costLimit)
	if err != nil {
		return nil, err
	}
	l.pos += int64(len(data))
	return unpickle(data, load)
}

// readLegacy decodes a checkpoint written with
// _use_new_zipfile_serialization=False and locates its storages.
func readLegacy(r io.ReaderAt, size, limit int64) (any, error) {
	l := &legacyReader{r: r, size: size, limit: limit,
		br: bufio.NewReader(io.NewSectionReader(r, 0, size))}
	magic, err := l.pickle(smallPickleSize, smallPickleCost, nil)
	if errors.Is(err, ErrUnsafePickle) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%w: starts like a pickle but is not one (%v)", ErrNotCheckpoint, err)
	}
	if n, ok := magic.(*big.Int); !ok || n.Text(16) != legacyMagic {
		return nil, fmt.Errorf("%w: a pickle without PyTorch's magic number", ErrNotCheckpoint)
	}
	proto, err := l.pickle(smallPickleSize, smallPickleCost, nil)
	if err != nil {
		return nil, fmt.Errorf("legacy protocol version: %w", err)
	}
	if n, ok := proto.(int); !ok || n != legacyProtocol {
		return nil, fmt.Errorf("%w: legacy protocol version %v", ErrUnsupported, proto)
	}
	sysInfo, err := l.pickle(smallPickleSize, smallPickleCost, nil)
	if err != nil {
		return nil, fmt.Errorf("legacy sys_info: %w", err)
	}
	bigEndian := false
	if d, ok := sysInfo.(*types.Dict); ok {
		if le, ok := d.Get("little_endian"); ok && le == false {
			bigEndian = true
		}
	}

	storages := map[string]*storage{}
	views := map[string]*storage{}
	load := func(pid any) (any, error) { return l.persistentLoad(pid, storages, views) }
	root, err := l.pickle(min(maxPickleBytes, limit), limit, load)
	if err != nil {
		return nil, fmt.Errorf("main pickle: %w", err)
	}
	keys, err := l.pickle(min(maxPickleBytes, limit), limit, nil)
	if err != nil {
		return nil, fmt.Errorf("storage keys: %w", err)
	}
	list, ok := keys.(*types.List)
	if !ok {
		return nil, fmt.Errorf("%w: storage keys are %T, not a list", ErrCorrupt, keys)
	}
	if err := l.placeStorages(*list, storages, bigEndian); err != nil {
		return nil, err
	}
	return root, nil
}

// persistentLoad handles ("storage", class, root_key, location, numel,
// view_metadata) without reading any storage data.
func (l *legacyReader) persistentLoad(pid any, storages, views map[string]*storage) (any, error) {
	id, err := parseStorageID(pid, 6)
	if err != nil {
		return nil, err
	}
	nbytes := id.numel * id.dt.size
	if nbytes > l.size-l.pos {
		return nil, fmt.Errorf("%w: storage %q declares %d %s elements (%d bytes) but the file has %d bytes",
			ErrCorrupt, id.key, id.numel, id.dt.name, nbytes, l.size)
	}
	if nbytes > l.limit {
		return nil, fmt.Errorf("%w: storage %q of %d bytes (limit %d)", ErrTooLarge, id.key, nbytes, l.limit)
	}
	root, ok := storages[id.key]
	if !ok {
		root = &storage{dt: id.dt, key: id.key, numel: id.numel}
		storages[id.key] = root
	} else if root.dt != id.dt || root.numel != id.numel {
		return nil, fmt.Errorf("%w: storage %q declared twice differently", ErrCorrupt, id.key)
	}
	if id.rest[0] == nil {
		return root, nil
	}
	vm, ok := id.rest[0].(*types.Tuple)
	if !ok || vm.Len() != 3 {
		return nil, fmt.Errorf("%w: storage view metadata %T", ErrCorrupt, id.rest[0])
	}
	vkey, ok1 := vm.Get(0).(string)
	voff, ok2 := vm.Get(1).(int)
	vlen, ok3 := vm.Get(2).(int)
	if !ok1 || !ok2 || !ok3 || voff < 0 || vlen < 0 || int64(voff) > root.numel || int64(vlen) > root.numel-int64(voff) {
		return nil, fmt.Errorf("%w: bad storage view %v of %q", ErrCorrupt, *vm, id.key)
	}
	if v, ok := views[vkey]; ok {
		if v.base != root || v.baseOff != int64(voff) || v.numel != int64(vlen) {
			return nil, fmt.Errorf("%w: storage view %q declared twice differently", ErrCorrupt, vkey)
		}
		return v, nil
	}
	v := &storage{dt: id.dt, key: vkey, numel: int64(vlen), base: root, baseOff: int64(voff)}
	views[vkey] = v
	return v, nil
}

// placeStorages walks the raw storages that follow the pickles, checking
// each header and length against the file, and arms their loaders.
func (l *legacyReader) placeStorages(keys []any, storages map[string]*storage, bigEndian bool) error {
	order := binary.ByteOrder(binary.LittleEndian)
	if bigEndian {
		order = binary.BigEndian
	}
	pos := l.pos
	for _, k := range keys {
		key, ok := k.(string)
		if !ok {
			return fmt.Errorf("%w: storage key %T", ErrCorrupt, k)
		}
		s, ok := storages[key]
		if !ok {
			return fmt.Errorf("%w: storage %q listed but never used", ErrCorrupt, key)
		}
		if s.load != nil {
			return fmt.Errorf("%w: storage %q listed twice", ErrCorrupt, key)
		}
		var hdr [8]byte
		if pos > l.size-8 {
			return fmt.Errorf("%w: file ends before storage %q", ErrCorrupt, key)
		}
		if n, err := l.r.ReadAt(hdr[:], pos); n < len(hdr) {
			return fmt.Errorf("%w: storage %q header: %v", ErrCorrupt, key, err)
		}
		if n := int64(order.Uint64(hdr[:])); n != s.numel {
			return fmt.Errorf("%w: storage %q holds %d elements, the pickle declares %d", ErrCorrupt, key, n, s.numel)
		}
		nbytes := s.numel * s.dt.size
		if nbytes > l.size-pos-8 {
			return fmt.Errorf("%w: file ends inside storage %q (%d bytes needed, %d left)", ErrCorrupt, key, nbytes, l.size-pos-8)
		}
		off := pos + 8
		s.bigEndian = bigEndian
		s.load = func() ([]byte, error) {
			buf := make([]byte, nbytes)
			if n, err := l.r.ReadAt(buf, off); int64(n) < nbytes {
				return nil, fmt.Errorf("%w: storage %q: %v", ErrCorrupt, key, err)
			}
			return buf, nil
		}
		pos = off + nbytes
	}
	return nil
}
