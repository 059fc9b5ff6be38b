package prompt

import (
	"fmt"
	"math"
	"slices"
	"strings"

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

// share formats a fraction with one decimal: 0.3141 gives "31.4%".
func share(p float64) string {
	if math.IsNaN(p) || math.IsInf(p, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", p*100)
}

// DescribeNotes renders CAM notes as short lines of text in lang, one fact
// a line, in a fixed order: where the peak and the centroid lie, the share
// of each zone, the spread, and the border band with its warning. Nil notes
// give a single line saying there are none; notes of an empty map say so.
// The lines carry no list markers.
func DescribeNotes(n *gradcam.Notes, lang Lang) []string {
	if lang.orDefault() == English {
		return describeEn(n)
	}
	return describeKo(n)
}

func describeKo(n *gradcam.Notes) []string {
	if n == nil {
		return []string{"Grad-CAM 메모 없음 (모델이 주목한 위치 정보가 제공되지 않음)"}
	}
	if n.Empty {
		return []string{"Grad-CAM 지도가 비어 있음 (ReLU 이후 모든 값이 0): 모델이 주목한 위치를 제시할 수 없으며, 이 경우 위치 해석을 하지 말 것"}
	}
	lines := []string{
		"방향: 영상의 왼쪽이 환자의 오른쪽(우측)이며, 영역은 영상을 가로 2칸 × 세로 3칸으로 나눈 것",
		fmt.Sprintf("가장 강한 활성 위치(peak): %s (x=%.0f, y=%.0f, 지도 크기 %d×%d)",
			ZoneName(n.PeakZone, Korean), n.Peak.X, n.Peak.Y, n.Width, n.Height),
		fmt.Sprintf("활성의 무게중심(centroid): %s", ZoneName(n.CentroidZone, Korean)),
	}
	if s := zoneShares(n, Korean); s != "" {
		lines = append(lines, "영역별 활성 비중: "+s)
	}
	lines = append(lines, fmt.Sprintf("활성 범위(spread): 값이 0.5를 넘는 화소가 전체의 %s", share(n.Spread)))
	band := share(n.BorderBand)
	if n.BorderAttention {
		where := ""
		if n.PeakInBorder {
			where = ", 가장 강한 활성도 이 띠 안에 있음"
		}
		lines = append(lines, fmt.Sprintf(
			"경고 - 가장자리 주의(border attention): 활성의 %s가 영상 가장자리 띠(폭 %s)에 있음%s. "+
				"모델이 폐가 아니라 'R' 같은 좌우 표식, 글자 라벨, 영상 가장자리 또는 늑골 경계를 보고 있을 수 있음(알려진 실패 양상)",
			share(n.BorderShare), band, where))
	} else {
		lines = append(lines, fmt.Sprintf("가장자리 띠(폭 %s)의 활성 비중: %s (가장자리 주의 신호 없음)", band, share(n.BorderShare)))
	}
	return lines
}

func describeEn(n *gradcam.Notes) []string {
	if n == nil {
		return []string{"No Grad-CAM notes (no information on where the network looked)"}
	}
	if n.Empty {
		return []string{"The Grad-CAM map is empty (all zero after ReLU): there is no location to report, so make no claim about where the network looked"}
	}
	lines := []string{
		"Orientation: the image's left is the patient's right; zones split the image into 2 columns x 3 rows",
		fmt.Sprintf("Strongest activation (peak): %s (x=%.0f, y=%.0f on a %dx%d map)",
			ZoneName(n.PeakZone, English), n.Peak.X, n.Peak.Y, n.Width, n.Height),
		fmt.Sprintf("Centre of mass (centroid): %s", ZoneName(n.CentroidZone, English)),
	}
	if s := zoneShares(n, English); s != "" {
		lines = append(lines, "Share of the map's mass by zone: "+s)
	}
	lines = append(lines, fmt.Sprintf("Spread: %s of pixels are above 0.5", share(n.Spread)))
	band := share(n.BorderBand)
	if n.BorderAttention {
		where := ""
		if n.PeakInBorder {
			where = ", and the peak lies inside it"
		}
		lines = append(lines, fmt.Sprintf(
			"WARNING - border attention: %s of the map's mass lies in the outer band (%s of width and height)%s. "+
				"The network may be looking at a side marker such as 'R', a text label, the image edge or rib edges rather than the lungs (a known failure mode)",
			share(n.BorderShare), band, where))
	} else {
		lines = append(lines, fmt.Sprintf("Share in the outer band (%s wide): %s (no border-attention signal)", band, share(n.BorderShare)))
	}
	return lines
}

// zoneShares lists the zones' shares in the fixed zone order, then any
// unknown zones in sorted order; it is empty when the map is.
func zoneShares(n *gradcam.Notes, lang Lang) string {
	if len(n.ZoneShare) == 0 {
		return ""
	}
	sep := ", "
	var parts []string
	seen := map[gradcam.Zone]bool{}
	for _, z := range gradcam.Zones() {
		if v, ok := n.ZoneShare[z]; ok {
			parts = append(parts, fmt.Sprintf("%s %s", ZoneName(z, lang), share(v)))
			seen[z] = true
		}
	}
	var extra []string
	for z := range n.ZoneShare {
		if !seen[z] {
			extra = append(extra, string(z))
		}
	}
	slices.Sort(extra)
	for _, z := range extra {
		parts = append(parts, fmt.Sprintf("%s %s", ZoneName(gradcam.Zone(z), lang), share(n.ZoneShare[gradcam.Zone(z)])))
	}
	return strings.Join(parts, sep)
}
