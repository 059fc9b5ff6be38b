package main

import (
	"fmt"

	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/prompt"
)

// camText puts the CAM notes in words in the request's language. Every
// number in it is formatted by package prompt, as in the report, so the
// page shows them verbatim and never formats a CAM number itself.
type camText struct {
	// Summary is prompt.NotesText: the lines as one paragraph.
	Summary string `json:"summary"`
	// Lines are prompt.DescribeNotes: the notes one fact a line, exactly
	// as the prompt and the report list them.
	Lines []string `json:"lines"`
	// PeakZone and CentroidZone name the zones.
	PeakZone     string `json:"peak_zone"`
	CentroidZone string `json:"centroid_zone"`
	// BorderWarning is set when the map leans on the image border.
	BorderWarning string `json:"border_warning,omitempty"`
	// Faithfulness is set when it was measured: the target's probability
	// on the image and with only the top of the map kept, and the drop,
	// "92.59% → 80.12% (12.47 percentage points)".
	Faithfulness string `json:"faithfulness,omitempty"`
	// FusedLayers is prompt.DescribeFusedLayers, set when the map fuses
	// several layers.
	FusedLayers string `json:"fused_layers,omitempty"`
	// Occlusion are prompt.DescribeOcclusion, one line per check, set
	// when the checks were asked for.
	Occlusion []string `json:"occlusion,omitempty"`
}

// newCAMText words the result's notes for the page.
func newCAMText(r *gradcam.Result, lang prompt.Lang) camText {
	n := r.Notes
	t := camText{Summary: prompt.NotesText(&n, lang), Lines: prompt.DescribeNotes(&n, lang),
		FusedLayers: prompt.DescribeFusedLayers(r.Layers, lang), Occlusion: prompt.DescribeOcclusion(r.Occlusion, lang)}
	if f := r.Faithfulness; f != nil {
		t.Faithfulness = fmt.Sprintf("%s → %s (%s)", prompt.FormatPercent(f.Original), prompt.FormatPercent(f.Masked), prompt.FormatPoints(f.Drop, lang))
	}
	if n.Empty {
		return t
	}
	t.PeakZone, t.CentroidZone = prompt.ZoneName(n.PeakZone, lang), prompt.ZoneName(n.CentroidZone, lang)
	t.BorderWarning = prompt.BorderExplanation(n, lang)
	return t
}

// probsText formats each class's probability as the report does.
func probsText(probs map[string]float64) map[string]string {
	out := make(map[string]string, len(probs))
	for c, p := range probs {
		out[c] = prompt.FormatPercent(p)
	}
	return out
}

// languages lists the languages the API accepts, the default first.
func languages() []string {
	var out []string
	for _, l := range prompt.Languages() {
		out = append(out, string(l))
	}
	return out
}

// languageNames names each language in itself, for the page's picker.
func languageNames() map[string]string {
	out := map[string]string{}
	for _, l := range prompt.Languages() {
		out[string(l)] = prompt.LanguageName(l)
	}
	return out
}
