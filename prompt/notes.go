package prompt

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/xrayllm/xray/gradcam/notes"
)

// ZoneName names a zone in lang: "우측 하부 영역" or "right lower zone" for
// notes.RightLower. Zones are in the patient's frame: the image's left half
// is the patient's right. The empty zone is "unknown zone" (or "알 수 없는
// 영역"); a zone that is not one of notes.Zones keeps its identifier.
func ZoneName(z notes.Zone, lang Lang) string {
	w := words(lang)
	if z == "" {
		return w.UnknownZone
	}
	if s, ok := w.Zones[z]; ok {
		return s
	}
	return string(z)
}

// FormatPercent formats a probability or fraction p as a percentage with two
// decimals, like the original's "{:.2f}%": 0.97123 gives "97.12%". Values
// that are not finite give "n/a".
func FormatPercent(p float64) string {
	if math.IsNaN(p) || math.IsInf(p, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.2f%%", p*100)
}

// formatShare formats a share of the CAM map as a percentage with one
// decimal: 0.3141 gives "31.4%"; a value that is not finite gives "n/a".
func formatShare(p float64) string {
	if math.IsNaN(p) || math.IsInf(p, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", p*100)
}

// DescribeNotes renders CAM notes as short lines of text in lang, one fact
// a line, without list markers, in a fixed order: the orientation of the
// zones, where the peak (x and y rounded to whole pixels) and the centroid
// lie, the share of each zone (in the order of notes.Zones, then any other
// zone sorted; left out when ZoneShare is empty), the spread, and the
// border band with, when BorderAttention is set, a warning about side
// markers such as 'R'. Shares are percentages with one decimal ("31.4%").
// Nil notes give a single line saying there are none; notes of an empty map
// the single line saying the map is empty. These lines are what the
// prompts, the reports and the web page show.
func DescribeNotes(n *notes.Notes, lang Lang) []string {
	w := words(lang)
	switch {
	case n == nil:
		return []string{w.NoNotes}
	case n.Empty:
		return []string{w.EmptyMap}
	}
	lines := []string{
		w.Orientation,
		fmt.Sprintf(w.Peak, ZoneName(n.PeakZone, w.Lang), n.Peak.X, n.Peak.Y, n.Width, n.Height),
		fmt.Sprintf(w.Centroid, ZoneName(n.CentroidZone, w.Lang)),
	}
	if s := zoneShares(n.ZoneShare, w.Lang); s != "" {
		lines = append(lines, w.Shares+s)
	}
	lines = append(lines, fmt.Sprintf(w.Spread, formatShare(n.Spread)))
	band := formatShare(n.BorderBand)
	if !n.BorderAttention {
		return append(lines, fmt.Sprintf(w.BorderCalm, band, formatShare(n.BorderShare)))
	}
	where := ""
	if n.PeakInBorder {
		where = w.PeakInBand
	}
	return append(lines, fmt.Sprintf(w.BorderWarning, formatShare(n.BorderShare), band, where))
}

// NotesText renders the notes as one short paragraph in lang: a lead-in
// saying that the map shows where the network looked, not a finding, then
// the lines of DescribeNotes joined with "; ", ending with a full stop.
func NotesText(n *notes.Notes, lang Lang) string {
	return words(lang).NotesHeader + strings.Join(DescribeNotes(n, lang), "; ") + "."
}

// BorderExplanation explains border attention in plain words in lang, with
// the border share formatted as in DescribeNotes; it is empty unless the
// notes are of a non-empty map with BorderAttention set.
func BorderExplanation(n notes.Notes, lang Lang) string {
	if n.Empty || !n.BorderAttention {
		return ""
	}
	return fmt.Sprintf(words(lang).BorderExplained, formatShare(n.BorderShare))
}

// zoneShares lists the zones' shares, "right lower zone 40.0%", comma
// separated, in the order of notes.Zones, then any other zones sorted; it
// is empty when share is.
func zoneShares(share map[notes.Zone]float64, lang Lang) string {
	known := notes.Zones()
	var parts []string
	for _, z := range known {
		if v, ok := share[z]; ok {
			parts = append(parts, ZoneName(z, lang)+" "+formatShare(v))
		}
	}
	var extra []notes.Zone
	for z := range share {
		if !slices.Contains(known, z) {
			extra = append(extra, z)
		}
	}
	slices.Sort(extra)
	for _, z := range extra {
		parts = append(parts, ZoneName(z, lang)+" "+formatShare(share[z]))
	}
	return strings.Join(parts, ", ")
}

// ClassName names a class of the model for a reader in lang: Korean puts
// the plain word first and the class name in parentheses, "폐렴(PNEUMONIA)",
// as the prompt asks of the models; English keeps the class name. Classes
// other than PNEUMONIA and NORMAL (any case) keep their name.
func ClassName(label string, lang Lang) string {
	w := words(lang)
	switch strings.ToUpper(strings.TrimSpace(label)) {
	case "PNEUMONIA":
		return fmt.Sprintf(w.Pneumonia, label)
	case "NORMAL":
		return fmt.Sprintf(w.Normal, label)
	}
	return label
}
