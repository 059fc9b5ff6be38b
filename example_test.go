package xray_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"strings"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/prompt"
)

// Analyze an image file: classification, Grad-CAM with its notes, and the
// offline educational report.
func Example() {
	a, err := xray.Open("resnet/testdata/resnet34_narrow.pth", nil) // nil options: offline reports
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()

	img := image.NewGray(image.Rect(0, 0, 300, 300)) // stands in for an X-ray file
	for i := range img.Pix {
		img.Pix[i] = uint8(i / 300 % 256)
	}
	var file bytes.Buffer
	if err := png.Encode(&file, img); err != nil {
		log.Fatal(err)
	}

	res, err := a.Analyze(context.Background(), &file, xray.Request{
		CAM:    &gradcam.Options{Layer: "layer4"},
		Report: true,
		Lang:   prompt.English,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("label:", res.Prediction.Label)
	fmt.Println("map:", res.CAM.Width, "x", res.CAM.Height, "at", res.CAM.Layer)
	fmt.Println("report by:", res.Report.Backend)
	fmt.Println("has the notice:", strings.Contains(res.Report.Markdown, prompt.Disclaimer(prompt.English)))
	// Output:
	// label: PNEUMONIA
	// map: 224 x 224 at layer4
	// report by: offline
	// has the notice: true
}

// Classify a decoded image: Predict preprocesses it as Analyze does
// (Options.Preprocess) and runs the model, without a CAM or a report.
func ExampleAnalyzer_Predict() {
	a, err := xray.Open("resnet/testdata/resnet18_narrow.pth", nil) // a small network with ResNet18's layout
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()

	img := image.NewGray(image.Rect(0, 0, 320, 256)) // stands in for a radiograph
	for i := range img.Pix {
		img.Pix[i] = uint8(i % 251)
	}
	img.SetGray(0, 0, color.Gray{Y: 255})
	p, err := a.Predict(context.Background(), img)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(a.Model().Arch().Name, a.Model().Classes(), p.Label)
	// Output:
	// resnet18 [NORMAL PNEUMONIA] NORMAL
}
