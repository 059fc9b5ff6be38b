package dicom

import (
	"errors"
	"fmt"
)

// JPEG markers (ITU-T T.81 table B.1).
const (
	mSOF3 = 0xc3 // lossless, Huffman
	mDHT  = 0xc4
	mSOI  = 0xd8
	mEOI  = 0xd9
	mSOS  = 0xda
	mDRI  = 0xdd
	mRST0 = 0xd0
	mRST7 = 0xd7
)

// losslessFrame decodes a JPEG lossless frame (ITU-T T.81 annex H,
// process 14, any of the seven predictors, with point transform) with 1
// or 3 components of 2..16 bits into interleaved samples.
func losslessFrame(a *imageAttrs, data []byte) ([]int32, error) {
	d := &llDecoder{data: data, a: a}
	if err := d.decode(); err != nil {
		return nil, fmt.Errorf("JPEG lossless: %w", err)
	}
	return d.out, nil
}

// llComponent is a frame component.
type llComponent struct{ id byte }

type llDecoder struct {
	data    []byte
	pos     int
	a       *imageAttrs
	prec    int
	comps   []llComponent
	tables  [4]*huffTable
	restart int // restart interval in MCUs, 0 for none
	out     []int32
	done    []bool // components decoded by a scan
}

// marker reads the next marker, skipping fill bytes.
func (d *llDecoder) marker() (byte, error) {
	if d.pos+2 > len(d.data) || d.data[d.pos] != 0xff {
		return 0, errors.New("marker expected")
	}
	d.pos++
	for d.pos < len(d.data) && d.data[d.pos] == 0xff {
		d.pos++
	}
	if d.pos >= len(d.data) {
		return 0, errors.New("truncated marker")
	}
	m := d.data[d.pos]
	d.pos++
	return m, nil
}

// segment returns the payload of a marker segment with a length field.
func (d *llDecoder) segment() ([]byte, error) {
	if d.pos+2 > len(d.data) {
		return nil, errors.New("truncated segment length")
	}
	n := int(d.data[d.pos])<<8 | int(d.data[d.pos+1])
	if n < 2 || d.pos+n > len(d.data) {
		return nil, fmt.Errorf("segment length %d beyond the data", n)
	}
	p := d.data[d.pos+2 : d.pos+n]
	d.pos += n
	return p, nil
}

// readMarkers reads the markers from SOI to EOI, handing the others to
// handle, and checks at EOI that every component was decoded.
func (d *llDecoder) readMarkers(handle func(m byte) error) error {
	if m, err := d.marker(); err != nil || m != mSOI {
		return errors.New("no SOI marker")
	}
	for {
		m, err := d.marker()
		if err != nil {
			return err
		}
		if m == mEOI {
			return d.finish()
		}
		if err := handle(m); err != nil {
			return err
		}
	}
}

func (d *llDecoder) decode() error { return d.readMarkers(d.handle) }

// handle reads the marker segment of m.
func (d *llDecoder) handle(m byte) error {
	switch {
	case m == mSOF3:
		return d.frameHeader()
	case m == mDHT:
		return d.huffmanTables()
	case m == mDRI:
		return d.restartInterval()
	case m == mSOS:
		return d.scan()
	case m >= 0xc0 && m <= 0xcf && m != 0xc8 && m != 0xcc:
		return fmt.Errorf("frame type SOF%d is not lossless Huffman (SOF3)", m-0xc0)
	case m == 0xcc: // arithmetic coding conditioning
		return errors.New("arithmetic coding is not supported")
	}
	_, err := d.segment() // APPn, COM, DQT, DNL...: skipped
	return err
}

// finish checks that every component was decoded.
func (d *llDecoder) finish() error {
	if d.out == nil {
		return errors.New("no frame header")
	}
	for i, ok := range d.done {
		if !ok {
			return fmt.Errorf("component %d has no scan", i+1)
		}
	}
	return nil
}

func (d *llDecoder) frameHeader() error {
	p, err := d.segment()
	if err != nil {
		return err
	}
	if d.out != nil {
		return errors.New("second frame header")
	}
	if len(p) < 6 {
		return errors.New("short frame header")
	}
	d.prec = int(p[0])
	h, w, nf := int(p[1])<<8|int(p[2]), int(p[3])<<8|int(p[4]), int(p[5])
	if d.prec < 2 || d.prec > 16 {
		return fmt.Errorf("precision %d is not 2..16", d.prec)
	}
	if d.prec > d.a.bitsAllocated {
		return fmt.Errorf("precision %d is more than BitsAllocated %d", d.prec, d.a.bitsAllocated)
	}
	if w != d.a.cols || h != d.a.rows {
		return fmt.Errorf("frame is %dx%d, the data set says %dx%d", w, h, d.a.cols, d.a.rows)
	}
	if nf != d.a.spp || len(p) < 6+3*nf {
		return fmt.Errorf("frame has %d components, the data set says %d", nf, d.a.spp)
	}
	for i := 0; i < nf; i++ {
		c := p[6+3*i:]
		if c[1] != 0x11 {
			return fmt.Errorf("component %d is subsampled (%#x)", i+1, c[1])
		}
		d.comps = append(d.comps, llComponent{id: c[0]})
	}
	d.out = make([]int32, w*h*nf)
	d.done = make([]bool, nf)
	return nil
}

