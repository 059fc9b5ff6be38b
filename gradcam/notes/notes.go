// Package notes describes a CAM map in numbers a student, or a language
// model writing an educational report, can reason with: where its peak and
// centre of mass lie, how its mass splits over six zones of a frontal chest
// image, how much of it is above 0.5, and whether it leans on the image
// border, where side markers and labels sit.
//
// The package is plain arithmetic on a []float32 map, with no dependency
// beyond the standard library, so a map made by any means can be described;
// gradcam uses it for every map it computes. It holds no words: package
// prompt renders Notes in a language.
package notes

// Point is a position in image pixel coordinates: X to the right, Y down,
// origin at the top-left corner of the map.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Zone identifies one cell of the 3x2 grid laid over a frontal chest image,
// in radiological terms: the image's left half is the patient's right side.
// Its value is a stable identifier, written as is into JSON; prompt.ZoneName
// gives the name to show a reader.
type Zone string

// The six zones of the grid. Rows split the image height into thirds
// (upper, middle, lower); columns split the width into halves.
const (
	RightUpper  Zone = "right upper zone"
	RightMiddle Zone = "right middle zone"
	RightLower  Zone = "right lower zone"
	LeftUpper   Zone = "left upper zone"
	LeftMiddle  Zone = "left middle zone"
	LeftLower   Zone = "left lower zone"
)

// Zones returns the six zones in a fixed order: the patient's right side
// (image left) upper, middle, lower, then the left side.
func Zones() []Zone {
	return []Zone{RightUpper, RightMiddle, RightLower, LeftUpper, LeftMiddle, LeftLower}
}

// Notes are numbers computed from a CAM map. They describe where the
// network looked; they say nothing about what is in the image.
type Notes struct {
	// Peak is the position of the map's maximum; PeakZone its zone.
	Peak     Point `json:"peak"`
	PeakZone Zone  `json:"peak_zone"`
	// Centroid is the map's centre of mass; CentroidZone its zone.
	Centroid     Point `json:"centroid"`
	CentroidZone Zone  `json:"centroid_zone"`
	// ZoneShare is the fraction of the map's total mass in each zone; the
	// values sum to 1 unless the map is empty.
	ZoneShare map[Zone]float64 `json:"zone_share"`
	// Spread is the fraction of pixels whose value is above 0.5.
	Spread float64 `json:"spread"`
	// BorderBand is the width of the outer band, as a fraction of the
	// image's width and height, used for BorderShare.
	BorderBand float64 `json:"border_band"`
	// BorderShare is the fraction of the map's mass inside the outer band.
	BorderShare float64 `json:"border_share"`
	// PeakInBorder reports whether the peak lies inside the outer band.
	PeakInBorder bool `json:"peak_in_border"`
	// BorderAttention is set when BorderShare exceeds the threshold or the
	// peak lies in the band: the network may be looking at side markers,
	// labels or the image edge rather than the lungs.
	BorderAttention bool `json:"border_attention"`
	// Empty is set when the map was all zero after ReLU; the other fields
	// are then zero, except Width, Height and BorderBand.
	Empty bool `json:"empty"`
	// Width and Height are the dimensions of the map the notes describe.
	Width  int `json:"width"`
	Height int `json:"height"`
}
