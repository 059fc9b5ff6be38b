package resnet_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"log"

	"github.com/xrayllm/xray/resnet"
)

// Load a checkpoint, classify an image and read an intermediate
// activation by its torchvision name.
func Example() {
	model, err := resnet.Load("testdata/resnet18_narrow.pth") // a small network with ResNet18's layout
	if err != nil {
		log.Fatal(err)
	}
	defer model.Close()

	img := image.NewGray(image.Rect(0, 0, 320, 256)) // stands in for a radiograph
	for i := range img.Pix {
		img.Pix[i] = uint8(i % 251)
	}
	img.SetGray(0, 0, color.Gray{Y: 255})
	p, err := model.Predict(context.Background(), img)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(model.Arch().Name, model.Classes(), p.Label)

	x := make([]float32, 3*224*224) // a black input
	acts, err := model.Activations(context.Background(), x, "layer2.1.conv1", "avgpool")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(acts["layer2.1.conv1"].Shape, acts["avgpool"].Shape)
	// Output:
	// resnet18 [NORMAL PNEUMONIA] NORMAL
	// [1 8 28 28] [1 16]
}
