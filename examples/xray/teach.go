package main

import (
	"context"
	"image"
	"image/png"
	"os"

	"github.com/xrayllm/xray"
)

// The teaching commands (explore, explain-steps, compare) share what is
// here: one image through the analyzer's own preprocessing, and PNG files.

// teachInput reads the image at path and preprocesses it as every other
// command does; the result holds the network input and the prediction.
func teachInput(ctx context.Context, a *xray.Analyzer, path string, req xray.Request) (*xray.Result, error) {
	data, err := readImage(path)
	if err != nil {
		return nil, err
	}
	return a.AnalyzeBytes(ctx, data, req)
}

// writePNG writes img to path as PNG.
func writePNG(path string, img image.Image) error {
	return writeFile(path, func(w *os.File) error { return png.Encode(w, img) })
}
