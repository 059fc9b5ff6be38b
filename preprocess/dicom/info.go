package dicom

import (
	"strings"

	dcm "github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// Info is what a decoded DICOM file says about its image that helps a
// student read the result. It never holds anything that identifies a
// patient (name, ID, birth date, accession number, institution, dates,
// UIDs): only the attributes below are read into it.
type Info struct {
	// Modality is e.g. "CR", "DX" or "CT"; "" when absent.
	Modality string
	// BodyPartExamined is e.g. "CHEST"; "" when absent.
	BodyPartExamined string
	// ViewPosition is e.g. "PA", "AP", "LATERAL", "LL"; "" when absent.
	ViewPosition string
	// Photometric is the PhotometricInterpretation (MONOCHROME2, RGB...).
	Photometric string
	// TransferSyntax is the transfer syntax UID; TransferSyntaxName its
	// name, e.g. "JPEG Lossless, Non-Hierarchical (Process 14)".
	TransferSyntax, TransferSyntaxName string
	// Frames is the number of frames; only the first is decoded.
	Frames int
	// Width, Height are the frame's size; BitsStored the bits per sample.
	Width, Height, BitsStored int
	// Warnings are facts the reader of a result should be told.
	Warnings []Warning
}

// Warning is a language-free fact about a DICOM file that an application
// should tell the user in its own words.
type Warning int

const (
	// NotFrontal: ViewPosition is present and is not PA or AP (e.g.
	// LATERAL); the model was trained on frontal chest radiographs.
	NotFrontal Warning = iota + 1
	// NotChest: BodyPartExamined is present and is neither CHEST nor
	// THORAX; the model was trained on frontal chest radiographs.
	NotChest
	// MoreFrames: the file holds more than one frame; only the first was
	// decoded.
	MoreFrames
)

// String returns a stable identifier for the warning, not a sentence.
func (w Warning) String() string {
	switch w {
	case NotFrontal:
		return "not-frontal"
	case NotChest:
		return "not-chest"
	case MoreFrames:
		return "more-frames"
	}
	return "unknown"
}

// Has reports whether the warnings include w.
func (i *Info) Has(w Warning) bool {
	for _, x := range i.Warnings {
		if x == w {
			return true
		}
	}
	return false
}

// newInfo collects the Info of a parsed data set.
func newInfo(ds *dcm.Dataset, a *imageAttrs, ts string, syn syntax) *Info {
	code := func(t tag.Tag) string {
		s, _ := stringAttr(ds, t)
		return codeString(s)
	}
	in := &Info{
		Modality:           code(tag.Modality),
		BodyPartExamined:   code(tag.BodyPartExamined),
		ViewPosition:       code(tag.ViewPosition),
		Photometric:        a.photometric,
		TransferSyntax:     ts,
		TransferSyntaxName: syn.name,
		Frames:             a.frames,
		Width:              a.cols,
		Height:             a.rows,
		BitsStored:         a.bitsStored,
	}
	if v := in.ViewPosition; v != "" && v != "PA" && v != "AP" {
		in.Warnings = append(in.Warnings, NotFrontal)
	}
	if b := in.BodyPartExamined; b != "" && b != "CHEST" && b != "THORAX" {
		in.Warnings = append(in.Warnings, NotChest)
	}
	if in.Frames > 1 {
		in.Warnings = append(in.Warnings, MoreFrames)
	}
	return in
}

// codeString returns a code string value (VR CS: at most 16 upper-case
// letters, digits, spaces and underscores) upper-cased, with any other
// character dropped and cut to 16 characters, so that a file cannot put
// arbitrary text into an Info.
func codeString(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == ' ', r == '_':
			return r
		}
		return -1
	}, s)
	if len(s) > 16 {
		s = s[:16]
	}
	return strings.TrimSpace(s)
}
