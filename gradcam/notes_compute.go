package gradcam

import (
	"fmt"
	"math"
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

// Text renders the notes as a short paragraph for a report prompt: "ko" for
// Korean, anything else for English. It states that the map shows where
// the network looked, not a finding.
func (n Notes) Text(lang string) string {
	if isKorean(lang) {
		return n.textKo()
	}
	return n.textEn()
}

func pct(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) }

func (n Notes) textEn() string {
	var b strings.Builder
	b.WriteString("Grad-CAM notes (where the network looked, not a finding): ")
	if n.Empty {
		b.WriteString("the map is empty — nothing at this layer spoke for the target class, so there is no region to point to.")
		return b.String()
	}
	fmt.Fprintf(&b, "peak in the %s (x=%.0f, y=%.0f of %dx%d); centre of mass in the %s. ",
		n.PeakZone, n.Peak.X, n.Peak.Y, n.Width, n.Height, n.CentroidZone)
	b.WriteString("Share by zone: ")
	for i, z := range Zones() {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", strings.TrimSuffix(string(z), " zone"), pct(n.ZoneShare[z]))
	}
	fmt.Fprintf(&b, ". %s of the image is above 0.5. The outer %s band holds %s of the map.",
		pct(n.Spread), pct(n.BorderBand), pct(n.BorderShare))
	if n.BorderAttention {
		b.WriteString(" Caution: attention at the image border")
		if n.PeakInBorder {
			b.WriteString(" (the peak is in the band)")
		}
		b.WriteString(" — the network may be looking at side markers, labels or the image edge rather than the lungs.")
	}
	return b.String()
}

func (n Notes) textKo() string {
	var b strings.Builder
	b.WriteString("Grad-CAM 메모 (네트워크가 주목한 위치이며 판독 소견이 아님): ")
	if n.Empty {
		b.WriteString("맵이 비어 있음 — 이 층에서 목표 클래스를 지지한 부분이 없어 가리킬 영역이 없습니다.")
		return b.String()
	}
	fmt.Fprintf(&b, "최고점은 %s(x=%.0f, y=%.0f, %dx%d 기준), 무게중심은 %s. ",
		n.PeakZone.Text("ko"), n.Peak.X, n.Peak.Y, n.Width, n.Height, n.CentroidZone.Text("ko"))
	b.WriteString("영역별 비중: ")
	for i, z := range Zones() {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", strings.TrimSuffix(z.Text("ko"), " 영역"), pct(n.ZoneShare[z]))
	}
	fmt.Fprintf(&b, ". 0.5를 넘는 부분은 이미지의 %s. 바깥쪽 %s 띠에 맵의 %s가 있음.",
		pct(n.Spread), pct(n.BorderBand), pct(n.BorderShare))
	if n.BorderAttention {
		b.WriteString(" 주의: 주목이 이미지 가장자리에 있음")
		if n.PeakInBorder {
			b.WriteString("(최고점이 가장자리 띠 안에 있음)")
		}
		b.WriteString(" — 폐가 아니라 좌우 표지(R/L 마커), 글자 또는 이미지 경계를 보고 있을 수 있습니다.")
	}
	return b.String()
}
