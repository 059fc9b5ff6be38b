package gradcam

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// NotesOptions configure ComputeNotes; the zero value, like a nil pointer,
// gives the defaults.
type NotesOptions struct {
	// BorderBand is the width of the outer band on every side, as a
	// fraction of the map's width (left and right) and height (top and
	// bottom), in (0, 0.5); 0 means 0.10.
	BorderBand float64
	// BorderThreshold is the share of the map's mass in the band above
	// which BorderAttention is set, in (0, 1]; 0 means 0.35.
	BorderThreshold float64
}

// Default notes options.
const (
	DefaultBorderBand      = 0.10
	DefaultBorderThreshold = 0.35
)

// Zones returns the six zones in a fixed order: the patient's right side
// (image left) upper, middle, lower, then the left side.
func Zones() []Zone {
	return []Zone{RightUpper, RightMiddle, RightLower, LeftUpper, LeftMiddle, LeftLower}
}

// zoneAt returns the zone of the point (x, y) in a w×h map: the image's left
// half is the patient's right, rows are thirds of the height.
func zoneAt(x, y float64, w, h int) Zone {
	row := int(math.Floor(3 * y / float64(h)))
	row = min(max(row, 0), 2)
	if x < float64(w)/2 {
		return [3]Zone{RightUpper, RightMiddle, RightLower}[row]
	}
	return [3]Zone{LeftUpper, LeftMiddle, LeftLower}[row]
}

// ComputeNotes describes a final CAM map (w×h values in [0, 1], row-major,
// as Finalize returns it): where its peak and centre of mass are, how its
// mass splits over the six zones, how much of it is above 0.5, and how much
// lies in the outer band of the image, the failure mode where a network
// looks at side markers, labels or the image edge.
//
// Pixel (i, j) covers [i, i+1)×[j, j+1) and belongs to the zone, and to the
// band, of its centre (i+0.5, j+0.5); Peak is the centre of the first
// maximal pixel in row-major order. Negative and NaN values count as 0. An
// all-zero map gives Notes with Empty set and only Width, Height and
// BorderBand filled in.
func ComputeNotes(cam []float32, w, h int, opts *NotesOptions) (Notes, error) {
	if err := checkSize("notes", len(cam), h, w); err != nil {
		return Notes{}, err
	}
	o, err := notesDefaults(opts)
	if err != nil {
		return Notes{}, err
	}
	n := Notes{Width: w, Height: h, BorderBand: o.BorderBand}
	bx, by := o.BorderBand*float64(w), o.BorderBand*float64(h)
	share := make(map[Zone]float64, 6)
	var total, sx, sy, border float64
	peak, peakAt, above := 0.0, -1, 0
	for j := 0; j < h; j++ {
		cy := float64(j) + 0.5
		for i := 0; i < w; i++ {
			v := float64(cam[j*w+i])
			if !(v > 0) {
				continue
			}
			cx := float64(i) + 0.5
			if v > 0.5 {
				above++
			}
			if v > peak {
				peak, peakAt = v, j*w+i
			}
			total += v
			sx += v * cx
			sy += v * cy
			share[zoneAt(cx, cy, w, h)] += v
			if inBand(cx, cy, bx, by, w, h) {
				border += v
			}
		}
	}
	if total == 0 || math.IsInf(total, 0) {
		n.Empty = true
		return n, nil
	}
	for _, z := range Zones() {
		share[z] /= total
	}
	n.ZoneShare = share
	n.Peak = Point{X: float64(peakAt%w) + 0.5, Y: float64(peakAt/w) + 0.5}
	n.PeakZone = zoneAt(n.Peak.X, n.Peak.Y, w, h)
	n.Centroid = Point{X: sx / total, Y: sy / total}
	n.CentroidZone = zoneAt(n.Centroid.X, n.Centroid.Y, w, h)
	n.Spread = float64(above) / float64(w*h)
	n.BorderShare = border / total
	n.PeakInBorder = inBand(n.Peak.X, n.Peak.Y, bx, by, w, h)
	n.BorderAttention = n.BorderShare > o.BorderThreshold || n.PeakInBorder
	return n, nil
}

