package xray

import (
	"slices"

	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/prompt"
)

// camOptions returns the CAM the request needs, or nil for none: the
// request's own, a default Grad-CAM for a report, and in either case the
// occlusion checks when Request.Occlusion asks for them (they need a map
// for hiding its top, so they bring a default Grad-CAM along).
func (r Request) camOptions() *gradcam.Options {
	opts := r.CAM
	if opts == nil && (r.Report || r.Occlusion) {
		opts = &gradcam.Options{}
	}
	if opts != nil && r.Occlusion && !opts.Occlusion {
		o := *opts
		o.Occlusion = true
		opts = &o
	}
	return opts
}

// addExplainFacts copies the fused layers and the occlusion checks of a
// CAM into report inputs.
func addExplainFacts(in *prompt.ReportInputs, cam *gradcam.Result) {
	in.CAMLayers = slices.Clone(cam.Layers)
	if cam.Occlusion != nil {
		o := *cam.Occlusion
		o.Checks = slices.Clone(cam.Occlusion.Checks)
		in.Occlusion = &o
	}
}
