package gradcam

// Point is a position in image pixel coordinates: X to the right, Y down,
// origin at the top-left corner of the map.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Zone names one cell of the 3x2 grid laid over a frontal chest image, in
// radiological terms: the image's left half is the patient's right side.
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

// Notes are numbers computed from a CAM map that a student, or a language
// model writing an educational report, can reason with. They describe where
// the network looked; they say nothing about what is in the image.
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