// notesDefaults fills in and checks the options.
func notesDefaults(opts *NotesOptions) (NotesOptions, error) {
	var o NotesOptions
	if opts != nil {
		o = *opts
	}
	if o.BorderBand == 0 {
		o.BorderBand = DefaultBorderBand
	}
	if o.BorderThreshold == 0 {
		o.BorderThreshold = DefaultBorderThreshold
	}
	if !(o.BorderBand > 0 && o.BorderBand < 0.5) {
		return o, fmt.Errorf("gradcam: notes: border band %g outside (0, 0.5)", o.BorderBand)
	}
	if !(o.BorderThreshold > 0 && o.BorderThreshold <= 1) {
		return o, fmt.Errorf("gradcam: notes: border threshold %g outside (0, 1]", o.BorderThreshold)
	}
	return o, nil
}

// inBand reports whether (x, y) lies within bx of the left or right edge or
// by of the top or bottom edge of a w×h map.
func inBand(x, y, bx, by float64, w, h int) bool {
	return x < bx || x > float64(w)-bx || y < by || y > float64(h)-by
}

// Text returns the zone's name in lang: "ko" gives Korean (우측 하부 영역
// for the right lower zone), anything else the English name.
func (z Zone) Text(lang string) string {
	if !isKorean(lang) {
		return string(z)
	}
	switch z {
	case RightUpper:
		return "우측 상부 영역"
	case RightMiddle:
		return "우측 중부 영역"
	case RightLower:
		return "우측 하부 영역"
	case LeftUpper:
		return "좌측 상부 영역"
	case LeftMiddle:
		return "좌측 중부 영역"
	case LeftLower:
		return "좌측 하부 영역"
	}
	return string(z)
}

func isKorean(lang string) bool {
	l := strings.ToLower(strings.TrimSpace(lang))
	return l == "ko" || strings.HasPrefix(l, "ko-") || strings.HasPrefix(l, "ko_")
}

// notesWords are the phrases of Lines and Text in one language. The format
// verbs take, in order: peak (zone, x, y, width, height); centroid (zone);
// spread (share); warning (border share, band, peakInBand or ""); calm
// (band, border share).
type notesWords struct {
	lang                                          string
	header, empty, orientation, unknownZone       string
	peak, centroid, shares, spread, warning, calm string
	peakInBand                                    string
}

// wordsFor returns the phrases of lang: Korean for "ko" and "ko-*",
// English for anything else.
func wordsFor(lang string) notesWords {
	if isKorean(lang) {
		return notesWords{
			lang:        "ko",
			header:      "Grad-CAM 메모 (네트워크가 주목한 위치이며 판독 소견이 아님): ",
			empty:       "Grad-CAM 지도가 비어 있음 (ReLU 이후 모든 값이 0): 모델이 주목한 위치를 제시할 수 없으며, 이 경우 위치 해석을 하지 말 것",
			orientation: "방향: 영상의 왼쪽이 환자의 오른쪽(우측)이며, 영역은 영상을 가로 2칸 × 세로 3칸으로 나눈 것",
			unknownZone: "알 수 없는 영역",
			peak:        "가장 강한 활성 위치(peak): %s (x=%.0f, y=%.0f, 지도 크기 %d×%d)",
			centroid:    "활성의 무게중심(centroid): %s",
			shares:      "영역별 활성 비중: ",
			spread:      "활성 범위(spread): 값이 0.5를 넘는 화소가 전체의 %s",
			warning: "경고 - 가장자리 주의(border attention): 활성의 %s가 영상 가장자리 띠(폭 %s)에 있음%s. " +
				"모델이 폐가 아니라 'R' 같은 좌우 표식, 글자 라벨, 영상 가장자리 또는 늑골 경계를 보고 있을 수 있음(알려진 실패 양상)",
			peakInBand: ", 가장 강한 활성도 이 띠 안에 있음",
			calm:       "가장자리 띠(폭 %s)의 활성 비중: %s (가장자리 주의 신호 없음)",
		}
	}
	return notesWords{
		lang:        "en",
		header:      "Grad-CAM notes (where the network looked, not a finding): ",
		empty:       "The Grad-CAM map is empty (all zero after ReLU): there is no location to report, so make no claim about where the network looked",
		orientation: "Orientation: the image's left is the patient's right; zones split the image into 2 columns x 3 rows",
		unknownZone: "unknown zone",
		peak:        "Strongest activation (peak): %s (x=%.0f, y=%.0f on a %dx%d map)",
		centroid:    "Centre of mass (centroid): %s",
		shares:      "Share of the map's mass by zone: ",
		spread:      "Spread: %s of pixels are above 0.5",
		warning: "WARNING - border attention: %s of the map's mass lies in the outer band (%s of width and height)%s. " +
			"The network may be looking at a side marker such as 'R', a text label, the image edge or rib edges rather than the lungs (a known failure mode)",
		peakInBand: ", and the peak lies inside it",
		calm:       "Share in the outer band (%s wide): %s (no border-attention signal)",
	}
}

