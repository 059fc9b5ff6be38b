package gradcam_test

import (
	"context"
	"fmt"
	"log"

	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/resnet"
)

// This example walks through Grad-CAM step by step on a small network
// with torchvision's ResNet18 layout: the forward pass, the gradient of
// the predicted class's logit at layer4, the channel weights (the mean
// gradient of each channel), and the final map.
func Example() {
	model, err := resnet.Load("../resnet/testdata/resnet18_narrow.pth")
	if err != nil {
		log.Fatal(err)
	}
	defer model.Close()
	e := gradcam.NewExplainer(model, 1)
	defer e.Close()
	// A preprocessed 3×224×224 input (CHW, values in [0, 1]): a synthetic
	// pattern here; preprocess.Load makes one from an image file.
	const size = resnet.InputSize
	x := make([]float32, 3*size*size)
	for i := range x {
		c, y, px := i/(size*size), i/size%size, i%size
		x[i] = float32((3*y+5*px+11*c+y*px/17)%64) / 63
	}

	// Forward and backward in one graph run: activation A and dScore/dA.
	d, pred, err := e.LayerData(context.Background(), x, &gradcam.Options{Layer: "layer4"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("prediction: %s\n", pred.Label)
	fmt.Printf("layer4: %d channels of %dx%d\n", d.C, d.H, d.W)

	// Grad-CAM's weight for a channel is its mean gradient.
	w, err := gradcam.GradCAM().(gradcam.WeightedMethod).Weights(d)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d channel weights\n", len(w))

	// The map: ReLU(sum of weighted channels), scaled and resized to 224x224.
	raw, _ := gradcam.GradCAM().Map(d)
	cam, empty, err := gradcam.Finalize(raw, d.H, d.W, size, size)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("map: %d values, empty: %v\n", len(cam), empty)
	// Output:
	// prediction: NORMAL
	// layer4: 16 channels of 7x7
	// 16 channel weights
	// map: 50176 values, empty: false
}
