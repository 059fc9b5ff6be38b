package main

import (
	"context"
	"fmt"
	"os"
)

// forEachImage reads each image file in paths, in order, and hands it to
// do with its index. A failed image does not stop the others: its error
// goes to stderr as "xray COMMAND: FILE: ERROR" and, with asJSON, to
// stdout as a JSON line naming the file; forEachImage then says how many
// failed. It stops as soon as ctx is done.
func forEachImage(ctx context.Context, e env, command string, paths []string, asJSON bool, do func(i int, path string, data []byte) error) error {
	failed := 0
	for i, path := range paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := readImage(path)
		if err == nil {
			err = do(i, path, data)
		}
		if err != nil {
			failed++
			if asJSON {
				_ = writeJSONLine(e.stdout, predictionJSON{File: path, Error: err.Error()})
			}
			fmt.Fprintf(e.stderr, "xray %s: %s: %v\n", command, path, err)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d images failed", failed, len(paths))
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
