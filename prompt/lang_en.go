package prompt

import "github.com/xrayllm/xray/gradcam/notes"

// English is the second supported language.
const English Lang = "en"

// english returns the English phrases.
func english() phrases {
	return phrases{
		lang:    English,
		name:    "English",
		aliases: []string{"eng", "english", "en-us", "en-gb"},
		zones: map[notes.Zone]string{
			notes.RightUpper: "right upper zone", notes.RightMiddle: "right middle zone", notes.RightLower: "right lower zone",
			notes.LeftUpper: "left upper zone", notes.LeftMiddle: "left middle zone", notes.LeftLower: "left lower zone",
		},
		unknownZone: "unknown zone",
		notesHeader: "Grad-CAM notes (where the network looked, not a finding): ",
		noNotes:     "No Grad-CAM notes (no information on where the network looked)",
		emptyMap:    "The Grad-CAM map is empty (all zero after ReLU): there is no location to report, so make no claim about where the network looked",
		orientation: "Orientation: the image's left is the patient's right; zones split the image into 2 columns x 3 rows",
		peak:        "Strongest activation (peak): %s (x=%.0f, y=%.0f on a %dx%d map)",
		centroid:    "Centre of mass (centroid): %s",
		shares:      "Share of the map's mass by zone: ",
		spread:      "Spread: %s of pixels are above 0.5",
		borderWarning: "WARNING - border attention: %s of the map's mass lies in the outer band (%s of width and height)%s. " +
			"The network may be looking at a side marker such as 'R', a text label, the image edge or rib edges rather than the lungs (a known failure mode)",
		peakInBand: ", and the peak lies inside it",
		borderCalm: "Share in the outer band (%s wide): %s (no border-attention signal)",
		borderExplained: "Much of the map (%s) sits at the edge of the image. The network may be looking at the side marker (the 'R' or 'L' letter), text labels or the image border instead of the lungs. " +
			"Such a shortcut can make a prediction look right for the wrong reason.",
		fusedLayers:           "The Grad-CAM map fuses the maps of %d layers (%s): each scaled to 0–1, then averaged, so fine detail from early layers and whole structures from late ones both show",
		occlusionLine:         "Occlusion check, %s: %s %s → %s%s — %s",
		occlusionFlip:         " (the answer becomes %s)",
		occlusionBorder:       "hiding the border (the outer %d px, where markers, labels and collimation edges sit)",
		occlusionCAMTop:       "hiding the map's top %d%%",
		occlusionOutsideLungs: "hiding everything outside the central lung region",
		borderRests:           "the decision rests on the image border (markers, labels or edges), not only on the lungs",
		borderNotRests:        "the decision does not rest on the marker or labels",
		camTopRests:           "the region the map highlights carries the decision",
		camTopNotRests:        "the region the map highlights does not carry the decision on its own",
		outsideLungsRests:     "the decision rests on what lies outside the lungs",
		outsideLungsNotRests:  "the central lung region alone carries the decision",
		points:                "%.2f percentage points",
		pneumonia:             "%s",
		normal:                "%s",
		disclaimer:            "※ This report is educational material and is not a medical diagnosis; it does not replace a clinician's assessment. The model's output and the Grad-CAM map can be wrong: consult a qualified clinician for diagnosis and treatment.",
	}
}
