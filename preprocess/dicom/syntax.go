package dicom

import (
	"encoding/binary"
	"fmt"

	"github.com/suyashkumar/dicom/pkg/uid"
)

// codec says how a transfer syntax stores its pixel data.
type codec int

const (
	codecNative       codec = iota // uncompressed, in the data set's byte order
	codecJPEGBaseline              // ISO 10918-1 process 1 (8 bits), image/jpeg
	codecJPEGLossless              // ISO 10918-1 processes 14 and 14 SV1
	codecJPEGLS                    // ISO 14495-1 lossless and near-lossless
	codecRLE                       // DICOM RLE (PS3.5 annex G)
)

// syntax describes a transfer syntax this package reads.
type syntax struct {
	name     string
	bo       binary.ByteOrder
	implicit bool
	deflated bool // the data set after the file meta information is deflated
	codec    codec
}

// Transfer syntaxes this package reads, by UID.
var syntaxes = map[string]syntax{
	uid.ImplicitVRLittleEndian:         {name: "Implicit VR Little Endian", bo: binary.LittleEndian, implicit: true},
	uid.ExplicitVRLittleEndian:         {name: "Explicit VR Little Endian", bo: binary.LittleEndian},
	uid.ExplicitVRBigEndian:            {name: "Explicit VR Big Endian", bo: binary.BigEndian},
	uid.DeflatedExplicitVRLittleEndian: {name: "Deflated Explicit VR Little Endian", bo: binary.LittleEndian, deflated: true},
	"1.2.840.10008.1.2.4.50":           {name: "JPEG Baseline (Process 1)", bo: binary.LittleEndian, codec: codecJPEGBaseline},
	"1.2.840.10008.1.2.4.57":           {name: "JPEG Lossless, Non-Hierarchical (Process 14)", bo: binary.LittleEndian, codec: codecJPEGLossless},
	"1.2.840.10008.1.2.4.70":           {name: "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 SV1)", bo: binary.LittleEndian, codec: codecJPEGLossless},
	"1.2.840.10008.1.2.4.80":           {name: "JPEG-LS Lossless", bo: binary.LittleEndian, codec: codecJPEGLS},
	"1.2.840.10008.1.2.4.81":           {name: "JPEG-LS Lossy (Near-Lossless)", bo: binary.LittleEndian, codec: codecJPEGLS},
	"1.2.840.10008.1.2.5":              {name: "RLE Lossless", bo: binary.LittleEndian, codec: codecRLE},
}

// conversionAdvice says how to turn a file of an unsupported syntax into
// one this package reads.
const conversionAdvice = "convert the file to an uncompressed transfer syntax first, e.g. with dcmtk's `dcmdjpeg in.dcm out.dcm` (JPEG) or GDCM's `gdcmconv --raw in.dcm out.dcm` (any syntax, JPEG 2000 too)"

// lookupSyntax returns the syntax of a transfer syntax UID, or an error
// that names an unsupported one and says how to convert the file.
func lookupSyntax(ts string) (syntax, error) {
	if s, ok := syntaxes[ts]; ok {
		return s, nil
	}
	if info, err := uid.Lookup(ts); err == nil && info.Type == uid.TypeTransferSyntax {
		return syntax{}, fmt.Errorf("transfer syntax %s (%s) is not supported (no pure-Go decoder is included): %s", ts, info.Name, conversionAdvice)
	}
	return syntax{}, fmt.Errorf("unknown transfer syntax %q", ts)
}
