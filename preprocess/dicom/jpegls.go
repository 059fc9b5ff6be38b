package dicom

import (
	"errors"
	"fmt"
)

// JPEG-LS markers (ITU-T T.87 table C.1).
const (
	mSOF55 = 0xf7
	mLSE   = 0xf8
)

// jpegLSFrame decodes a JPEG-LS frame (ITU-T T.87: LOCO-I, lossless or
// near-lossless) with 1 or 3 components of 2..16 bits, not interleaved
// or line-interleaved, into interleaved samples.
func jpegLSFrame(a *imageAttrs, data []byte) ([]int32, error) {
	d := &lsDecoder{llDecoder: llDecoder{data: data, a: a}}
	if err := d.decode(); err != nil {
		return nil, fmt.Errorf("JPEG-LS: %w", err)
	}
	return d.out, nil
}

// lsDecoder reads the markers of a JPEG-LS stream; it shares the marker
// and segment reading of the JPEG lossless decoder.
type lsDecoder struct {
	llDecoder
	preset lsPreset
}

// lsPreset holds the coding parameters of an LSE segment (0: default).
type lsPreset struct{ maxval, t1, t2, t3, reset int }

func (d *lsDecoder) decode() error { return d.readMarkers(d.handle) }

// handle reads the marker segment of m.
func (d *lsDecoder) handle(m byte) error {
	switch m {
	case mSOF55:
		return d.frameHeader()
	case mLSE:
		return d.presets()
	case mSOS:
		return d.scan()
	case mDRI:
		p, err := d.segment()
		if err == nil && len(p) >= 2 && (p[0] != 0 || p[1] != 0) {
			err = errors.New("restart intervals are not supported")
		}
		return err
	}
	if m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc {
		return fmt.Errorf("frame type SOF%d is not JPEG-LS (SOF55)", m-0xc0)
	}
	_, err := d.segment()
	return err
}

func (d *lsDecoder) presets() error {
	p, err := d.segment()
	if err != nil {
		return err
	}
	if len(p) < 1 || p[0] != 1 {
		return errors.New("LSE segment other than coding parameters (mapping tables) is not supported")
	}
	if len(p) < 11 {
		return errors.New("short LSE segment")
	}
	u := func(i int) int { return int(p[i])<<8 | int(p[i+1]) }
	d.preset = lsPreset{maxval: u(1), t1: u(3), t2: u(5), t3: u(7), reset: u(9)}
	return nil
}

func (d *lsDecoder) scan() error {
	p, err := d.segment()
	if err != nil {
		return err
	}
	if d.out == nil {
		return errors.New("scan before the frame header")
	}
	if len(p) < 1 || p[0] == 0 || len(p) != 4+2*int(p[0]) {
		return errors.New("bad scan header")
	}
	ns := int(p[0])
	comps := make([]int, ns)
	for i := range comps {
		id := p[1+2*i]
		comps[i] = -1
		for k, c := range d.comps {
			if c.id == id && !d.done[k] {
				comps[i] = k
			}
		}
		if comps[i] < 0 {
			return fmt.Errorf("scan component %d: unknown component", id)
		}
		d.done[comps[i]] = true
	}
	near, ilv, pt := int(p[1+2*ns]), int(p[2+2*ns]), int(p[3+2*ns]&15)
	switch {
	case pt != 0:
		return errors.New("point transform is not supported")
	case ns > 1 && ilv != 1:
		return fmt.Errorf("interleave mode %d is not supported (only none and line)", ilv)
	}
	par, err := newLSParams(d.prec, near, d.preset)
	if err != nil {
		return err
	}
	s := newLSScan(par, d.a.cols, d.data, d.pos)
	if err := s.decode(d.out, comps, len(d.comps), d.a.rows); err != nil {
		return err
	}
	d.pos = s.br.pos
	return nil
}

// lsParams are a scan's coding parameters (T.87 C.2.4.1).
type lsParams struct {
	maxval, near, rng, qbpp, limit, reset int32
	t1, t2, t3                            int32
}

func newLSParams(prec, near int, pre lsPreset) (*lsParams, error) {
	p := &lsParams{maxval: int32(1)<<uint(prec) - 1, near: int32(near), reset: 64}
	if pre.maxval > 0 {
		p.maxval = int32(pre.maxval)
	}
	if pre.reset > 0 {
		p.reset = int32(pre.reset)
	}
	if p.maxval < 1 || p.maxval >= 1<<16 || p.near > min(255, p.maxval/2) || p.reset < 3 {
		return nil, fmt.Errorf("bad parameters MAXVAL %d, NEAR %d, RESET %d", p.maxval, p.near, p.reset)
	}
	p.rng = (p.maxval+2*p.near)/(2*p.near+1) + 1
	p.qbpp = bitLength(p.rng - 1)
	bpp := max(2, bitLength(p.maxval))
	p.limit = 2 * (bpp + max(8, bpp))
	p.t1, p.t2, p.t3 = defaultThresholds(p.maxval, p.near)
	if pre.t1 > 0 {
		p.t1 = int32(pre.t1)
	}
	if pre.t2 > 0 {
		p.t2 = int32(pre.t2)
	}
	if pre.t3 > 0 {
		p.t3 = int32(pre.t3)
	}
	if p.t1 < p.near+1 || p.t2 < p.t1 || p.t3 < p.t2 || p.t3 > p.maxval {
		return nil, fmt.Errorf("bad thresholds %d, %d, %d", p.t1, p.t2, p.t3)
	}
	return p, nil
}

// bitLength returns the number of bits needed for v >= 0 (ceil(log2(v+1))).
func bitLength(v int32) int32 {
	n := int32(0)
	for ; v > 0; v >>= 1 {
		n++
	}
	return n
}

// defaultThresholds computes T1, T2, T3 (T.87 C.2.4.1.1.1).
func defaultThresholds(maxval, near int32) (int32, int32, int32) {
	clamp := func(i, j int32) int32 {
		if i > maxval || i < j {
			return j
		}
		return i
	}
	if maxval >= 128 {
		f := (min(maxval, 4095) + 128) / 256
		t1 := clamp(f*(3-2)+2+3*near, near+1)
		t2 := clamp(f*(7-3)+3+5*near, t1)
		return t1, t2, clamp(f*(21-4)+4+7*near, t2)
	}
	f := 256 / (maxval + 1)
	t1 := clamp(max(2, 3/f+3*near), near+1)
	t2 := clamp(max(3, 7/f+5*near), t1)
	return t1, t2, clamp(max(4, 21/f+7*near), t2)
}
