package xray

import (
	"context"
	"slices"
	"testing"

	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/gradcam/occlusion"
	"github.com/xrayllm/xray/prompt"
)

// TestOcclusionRequest: Request.Occlusion brings a default Grad-CAM with
// its occlusion checks, leaves the caller's options alone, and the checks
// and fused layers reach the report inputs.
func TestOcclusionRequest(t *testing.T) {
	a, img := narrowAnalyzer(t)
	ctx := context.Background()
	res, err := a.AnalyzeImage(ctx, img, Request{Occlusion: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.CAM == nil || res.CAM.Occlusion == nil || len(res.CAM.Occlusion.Checks) != len(occlusion.Regions()) {
		t.Fatalf("occlusion request gave CAM %+v", res.CAM)
	}
	camOpts := &gradcam.Options{Layers: []string{"layer3", "layer4"}}
	res, err = a.AnalyzeImage(ctx, img, Request{CAM: camOpts, Occlusion: true})
	if err != nil {
		t.Fatal(err)
	}
	if camOpts.Occlusion {
		t.Error("the request changed the caller's CAM options")
	}
	in := ReportInputs(a.Model().Classes(), res, prompt.English)
	if !slices.Equal(in.CAMLayers, []string{"layer3", "layer4"}) || in.CAMLayer != "layer3+layer4" {
		t.Errorf("report inputs: layers %v, layer %q", in.CAMLayers, in.CAMLayer)
	}
	if in.Occlusion == nil || in.Occlusion.Before != res.CAM.Occlusion.Before || &in.Occlusion.Checks[0] == &res.CAM.Occlusion.Checks[0] {
		t.Errorf("report inputs' occlusion %+v is not a copy of the CAM's", in.Occlusion)
	}
	if plain, _ := a.AnalyzeImage(ctx, img, Request{}); plain.CAM != nil {
		t.Error("a request without CAM, report or occlusion computed a CAM")
	}
}
