package prompt

import (
	"fmt"
	"math"

	"github.com/xrayllm/xray/gradcam"
)

// ZoneName names a zone in lang: "우측 하부 영역" or "right lower zone" for
// gradcam.RightLower (gradcam.Zone.Text). Zones are in the patient's frame:
// the image's left half is the patient's right. The empty zone is "unknown
// zone" (or "알 수 없는 영역").
func ZoneName(z gradcam.Zone, lang Lang) string {
	lang = lang.orDefault()
	if z == "" {
		if lang == English {
			return "unknown zone"
		}
		return "알 수 없는 영역"
	}
	return z.Text(string(lang))
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

// DescribeNotes renders CAM notes as short lines of text in lang, one fact
// a line, in a fixed order: where the peak and the centroid lie, the share
// of each zone, the spread, and the border band with its warning. The lines
// are gradcam.Notes.Lines, in English when lang is English and in Korean
// otherwise, as everywhere in this package. Nil notes give a single line
// saying there are none; notes of an empty map say so. The lines carry no
// list markers.
func DescribeNotes(n *gradcam.Notes, lang Lang) []string {
	english := lang.orDefault() == English
	if n == nil {
		if english {
			return []string{"No Grad-CAM notes (no information on where the network looked)"}
		}
		return []string{"Grad-CAM 메모 없음 (모델이 주목한 위치 정보가 제공되지 않음)"}
	}
	if english {
		return n.Lines(string(English))
	}
	return n.Lines(string(Korean))
}
