package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/xrayllm/xray"
)

// forEachImage reads each image file in paths, in order, and hands it to
// do with its index. A failed image does not stop the others: see
// imageFailures. It stops as soon as ctx is done.
func forEachImage(ctx context.Context, e env, command string, paths []string, asJSON bool, do func(i int, path string, data []byte) error) error {
	failed := imageFailures{e: e, command: command, asJSON: asJSON}
	for i, path := range paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := readImage(path)
		if err == nil {
			err = do(i, path, data)
		}
		if err != nil {
			failed.add(path, err)
		}
	}
	return failed.err(len(paths))
}

// imageFailures reports the images a command fails on: each error goes to
// stderr as "xray COMMAND: FILE: ERROR" and, with asJSON, to stdout as a
// JSON line naming the file; err then says how many failed.
type imageFailures struct {
	e       env
	command string
	asJSON  bool
	n       int
}

// add reports that the image at path failed with err.
func (f *imageFailures) add(path string, err error) {
	f.n++
	if f.asJSON {
		_ = writeJSONLine(f.e.stdout, predictionJSON{File: path, Error: err.Error()})
	}
	fmt.Fprintf(f.e.stderr, "xray %s: %s: %v\n", f.command, path, err)
}

// err says how many of total images failed, or is nil when none did.
func (f *imageFailures) err(total int) error {
	if f.n > 0 {
		return fmt.Errorf("%d of %d images failed", f.n, total)
	}
	return nil
}

// readImage reads an image file, refusing directories and huge files early.
func readImage(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory", path)
	}
	const maxFile = 512 << 20
	if st.Size() > maxFile {
		return nil, fmt.Errorf("%s: %d bytes is larger than the %d MiB limit", path, st.Size(), maxFile>>20)
	}
	return os.ReadFile(path)
}

// imageFiles is an xray.Opener for PredictAll over image files, read as
// readImage reads them.
func imageFiles(paths []string) xray.Opener {
	return func(i int) (io.ReadCloser, error) {
		if i < 0 || i >= len(paths) {
			return nil, fmt.Errorf("no image %d of %d", i, len(paths))
		}
		data, err := readImage(paths[i])
		if err != nil {
			return nil, readError{err}
		}
		return io.NopCloser(bytes.NewReader(data)), nil
	}
}

// readError is why imageFiles could not read a file.
type readError struct{ err error }

func (r readError) Error() string { return r.err.Error() }
func (r readError) Unwrap() error { return r.err }

// imageError is PredictAll's error for one input, with readImage's own
// words when the file could not be read, as forEachImage reports them.
func imageError(err error) error {
	if re := (readError{}); errors.As(err, &re) {
		return re.err
	}
	return err
}
