package xray

import "time"

// Timings say how long each stage of one analysis took. A stage that did
// not run is zero.
type Timings struct {
	// Decode is decoding the image and making the network input.
	Decode time.Duration `json:"decode_ns"`
	// Network is the classifier's forward pass when no CAM is computed.
	// With a CAM the forward pass runs inside the Grad-CAM graph and is
	// counted in CAM.
	Network time.Duration `json:"network_ns"`
	// CAM is computing the class activation map: the gradient graph's
	// forward and backward passes and the map made from them.
	CAM time.Duration `json:"cam_ns"`
	// TTA is the test-time augmentation's batch of variants, when asked
	// for (Request.TTA).
	TTA time.Duration `json:"tta_ns"`
	// Report is writing the educational report, the language model's
	// answer (or the offline fallback) included.
	Report time.Duration `json:"report_ns"`
}
