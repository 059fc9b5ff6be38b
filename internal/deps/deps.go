// Package deps pins the module's dependencies while the packages that use
// them are being written. It is removed once they exist.
package deps

import (
	_ "github.com/nlpodyssey/gopickle/pytorch"
	_ "go4.org/unsafe/assume-no-moving-gc"
	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
	_ "gonum.org/v1/gonum/mat"
	_ "google.golang.org/genai"
	_ "gorgonia.org/gorgonia"
	_ "gorgonia.org/tensor"
)
