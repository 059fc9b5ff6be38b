package xray

import (
	"github.com/xrayllm/xray/preprocess/dicom"
	"github.com/xrayllm/xray/prompt"
)

// ImageFacts returns what a DICOM file said about its image (view, body
// part, modality, frames and the warnings about them) for the report and
// the page; nil for an image that is not DICOM. Nothing that identifies a
// patient is in an Info, so nothing is in the facts.
func ImageFacts(info *dicom.Info) *prompt.ImageFacts {
	if info == nil {
		return nil
	}
	return &prompt.ImageFacts{
		Modality:     info.Modality,
		ViewPosition: info.ViewPosition,
		BodyPart:     info.BodyPartExamined,
		Frames:       info.Frames,
		NotFrontal:   info.Has(dicom.NotFrontal),
		NotChest:     info.Has(dicom.NotChest),
	}
}
