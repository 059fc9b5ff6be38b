// Command stages prints how one forward pass of a checkpoint on an image
// splits over ResNet's stages (resnet.Model.Profile: an unfused pass, each
// leaf the median of resnet.ProfilePasses), three times. sitting.sh runs
// it:
//
//	go run ./resnet/testdata/stages CHECKPOINT IMAGE
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/xrayllm/xray"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "stages:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: stages CHECKPOINT IMAGE")
	}
	a, err := xray.Open(args[0], nil)
	if err != nil {
		return err
	}
	defer a.Close()
	data, err := os.ReadFile(args[1])
	if err != nil {
		return err
	}
	in, err := a.Preprocess(data)
	if err != nil {
		return err
	}
	for range 3 {
		p, err := a.Model().Profile(context.Background(), in.Tensor)
		if err != nil {
			return err
		}
		fmt.Printf("total %.1f ms:", ms(p.Total.Microseconds()))
		for _, s := range []string{"conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"} {
			fmt.Printf(" %s %.1f", s, ms(p.Stage(s).Microseconds()))
		}
		fmt.Println()
	}
	return nil
}

func ms(us int64) float64 { return float64(us) / 1000 }