func (d *llDecoder) restartInterval() error {
	p, err := d.segment()
	if err != nil {
		return err
	}
	if len(p) < 2 {
		return errors.New("short restart interval")
	}
	d.restart = int(p[0])<<8 | int(p[1])
	return nil
}

func (d *llDecoder) huffmanTables() error {
	p, err := d.segment()
	if err != nil {
		return err
	}
	for len(p) > 0 {
		if len(p) < 17 {
			return errors.New("short Huffman table")
		}
		class, id := p[0]>>4, p[0]&15
		if class != 0 || id > 3 {
			return fmt.Errorf("Huffman table class %d id %d", class, id)
		}
		var counts [16]int
		total := 0
		for i := range counts {
			counts[i] = int(p[1+i])
			total += counts[i]
		}
		if len(p) < 17+total {
			return errors.New("short Huffman table values")
		}
		t, err := newHuffTable(counts, p[17:17+total])
		if err != nil {
			return err
		}
		d.tables[id] = t
		p = p[17+total:]
	}
	return nil
}

// scanComp is a component of a scan: its index in the frame and table.
type scanComp struct {
	index int
	table *huffTable
}

func (d *llDecoder) scan() error {
	p, err := d.segment()
	if err != nil {
		return err
	}
	if d.out == nil {
		return errors.New("scan before the frame header")
	}
	if len(p) < 1 || len(p) != 4+2*int(p[0]) || p[0] == 0 {
		return errors.New("bad scan header")
	}
	ns := int(p[0])
	comps := make([]scanComp, ns)
	for i := range comps {
		id, td := p[1+2*i], p[2+2*i]>>4
		comps[i].index = -1
		for k, c := range d.comps {
			if c.id == id && !d.done[k] {
				comps[i].index = k
			}
		}
		if comps[i].index < 0 || td > 3 || d.tables[td] == nil {
			return fmt.Errorf("scan component %d: unknown component or table", id)
		}
		d.done[comps[i].index] = true
		comps[i].table = d.tables[td]
	}
	pred, pt := int(p[1+2*ns]), int(p[3+2*ns]&15)
	if pred < 1 || pred > 7 {
		return fmt.Errorf("predictor %d is not 1..7", pred)
	}
	if pt >= d.prec {
		return fmt.Errorf("point transform %d with precision %d", pt, d.prec)
	}
	return d.scanData(comps, pred, pt)
}

// scanData decodes the entropy-coded data of a scan (T.81 H.1.2).
func (d *llDecoder) scanData(comps []scanComp, pred, pt int) error {
	br := &bitReader{data: d.data, pos: d.pos}
	w, h, nf := d.a.cols, d.a.rows, len(d.comps)
	initial := int32(1) << uint(d.prec-pt-1)
	mask := int32(1)<<uint(d.prec-pt) - 1
	mcus, resetRow := 0, 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if d.restart > 0 && mcus > 0 && mcus%d.restart == 0 {
				if err := br.restartMarker(); err != nil {
					return err
				}
				resetRow = y
				if x > 0 {
					return errors.New("restart interval is not a whole number of rows")
				}
			}
			mcus++
			for _, c := range comps {
				diff, err := br.diff(c.table)
				if err != nil {
					return err
				}
				i := (y*w+x)*nf + c.index
				var p int32
				switch {
				case y == resetRow && x == 0:
					p = initial
				case y == resetRow:
					p = d.out[i-nf]
				case x == 0:
					p = d.out[i-w*nf]
				default:
					p = predict(pred, d.out[i-nf], d.out[i-w*nf], d.out[i-w*nf-nf])
				}
				d.out[i] = (p + diff) & 0xffff & mask
			}
		}
	}
	if err := br.end(); err != nil {
		return err
	}
	d.pos = br.pos
	if pt > 0 {
		for _, c := range comps {
			for i := c.index; i < len(d.out); i += nf {
				d.out[i] <<= uint(pt)
			}
		}
	}
	return nil
}

// predict computes prediction pred (T.81 table H.1) from the samples to
// the left (ra), above (rb) and above left (rc).
func predict(pred int, ra, rb, rc int32) int32 {
	switch pred {
	case 1:
		return ra
	case 2:
		return rb
	case 3:
		return rc
	case 4:
		return ra + rb - rc
	case 5:
		return ra + (rb-rc)>>1
	case 6:
		return rb + (ra-rc)>>1
	}
	return (ra + rb) >> 1
}
