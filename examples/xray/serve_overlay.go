package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/jpeg"

	xdraw "golang.org/x/image/draw"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/preprocess"
)

// Full-size overlay settings.
const (
	// fullOverlayMaxSide bounds the long side of the full-size overlay: a
	// larger upload is scaled down to it, as no screen shows more, which
	// keeps a 20-megapixel X-ray's answer to a few hundred kilobytes.
	fullOverlayMaxSide = 2048
	// fullOverlayQuality is its JPEG quality.
	fullOverlayQuality = 88
)

// camImages are the pictures of one analysis, as data: URLs.
type camImages struct {
	// OverlayPNG is the CAM over the network's 224×224 input.
	OverlayPNG string `json:"overlay_png"`
	// OverlayFullJPEG is the CAM over the uploaded image at its own size.
	OverlayFullJPEG string `json:"overlay_full_jpeg"`
	// InputPNG is the network's 224×224 input.
	InputPNG string `json:"input_png"`
}

// newCAMImages draws the overlays and the input of a result with a CAM.
func newCAMImages(res *xray.Result, cmap gradcam.Table) (camImages, error) {
	if res.CAM == nil || res.Input == nil || res.Input.Resized == nil || res.Input.Original == nil {
		return camImages{}, errors.New("serve: the analysis returned no CAM")
	}
	overlay, err := overlayPNG(res, cmap)
	if err != nil {
		return camImages{}, err
	}
	full, err := overlayFullJPEG(res, cmap)
	if err != nil {
		return camImages{}, err
	}
	input, err := pngDataURL(res.Input.Resized)
	if err != nil {
		return camImages{}, err
	}
	return camImages{OverlayPNG: overlay, OverlayFullJPEG: full, InputPNG: input}, nil
}

// overlayFullJPEG blends the CAM over the uploaded image at its own size
// (at most fullOverlayMaxSide on the long side), as the CLI's
// <name>.overlay-full.png, in JPEG to keep the answer small.
func overlayFullJPEG(res *xray.Result, cmap gradcam.Table) (string, error) {
	base := fullOverlayBase(res.Input.Original)
	b := base.Bounds()
	cam, err := res.CAM.MapAt(b.Dx(), b.Dy())
	if err != nil {
		return "", fmt.Errorf("serve: full overlay: %w", err)
	}
	img, err := gradcam.Overlay(base, cam, &gradcam.OverlayOptions{Colormap: cmap})
	if err != nil {
		return "", fmt.Errorf("serve: full overlay: %w", err)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: fullOverlayQuality}); err != nil {
		return "", fmt.Errorf("serve: encoding jpeg: %w", err)
	}
	return "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// fullOverlayBase is the uploaded image in RGB, scaled down to
// fullOverlayMaxSide on its long side when it is larger.
func fullOverlayBase(img image.Image) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	long := max(w, h)
	if long <= fullOverlayMaxSide {
		return preprocess.RGB(img)
	}
	w, h = max(1, w*fullOverlayMaxSide/long), max(1, h*fullOverlayMaxSide/long)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, xdraw.Src, nil)
	return dst
}
