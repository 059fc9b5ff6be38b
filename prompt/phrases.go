package prompt

import "github.com/xrayllm/xray/gradcam/notes"

// phrases are all the words of one language: what the CAM notes, the page,
// the reports and the notices say. Every field must be filled (a test
// checks); format verbs are listed with each field.
type phrases struct {
	// Lang is the language; Name its name in itself, for a picker.
	Lang Lang   `json:"lang"`
	Name string `json:"name"`
	// Aliases are the other names ParseLang accepts, lower case.
	Aliases []string `json:"aliases"`
	// Teach are the words of the page's "Inside the network" view, the
	// teach_* keys (teach.go).
	Teach

	// Zones names the six zones of notes.Zones; UnknownZone an unset one.
	Zones       map[notes.Zone]string `json:"zones"`
	UnknownZone string                `json:"unknownZone"`

	// NotesHeader leads the notes paragraph (NotesText).
	NotesHeader string `json:"notesHeader"`
	// NoNotes is the single line when there are no notes at all.
	NoNotes string `json:"noNotes"`
	// EmptyMap is the single line for the notes of an all-zero map.
	EmptyMap string `json:"emptyMap"`
	// Orientation explains the zones' frame.
	Orientation string `json:"orientation"`
	// Peak: zone, x, y (%.0f), width, height (%d).
	Peak string `json:"peak"`
	// Centroid: zone.
	Centroid string `json:"centroid"`
	// Shares leads the list of zone shares.
	Shares string `json:"shares"`
	// Spread: the share of pixels above 0.5 (%s, a formatted share).
	Spread string `json:"spread"`
	// BorderWarning: border share, band width (%s each), then PeakInBand
	// or "" (%s).
	BorderWarning string `json:"borderWarning"`
	// PeakInBand is added to BorderWarning when the peak is in the band.
	PeakInBand string `json:"peakInBand"`
	// BorderCalm: band width, border share (%s each).
	BorderCalm string `json:"borderCalm"`
	// BorderExplained explains border attention in plain words, for the
	// page: the border share (%s).
	BorderExplained string `json:"borderExplained"`

	// FusedLayers says the map fuses several layers' maps: their number
	// (%d) and their names, comma separated (%s).
	FusedLayers string `json:"fusedLayers"`
	// OcclusionLine is one occlusion check: what was hidden, the class, its
	// probability before and after, OcclusionFlip or "", and the verdict
	// (%s each).
	OcclusionLine string `json:"occlusionLine"`
	// OcclusionFlip is added when the answer changes: the class predicted
	// with the region hidden (%s).
	OcclusionFlip string `json:"occlusionFlip"`
	// OcclusionBorder names the border check: the band's width in pixels
	// (%d); OcclusionCAMTop the top share of the map hidden, in percent
	// (%d); OcclusionOutsideLungs the lung-box check.
	OcclusionBorder       string `json:"occlusionBorder"`
	OcclusionCAMTop       string `json:"occlusionCAMTop"`
	OcclusionOutsideLungs string `json:"occlusionOutsideLungs"`
	// Verdicts of the checks, for a drop of at least OcclusionDropThreshold
	// (rests) or less (notRests).
	BorderRests          string `json:"borderRests"`
	BorderNotRests       string `json:"borderNotRests"`
	CamTopRests          string `json:"camTopRests"`
	CamTopNotRests       string `json:"camTopNotRests"`
	OutsideLungsRests    string `json:"outsideLungsRests"`
	OutsideLungsNotRests string `json:"outsideLungsNotRests"`

	// ImageView, ImageBodyPart and ImageModality state one fact of the
	// image file (%s each); ImageFrames the number of frames (%d).
	ImageView     string `json:"imageView"`
	ImageBodyPart string `json:"imageBodyPart"`
	ImageModality string `json:"imageModality"`
	ImageFrames   string `json:"imageFrames"`
	// ImageNotFrontal warns of a view that is not frontal (%s, the view);
	// ImageNotChest of a body part that is not the chest (%s, the part).
	ImageNotFrontal string `json:"imageNotFrontal"`
	ImageNotChest   string `json:"imageNotChest"`

	// Points formats a difference of probabilities in percentage Points
	// (%.2f of the difference times 100).
	Points string `json:"points"`
	// Pneumonia and Normal Name the two classes for a reader: the model's
	// class Name (%s) with, where the language needs it, a plain word.
	Pneumonia string `json:"pneumonia"`
	Normal    string `json:"normal"`

	// Disclaimer is the not-a-diagnosis notice.
	Disclaimer string `json:"disclaimer"`

	// TTALine is the test-time augmentation: the number of variants (%d),
	// the mean's class, its mean probability, its smallest and largest
	// (%s each). TTAAgree: the number of variants (%d) and the class (%s).
	// TTADisagree: how many variants answer otherwise and of how many
	// (%d each), the mean's class and TTACaution (%s each).
	TTALine     string `json:"ttaLine"`
	TTAAgree    string `json:"ttaAgree"`
	TTADisagree string `json:"ttaDisagree"`
	TTACaution  string `json:"ttaCaution"`
	// ThresholdLine says which threshold decided: the positive class, the
	// threshold, its probability, the class decided (%s each).
	ThresholdLine string `json:"thresholdLine"`
	// ThresholdChanged: the class of the highest probability, the class
	// the threshold decided instead (%s each).
	ThresholdChanged string `json:"thresholdChanged"`
	// ThresholdWhy explains in plain words why the threshold matters.
	ThresholdWhy string `json:"thresholdWhy"`
	// CalibrationTemperature: the temperature (%.2f).
	CalibrationTemperature string `json:"calibrationTemperature"`
}
