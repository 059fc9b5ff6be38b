package prompt

import "github.com/xrayllm/xray/gradcam/notes"

// phrases are all the words of one language: what the CAM notes, the page,
// the reports and the notices say. Every field must be filled (a test
// checks); format verbs are listed with each field.
type phrases struct {
	// lang is the language; name its name in itself, for a picker.
	lang Lang
	name string
	// aliases are the other names ParseLang accepts, lower case.
	aliases []string

	// zones names the six zones of notes.Zones; unknownZone an unset one.
	zones       map[notes.Zone]string
	unknownZone string

	// notesHeader leads the notes paragraph (NotesText).
	notesHeader string
	// noNotes is the single line when there are no notes at all.
	noNotes string
	// emptyMap is the single line for the notes of an all-zero map.
	emptyMap string
	// orientation explains the zones' frame.
	orientation string
	// peak: zone, x, y (%.0f), width, height (%d).
	peak string
	// centroid: zone.
	centroid string
	// shares leads the list of zone shares.
	shares string
	// spread: the share of pixels above 0.5 (%s, a formatted share).
	spread string
	// borderWarning: border share, band width (%s each), then peakInBand
	// or "" (%s).
	borderWarning string
	// peakInBand is added to borderWarning when the peak is in the band.
	peakInBand string
	// borderCalm: band width, border share (%s each).
	borderCalm string
	// borderExplained explains border attention in plain words, for the
	// page: the border share (%s).
	borderExplained string

	// fusedLayers says the map fuses several layers' maps: their number
	// (%d) and their names, comma separated (%s).
	fusedLayers string
	// occlusionLine is one occlusion check: what was hidden, the class, its
	// probability before and after, occlusionFlip or "", and the verdict
	// (%s each).
	occlusionLine string
	// occlusionFlip is added when the answer changes: the class predicted
	// with the region hidden (%s).
	occlusionFlip string
	// occlusionBorder names the border check: the band's width in pixels
	// (%d); occlusionCAMTop the top share of the map hidden, in percent
	// (%d); occlusionOutsideLungs the lung-box check.
	occlusionBorder, occlusionCAMTop, occlusionOutsideLungs string
	// Verdicts of the checks, for a drop of at least OcclusionDropThreshold
	// (rests) or less (notRests).
	borderRests, borderNotRests             string
	camTopRests, camTopNotRests             string
	outsideLungsRests, outsideLungsNotRests string

	// points formats a difference of probabilities in percentage points
	// (%.2f of the difference times 100).
	points string
	// pneumonia and normal name the two classes for a reader: the model's
	// class name (%s) with, where the language needs it, a plain word.
	pneumonia, normal string

	// disclaimer is the not-a-diagnosis notice.
	disclaimer string
}
