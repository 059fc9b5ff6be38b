package preprocess_test

import (
	"fmt"
	"log"
	"os"

	"github.com/xrayllm/xray/preprocess"
)

// Load an X-ray and get the network input of the original app: 224x224,
// RGB, values in [0, 1], CHW.
func Example() {
	f, err := os.Open("testdata/gray_37x53.png")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	in, err := preprocess.Load(f, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(in.Format, in.Original.Bounds().Size(), "->", in.Width, in.Height, len(in.Tensor))
	// Output: png (37,53) -> 224 224 150528
}

// Options select another size, a pixel limit and a normalisation.
func ExampleLoad_options() {
	f, err := os.Open("testdata/rgb_500x300.png")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	norm := preprocess.ImageNet()
	in, err := preprocess.Load(f, &preprocess.Options{Width: 160, Height: 90, MaxPixels: 1 << 20, Normalize: &norm})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(in.Width, in.Height, len(in.Tensor))
	// Output: 160 90 43200
}