// Lines renders the notes as short lines of text, one fact a line, without
// list markers, in lang: "ko" or "ko-*" (also "ko_*", any case) gives
// Korean, anything else English. The lines come in a fixed order: the
// orientation of the zones, where the peak and the centroid lie, the share
// of each zone (in the order of Zones, then any other zone sorted; left out
// when ZoneShare is empty), the spread, and the border band with, when
// BorderAttention is set, a warning about side markers such as 'R'. Notes
// of an empty map give the single line saying the map is empty. Shares are
// percentages with one decimal ("31.4%"); a zone left unset is named
// "unknown zone".
func (n Notes) Lines(lang string) []string {
	w := wordsFor(lang)
	if n.Empty {
		return []string{w.empty}
	}
	lines := []string{
		w.orientation,
		fmt.Sprintf(w.peak, w.zone(n.PeakZone), n.Peak.X, n.Peak.Y, n.Width, n.Height),
		fmt.Sprintf(w.centroid, w.zone(n.CentroidZone)),
	}
	if s := n.zoneShares(w); s != "" {
		lines = append(lines, w.shares+s)
	}
	lines = append(lines, fmt.Sprintf(w.spread, percent(n.Spread)))
	band := percent(n.BorderBand)
	if !n.BorderAttention {
		return append(lines, fmt.Sprintf(w.calm, band, percent(n.BorderShare)))
	}
	where := ""
	if n.PeakInBorder {
		where = w.peakInBand
	}
	return append(lines, fmt.Sprintf(w.warning, percent(n.BorderShare), band, where))
}

// Text renders the notes as one short paragraph in lang (as for Lines): a
// lead-in saying that the map shows where the network looked, not a
// finding, then the lines of Lines joined with "; ", ending with a full
// stop.
func (n Notes) Text(lang string) string {
	w := wordsFor(lang)
	return w.header + strings.Join(n.Lines(lang), "; ") + "."
}

// zone names z, or says it is unknown when it is unset.
func (w notesWords) zone(z Zone) string {
	if z == "" {
		return w.unknownZone
	}
	return z.Text(w.lang)
}

// zoneShares lists the zones' shares, "right lower zone 40.0%", comma
// separated, in the order of Zones, then any other zones sorted; it is
// empty when ZoneShare is.
func (n Notes) zoneShares(w notesWords) string {
	known := Zones()
	var parts []string
	for _, z := range known {
		if v, ok := n.ZoneShare[z]; ok {
			parts = append(parts, w.zone(z)+" "+percent(v))
		}
	}
	var extra []Zone
	for z := range n.ZoneShare {
		if !slices.Contains(known, z) {
			extra = append(extra, z)
		}
	}
	slices.Sort(extra)
	for _, z := range extra {
		parts = append(parts, w.zone(z)+" "+percent(n.ZoneShare[z]))
	}
	return strings.Join(parts, ", ")
}

// percent formats a fraction as a percentage with one decimal: 0.3141 gives
// "31.4%"; a value that is not finite gives "n/a".
func percent(p float64) string {
	if math.IsNaN(p) || math.IsInf(p, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", p*100)
}
