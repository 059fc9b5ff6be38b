// Package pixels holds the image-size limit that preprocess and its dicom
// decoder share.
package pixels

// DefaultMax is the largest image (width*height) that is decoded when no
// other limit is given. It is larger than any radiograph (the biggest
// reference image is 5840x3624, 21 Mpx) and keeps a hostile header from
// making a decoder allocate gigabytes.
const DefaultMax = 100_000_000

// TooMany reports whether a w x h image has more than limit pixels,
// without overflowing.
func TooMany(w, h, limit int) bool {
	if w <= 0 || h <= 0 {
		return false
	}
	return w > limit/h
}
