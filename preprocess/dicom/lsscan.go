package dicom

import "errors"

// lsJ is the run-length order table J of T.87 A.7.1.1.
var lsJ = [32]int32{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12, 13, 14, 15}

// lsContext is a regular-mode context (T.87 A.2).
type lsContext struct{ a, b, c, n int32 }

// lsRunContext is a run-interruption context (T.87 A.7.2).
type lsRunContext struct{ a, n, nn, riType int32 }

// lsScan decodes one JPEG-LS scan, following the structure of CharLS.
type lsScan struct {
	p     *lsParams
	br    lsBitReader
	width int
	ctx   [365]lsContext
	run   [2]lsRunContext
	index int32 // RUNindex of the component being decoded
}

func newLSScan(p *lsParams, width int, data []byte, pos int) *lsScan {
	s := &lsScan{p: p, width: width, br: lsBitReader{data: data, pos: pos}}
	a := max(2, (p.rng+32)/64)
	for i := range s.ctx {
		s.ctx[i] = lsContext{a: a, n: 1}
	}
	s.run[0] = lsRunContext{a: a, n: 1}
	s.run[1] = lsRunContext{a: a, n: 1, riType: 1}
	return s
}

// decode decodes the lines of the scan's components (one, or several
// line-interleaved) into out, interleaved by pixel over nf components.
func (s *lsScan) decode(out []int32, comps []int, nf, rows int) error {
	w := s.width
	// Two lines per component, with one sample of padding at each end.
	lines := make([][2][]int32, len(comps))
	for i := range lines {
		lines[i] = [2][]int32{make([]int32, w+2), make([]int32, w+2)}
	}
	runIndex := make([]int32, len(comps))
	for y := 0; y < rows; y++ {
		for i, c := range comps {
			prev, cur := lines[i][(y+1)&1], lines[i][y&1]
			prev[w+1] = prev[w]
			cur[0] = prev[1]
			s.index = runIndex[i]
			if err := s.line(prev, cur); err != nil {
				return err
			}
			runIndex[i] = s.index
			for x := 0; x < w; x++ {
				out[(y*w+x)*nf+c] = cur[x+1]
			}
		}
	}
	return s.br.end()
}

// line decodes one line; prev and cur are padded (sample x at x+1).
func (s *lsScan) line(prev, cur []int32) error {
	w := int32(s.width)
	x := int32(0)
	rb, rd := prev[0], prev[1]
	for x < w {
		ra, rc := cur[x], rb
		rb, rd = rd, prev[x+2]
		q := (s.quantize(rd-rb)*9+s.quantize(rb-rc))*9 + s.quantize(rc-ra)
		if q != 0 {
			v, err := s.regular(q, predictMED(ra, rb, rc))
			if err != nil {
				return err
			}
			cur[x+1] = v
			x++
			continue
		}
		n, err := s.runMode(x, prev, cur)
		if err != nil {
			return err
		}
		x += n
		rb, rd = prev[x], prev[x+1]
	}
	return nil
}

func (s *lsScan) quantize(d int32) int32 {
	p := s.p
	switch {
	case d <= -p.t3:
		return -4
	case d <= -p.t2:
		return -3
	case d <= -p.t1:
		return -2
	case d < -p.near:
		return -1
	case d <= p.near:
		return 0
	case d < p.t1:
		return 1
	case d < p.t2:
		return 2
	case d < p.t3:
		return 3
	}
	return 4
}

// predictMED is the median edge detector (T.87 A.4.1).
func predictMED(ra, rb, rc int32) int32 {
	switch {
	case rc >= max(ra, rb):
		return min(ra, rb)
	case rc <= min(ra, rb):
		return max(ra, rb)
	}
	return ra + rb - rc
}

func (s *lsScan) clampSample(v int32) int32 { return min(max(v, 0), s.p.maxval) }

// reconstruct adds a dequantised error to a prediction, modulo the range
// (T.87 A.4.5).
func (s *lsScan) reconstruct(px, errVal int32) int32 {
	p := s.p
	v := px + errVal*(2*p.near+1)
	switch {
	case v < -p.near:
		v += p.rng * (2*p.near + 1)
	case v > p.maxval+p.near:
		v -= p.rng * (2*p.near + 1)
	}
	return s.clampSample(v)
}

// regular decodes a sample in regular mode (T.87 A.4-A.6).
func (s *lsScan) regular(q, px int32) (int32, error) {
	sign := int32(1)
	if q < 0 {
		sign, q = -1, -q
	}
	c := &s.ctx[q]
	k := int32(0)
	for ; c.n<<uint(k) < c.a; k++ {
		if k >= 16 {
			return 0, errors.New("bad context")
		}
	}
	px = s.clampSample(px + sign*c.c)
	m, err := s.br.golomb(k, s.p.limit, s.p.qbpp)
	if err != nil {
		return 0, err
	}
	e := m >> 1
	if m&1 != 0 {
		e = -e - 1
	}
	if k == 0 && s.p.near == 0 && 2*c.b+c.n-1 < 0 {
		e = -e - 1
	}
	s.update(c, e)
	return s.reconstruct(px, sign*e), nil
}

// update updates a regular context after error e (T.87 A.6).
func (s *lsScan) update(c *lsContext, e int32) {
	c.a += max(e, -e)
	c.b += e * (2*s.p.near + 1)
	if c.n == s.p.reset {
		c.a >>= 1
		c.b >>= 1
		c.n >>= 1
	}
	c.n++
	switch {
	case c.b+c.n <= 0:
		c.b += c.n
		if c.b <= -c.n {
			c.b = -c.n + 1
		}
		if c.c > -128 {
			c.c--
		}
	case c.b > 0:
		c.b -= c.n
		if c.b > 0 {
			c.b = 0
		}
		if c.c < 127 {
			c.c++
		}
	}
}

