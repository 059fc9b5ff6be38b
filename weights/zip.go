package weights

import (
	"archive/zip"
	"bufio"
	"fmt"
	"io"
	"path"
	"strings"
)

// readZip decodes the data.pkl of a torch.save zip archive.
func readZip(r io.ReaderAt, size, limit int64) (any, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: zip archive: %v", ErrCorrupt, err)
	}
	files := make(map[string]*zip.File, len(zr.File))
	var pkl *zip.File
	for _, f := range zr.File {
		files[f.Name] = f
		if path.Base(f.Name) != "data.pkl" || strings.Count(f.Name, "/") > 1 {
			continue
		}
		if pkl != nil {
			return nil, fmt.Errorf("%w: zip archive with several data.pkl (%s, %s)", ErrUnsupported, pkl.Name, f.Name)
		}
		pkl = f
	}
	if pkl == nil {
		return nil, fmt.Errorf("%w: zip archive without a data.pkl entry", ErrNotCheckpoint)
	}
	prefix := strings.TrimSuffix(pkl.Name, "data.pkl")
	if _, ok := files[prefix+"constants.pkl"]; ok {
		return nil, fmt.Errorf("%w: TorchScript archive; save model.state_dict() with torch.save instead", ErrUnsupported)
	}
	bigEndian, err := zipByteOrder(files[prefix+"byteorder"])
	if err != nil {
		return nil, err
	}
	pickleLimit := min(maxPickleBytes, limit)
	if pkl.UncompressedSize64 > uint64(pickleLimit) {
		return nil, fmt.Errorf("%w: data.pkl of %d bytes", ErrTooLarge, pkl.UncompressedSize64)
	}
	rc, err := pkl.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: data.pkl: %v", ErrCorrupt, err)
	}
	defer rc.Close()
	data, err := scanPickle(bufio.NewReader(rc), pickleLimit, limit)
	if err != nil {
		return nil, fmt.Errorf("data.pkl: %w", err)
	}
	storages := map[string]*storage{}
	load := func(pid any) (any, error) {
		id, err := parseStorageID(pid, 5)
		if err != nil {
			return nil, err
		}
		if s, ok := storages[id.key]; ok {
			if s.dt != id.dt || s.numel != id.numel {
				return nil, fmt.Errorf("%w: storage %q declared twice differently", ErrCorrupt, id.key)
			}
			return s, nil
		}
		s, err := zipStorage(files[prefix+"data/"+id.key], id, limit)
		if err != nil {
			return nil, err
		}
		s.bigEndian = bigEndian
		storages[id.key] = s
		return s, nil
	}
	root, err := unpickle(data, load)
	if err != nil {
		return nil, fmt.Errorf("data.pkl: %w", err)
	}
	return root, nil
}

// zipStorage checks a storage's declared size against its entry before
// anything is allocated.
func zipStorage(f *zip.File, id storageID, limit int64) (*storage, error) {
	if f == nil {
		return nil, fmt.Errorf("%w: storage %q has no data/%s entry", ErrCorrupt, id.key, id.key)
	}
	nbytes := id.numel * id.dt.size
	if uint64(nbytes) > f.UncompressedSize64 {
		return nil, fmt.Errorf("%w: storage %q declares %d %s elements (%d bytes) but its entry holds %d bytes",
			ErrCorrupt, id.key, id.numel, id.dt.name, nbytes, f.UncompressedSize64)
	}
	if nbytes > limit {
		return nil, fmt.Errorf("%w: storage %q of %d bytes (limit %d)", ErrTooLarge, id.key, nbytes, limit)
	}
	s := &storage{dt: id.dt, key: id.key, numel: id.numel}
	s.load = func() ([]byte, error) {
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%w: storage %q: %v", ErrCorrupt, id.key, err)
		}
		defer rc.Close()
		buf := make([]byte, nbytes)
		if _, err := io.ReadFull(rc, buf); err != nil {
			return nil, fmt.Errorf("%w: storage %q: %v", ErrCorrupt, id.key, err)
		}
		return buf, nil
	}
	return s, nil
}

// zipByteOrder reads the optional byteorder entry of torch >= 2.0.
func zipByteOrder(f *zip.File) (bigEndian bool, err error) {
	if f == nil {
		return false, nil
	}
	if f.UncompressedSize64 > 16 {
		return false, fmt.Errorf("%w: byteorder entry of %d bytes", ErrCorrupt, f.UncompressedSize64)
	}
	rc, err := f.Open()
	if err != nil {
		return false, fmt.Errorf("%w: byteorder: %v", ErrCorrupt, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 16))
	if err != nil {
		return false, fmt.Errorf("%w: byteorder: %v", ErrCorrupt, err)
	}
	switch strings.TrimSpace(string(b)) {
	case "little":
		return false, nil
	case "big":
		return true, nil
	}
	return false, fmt.Errorf("%w: byteorder %q", ErrCorrupt, b)
}
