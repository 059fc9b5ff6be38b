package resnet_test

import (
	"context"
	"fmt"
	"log"

	"github.com/xrayllm/xray/resnet"
)

// Load a checkpoint, classify a preprocessed input and read an
// intermediate activation by its torchvision name. The model is
// tensor-in, tensor-out: package preprocess (or xray.Analyzer, which
// uses it) turns an image into such an input.
func Example() {
	model, err := resnet.Load("testdata/resnet18_narrow.pth") // a small network with ResNet18's layout
	if err != nil {
		log.Fatal(err)
	}
	defer model.Close()

	x := make([]float32, 3*resnet.InputSize*resnet.InputSize) // a black input
	ps, err := model.PredictTensor(context.Background(), x)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(model.Arch().Name, model.Classes(), ps[0].Label)

	acts, err := model.Activations(context.Background(), x, "layer2.1.conv1", "avgpool")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(acts["layer2.1.conv1"].Shape, acts["avgpool"].Shape)
	// Output:
	// resnet18 [NORMAL PNEUMONIA] NORMAL
	// [1 8 28 28] [1 16]
}