// runMode decodes a run from sample x and its interruption sample
// (T.87 A.7) and returns the number of samples decoded.
func (s *lsScan) runMode(x int32, prev, cur []int32) (int32, error) {
	w := int32(s.width)
	ra := cur[x]
	left := w - x
	n := int32(0)
	for {
		bit, err := s.br.bit()
		if err != nil {
			return 0, err
		}
		if bit == 0 {
			break
		}
		count := min(int32(1)<<uint(lsJ[s.index]), left-n)
		n += count
		if count == 1<<uint(lsJ[s.index]) {
			s.index = min(31, s.index+1)
		}
		if n == left {
			break
		}
	}
	if n != left && lsJ[s.index] > 0 {
		v, err := s.br.bits(uint(lsJ[s.index]))
		if err != nil {
			return 0, err
		}
		n += v
	}
	if n > left {
		return 0, errors.New("run beyond the end of the line")
	}
	for i := int32(0); i < n; i++ {
		cur[x+1+i] = ra
	}
	end := x + n
	if end == w {
		return n, nil
	}
	rb := prev[end+1]
	v, err := s.interruption(ra, rb)
	if err != nil {
		return 0, err
	}
	cur[end+1] = v
	s.index = max(0, s.index-1)
	return n + 1, nil
}

// interruption decodes the sample that ends a run (T.87 A.7.2).
func (s *lsScan) interruption(ra, rb int32) (int32, error) {
	if d := ra - rb; d <= s.p.near && d >= -s.p.near {
		e, err := s.runError(&s.run[1])
		return s.reconstruct(ra, e), err
	}
	e, err := s.runError(&s.run[0])
	if rb < ra {
		e = -e
	}
	return s.reconstruct(rb, e), err
}

func (s *lsScan) runError(c *lsRunContext) (int32, error) {
	t := c.a + (c.n>>1)*c.riType
	k := int32(0)
	for nt := c.n; nt < t; nt <<= 1 {
		if k++; k > 16 {
			return 0, errors.New("bad run context")
		}
	}
	m, err := s.br.golomb(k, s.p.limit-lsJ[s.index]-1, s.p.qbpp)
	if err != nil {
		return 0, err
	}
	t = m + c.riType
	odd := t&1 != 0
	abs := (t + t&1) / 2
	e := abs
	if (k != 0 || 2*c.nn >= c.n) == odd {
		e = -abs
	}
	if e < 0 {
		c.nn++
	}
	c.a += (m + 1 - c.riType) >> 1
	if c.n == s.p.reset {
		c.a >>= 1
		c.n >>= 1
		c.nn >>= 1
	}
	c.n++
	return e, nil
}

// lsBitReader reads JPEG-LS entropy-coded data: after a 0xFF byte the
// next byte's top bit is a stuffed 0 (T.87 A.1); a 0xFF followed by a
// byte with its top bit set is a marker, which ends the data.
type lsBitReader struct {
	data   []byte
	pos    int
	acc    uint64 // bits, most significant first
	n      uint   // bits in acc
	real   uint   // bits in acc that came from the data
	prevFF bool
	marker bool
}

var errLSTruncated = errors.New("entropy-coded data is truncated")

func (b *lsBitReader) fill() {
	for b.n <= 56 {
		if b.marker || b.pos >= len(b.data) {
			b.n += 8 // zero bits past the end
			continue
		}
		c := b.data[b.pos]
		if b.prevFF {
			if c >= 0x80 {
				b.marker = true
				b.pos-- // at the marker's 0xFF
				continue
			}
			b.acc |= uint64(c) << (64 - 7 - b.n)
			b.n += 7
			b.real += 7
		} else {
			b.acc |= uint64(c) << (56 - b.n)
			b.n += 8
			b.real += 8
		}
		b.prevFF = c == 0xff
		b.pos++
	}
}

func (b *lsBitReader) consume(k uint) error {
	if k > b.real {
		return errLSTruncated
	}
	b.acc <<= k
	b.n -= k
	b.real -= k
	return nil
}

func (b *lsBitReader) bit() (int32, error) {
	b.fill()
	v := int32(b.acc >> 63)
	return v, b.consume(1)
}

func (b *lsBitReader) bits(k uint) (int32, error) {
	if k == 0 {
		return 0, nil
	}
	b.fill()
	v := int32(b.acc >> (64 - k))
	return v, b.consume(k)
}

// golomb decodes a limited-length Golomb code of order k (T.87 A.5.3).
func (b *lsBitReader) golomb(k, limit, qbpp int32) (int32, error) {
	high := int32(0)
	for {
		bit, err := b.bit()
		if err != nil {
			return 0, err
		}
		if bit == 1 {
			break
		}
		if high++; high > limit {
			return 0, errors.New("bad Golomb code")
		}
	}
	if high >= limit-qbpp-1 {
		v, err := b.bits(uint(qbpp))
		return v + 1, err
	}
	low, err := b.bits(uint(k))
	return high<<uint(k) + low, err
}

// end moves to the marker after the scan.
func (b *lsBitReader) end() error {
	if b.pos > 0 && b.prevFF && !b.marker {
		b.pos-- // an 0xFF just read may start the marker
	}
	for b.pos+1 < len(b.data) && (b.data[b.pos] != 0xff || b.data[b.pos+1] < 0x80) {
		b.pos++
	}
	if b.pos+1 >= len(b.data) {
		return errors.New("no marker after the scan")
	}
	return nil
}
