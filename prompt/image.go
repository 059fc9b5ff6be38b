package prompt

import "fmt"

// ImageFacts are what an image file says about itself that helps a
// student read the result, without anything that identifies a patient:
// for a DICOM file its modality, view and body part. Empty strings are
// unknown. It is language-free; DescribeImage words it.
type ImageFacts struct {
	// Modality is e.g. "CR" or "DX".
	Modality string `json:"modality,omitempty"`
	// ViewPosition is e.g. "PA", "AP" or "LATERAL".
	ViewPosition string `json:"view_position,omitempty"`
	// BodyPart is the body part examined, e.g. "CHEST".
	BodyPart string `json:"body_part,omitempty"`
	// Frames is the number of frames in the file; only the first is
	// analysed.
	Frames int `json:"frames,omitempty"`
	// NotFrontal is set when the view is known and neither PA nor AP.
	NotFrontal bool `json:"not_frontal,omitempty"`
	// NotChest is set when the body part is known and not the chest.
	NotChest bool `json:"not_chest,omitempty"`
}

// DescribeImage renders image facts as lines in lang: the known facts
// (view, body part, modality, frames), then the warnings of
// ImageWarnings. Nil gives no lines.
func DescribeImage(f *ImageFacts, lang Lang) []string {
	if f == nil {
		return nil
	}
	w := words(lang)
	var lines []string
	add := func(format, v string) {
		if v != "" {
			lines = append(lines, fmt.Sprintf(format, v))
		}
	}
	add(w.ImageView, f.ViewPosition)
	add(w.ImageBodyPart, f.BodyPart)
	add(w.ImageModality, f.Modality)
	if f.Frames > 1 {
		lines = append(lines, fmt.Sprintf(w.ImageFrames, f.Frames))
	}
	return append(lines, ImageWarnings(f, lang)...)
}

// ImageWarnings renders the warnings of image facts in lang: a view that
// is not frontal, a body part that is not the chest. The model was
// trained on frontal chest radiographs.
func ImageWarnings(f *ImageFacts, lang Lang) []string {
	if f == nil {
		return nil
	}
	w := words(lang)
	var lines []string
	if f.NotFrontal {
		lines = append(lines, fmt.Sprintf(w.ImageNotFrontal, f.ViewPosition))
	}
	if f.NotChest {
		lines = append(lines, fmt.Sprintf(w.ImageNotChest, f.BodyPart))
	}
	return lines
}
