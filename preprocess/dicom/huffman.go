package dicom

import (
	"errors"
	"fmt"
)

// huffTable is a JPEG Huffman table (ITU-T T.81 annex C) of lossless
// difference categories 0..16.
type huffTable struct {
	// lut maps the next 8 bits to length<<8 | value for codes of at most
	// 8 bits; 0 means the code is longer.
	lut     [256]uint16
	maxcode [17]int32 // largest code of each length, -1 for none
	valptr  [17]int32 // index in vals of the first code of each length
	mincode [17]int32
	vals    []byte
}

// newHuffTable builds a table from the number of codes of each length
// (1..16) and the values in code order.
func newHuffTable(counts [16]int, vals []byte) (*huffTable, error) {
	t := &huffTable{vals: append([]byte(nil), vals...)}
	for _, v := range vals {
		if v > 16 {
			return nil, fmt.Errorf("Huffman value %d is not a lossless category (0..16)", v)
		}
	}
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		t.maxcode[l] = -1
		if n > 0 {
			t.valptr[l], t.mincode[l] = k, code
			code += n
			k += n
			t.maxcode[l] = code - 1
			if code > 1<<uint(l) {
				return nil, errors.New("Huffman table has too many codes")
			}
			if l <= 8 {
				for c := t.mincode[l]; c <= t.maxcode[l]; c++ {
					v := uint16(l)<<8 | uint16(vals[t.valptr[l]+c-t.mincode[l]])
					lo := c << uint(8-l)
					for j := int32(0); j < 1<<uint(8-l); j++ {
						t.lut[lo+j] = v
					}
				}
			}
		}
		code <<= 1
	}
	return t, nil
}

// bitReader reads the entropy-coded data of a scan: bytes with 0xFF00
// stuffing, ended by a marker. Past the end it reads zero bits and
// records that it did.
type bitReader struct {
	data   []byte
	pos    int
	acc    uint64 // bits, most significant first
	n      uint   // bits in acc
	real   uint   // bits in acc that came from the data
	marker bool   // pos is at a marker
	over   bool   // a zero bit past the data was consumed
}

func (b *bitReader) fill() {
	for b.n <= 56 {
		var c byte
		if !b.marker && b.pos < len(b.data) {
			c = b.data[b.pos]
			if c == 0xff {
				if b.pos+1 < len(b.data) && b.data[b.pos+1] == 0 {
					b.pos += 2
				} else {
					b.marker, c = true, 0
				}
			} else {
				b.pos++
			}
			if !b.marker {
				b.real += 8
			}
		}
		b.acc |= uint64(c) << (56 - b.n)
		b.n += 8
	}
}

func (b *bitReader) consume(k uint) {
	b.acc <<= k
	b.n -= k
	if k > b.real {
		b.over, b.real = true, 0
	} else {
		b.real -= k
	}
}

func (b *bitReader) bits(k uint) int32 {
	if k == 0 {
		return 0
	}
	b.fill()
	v := int32(b.acc >> (64 - k))
	b.consume(k)
	return v
}

// diff decodes one difference (T.81 H.1.2.2, F.2.2.1).
func (b *bitReader) diff(t *huffTable) (int32, error) {
	b.fill()
	s := -1
	if e := t.lut[b.acc>>56]; e != 0 {
		b.consume(uint(e >> 8))
		s = int(e & 0xff)
	} else {
		code := b.bits(1)
		for l := 1; l <= 16; l++ {
			if code <= t.maxcode[l] {
				s = int(t.vals[t.valptr[l]+code-t.mincode[l]])
				break
			}
			code = code<<1 | b.bits(1)
		}
	}
	if b.over {
		return 0, errors.New("entropy-coded data is truncated")
	}
	switch {
	case s < 0:
		return 0, errors.New("bad Huffman code")
	case s == 16:
		return 32768, nil
	}
	v := b.bits(uint(s))
	if b.over {
		return 0, errors.New("entropy-coded data is truncated")
	}
	if s > 0 && v < 1<<uint(s-1) {
		v -= 1<<uint(s) - 1
	}
	return v, nil
}

// skipToMarker discards the rest of the entropy-coded segment and moves
// pos to the next marker.
func (b *bitReader) skipToMarker() {
	for b.pos+1 < len(b.data) && (b.data[b.pos] != 0xff || b.data[b.pos+1] == 0 || b.data[b.pos+1] == 0xff) {
		b.pos++
	}
	b.acc, b.n, b.real, b.marker = 0, 0, 0, false
}

// restartMarker reads the RSTn marker that ends a restart interval.
func (b *bitReader) restartMarker() error {
	b.skipToMarker()
	if b.pos+1 >= len(b.data) || b.data[b.pos+1] < mRST0 || b.data[b.pos+1] > mRST7 {
		return errors.New("restart marker expected")
	}
	b.pos += 2
	return nil
}

// end moves past the entropy-coded segment, to the next marker.
func (b *bitReader) end() error {
	b.skipToMarker()
	if b.pos+1 >= len(b.data) {
		return errors.New("no marker after the scan")
	}
	return nil
}
