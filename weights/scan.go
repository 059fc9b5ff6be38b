package weights

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Limits enforced while scanning a pickle.
const (
	maxBuilds     = 64   // BUILD opcodes per pickle (a state dict uses one)
	maxLineBytes  = 4096 // text arguments (protocol 0 opcodes, GLOBAL names)
	costPerOpcode = 96   // estimated decoder memory per opcode, bytes
	costPerMark   = 320  // a MARK makes the decoder allocate a new stack
)

// Argument kinds of pickle opcodes.
const (
	argNone = iota
	argFixed1
	argFixed2
	argFixed4
	argFixed8
	argLine
	argGlobal  // two lines: module, name
	argLen1    // 1-byte length then data
	argLen4    // uint32 length then data
	argLen4s   // int32 length then data
	argLen8    // uint64 length then data
	argFrame   // uint64 frame size
	argUnknown // not a pickle opcode
)

// argKind returns how the argument of a pickle opcode is encoded.
func argKind(op byte) int {
	switch op {
	case '(', '.', '0', '1', '2', 'N', 'R', 'a', 'b', 'd', '}', 'e', 'l', ']',
		'o', 's', 't', ')', 'u', 'Q',
		0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94,
		0x97, 0x98:
		return argNone
	case 'K', 'h', 'q', 0x80, 0x82:
		return argFixed1
	case 'M', 0x83:
		return argFixed2
	case 'J', 'j', 'r', 0x84:
		return argFixed4
	case 'G':
		return argFixed8
	case 'F', 'I', 'L', 'P', 'S', 'V', 'g', 'p':
		return argLine
	case 'c', 'i':
		return argGlobal
	case 'U', 'C', 0x8c, 0x8a:
		return argLen1
	case 'B', 'X':
		return argLen4
	case 'T', 0x8b:
		return argLen4s
	case 0x8d, 0x8e, 0x96:
		return argLen8
	case 0x95:
		return argFrame
	}
	return argUnknown
}

// scanner copies one pickle from r, checking it opcode by opcode before any
// decoder sees it: every length must fit within limit, every GLOBAL must be
// whitelisted, and the decoder's memory, estimated from the opcodes, must
// stay within costLimit.
type scanner struct {
	r         *bufio.Reader
	buf       []byte
	limit     int64
	cost      int64
	costLimit int64
	builds    int
	frames    [][2]int64 // start, size
}

// scanPickle reads exactly one pickle (up to and including STOP) from r and
// returns its bytes.
func scanPickle(r *bufio.Reader, limit, costLimit int64) ([]byte, error) {
	s := &scanner{r: r, limit: limit, costLimit: costLimit}
	if err := s.run(); err != nil {
		return nil, err
	}
	for _, f := range s.frames {
		if f[0]+f[1] > int64(len(s.buf)) {
			return nil, fmt.Errorf("%w: pickle frame of %d bytes runs past the end", ErrCorrupt, f[1])
		}
	}
	return s.buf, nil
}

func (s *scanner) run() error {
	for {
		op, err := s.readByte()
		if err != nil {
			return err
		}
		if err := s.charge(costPerOpcode); err != nil {
			return err
		}
		switch op {
		case '.':
			return nil
		case '(':
			if err := s.charge(costPerMark); err != nil {
				return err
			}
		case 'b':
			if s.builds++; s.builds > maxBuilds {
				return fmt.Errorf("%w: more than %d BUILD opcodes", ErrUnsafePickle, maxBuilds)
			}
		}
		if err := s.arg(op); err != nil {
			return err
		}
	}
}

func (s *scanner) arg(op byte) error {
	switch argKind(op) {
	case argNone:
		return nil
	case argFixed1:
		return s.take(1)
	case argFixed2:
		return s.take(2)
	case argFixed4:
		return s.take(4)
	case argFixed8:
		return s.take(8)
	case argLine:
		_, err := s.line()
		return err
	case argGlobal:
		module, err := s.line()
		if err != nil {
			return err
		}
		name, err := s.line()
		if err != nil {
			return err
		}
		_, err = findClass(module, name)
		return err
	case argLen1:
		b, err := s.readByte()
		if err != nil {
			return err
		}
		if b == 0 && (op == 0x8a) {
			return fmt.Errorf("%w: empty LONG1", ErrCorrupt)
		}
		return s.data(uint64(b))
	case argLen4, argLen4s:
		n, err := s.uint(4)
		if err != nil {
			return err
		}
		if argKind(op) == argLen4s && (n >= 1<<31 || (n == 0 && op == 0x8b)) {
			return fmt.Errorf("%w: bad length %d for opcode 0x%02x", ErrCorrupt, n, op)
		}
		return s.data(n)
	case argLen8:
		n, err := s.uint(8)
		if err != nil {
			return err
		}
		return s.data(n)
	case argFrame:
		n, err := s.uint(8)
		if err != nil {
			return err
		}
		if n > uint64(s.limit) {
			return fmt.Errorf("%w: pickle frame of %d bytes", ErrTooLarge, n)
		}
		s.frames = append(s.frames, [2]int64{int64(len(s.buf)), int64(n)})
		return s.charge(int64(n))
	}
	return fmt.Errorf("%w: unknown pickle opcode 0x%02x", ErrUnsafePickle, op)
}

func (s *scanner) charge(n int64) error {
	s.cost += n
	if s.cost > s.costLimit {
		return fmt.Errorf("%w: decoding the pickle would need more than %d bytes", ErrTooLarge, s.costLimit)
	}
	return nil
}

func (s *scanner) readByte() (byte, error) {
	if int64(len(s.buf)) >= s.limit {
		return 0, fmt.Errorf("%w: pickle longer than %d bytes", ErrTooLarge, s.limit)
	}
	b, err := s.r.ReadByte()
	if err != nil {
		return 0, truncated(err)
	}
	s.buf = append(s.buf, b)
	return b, nil
}

// take copies n (small) argument bytes.
func (s *scanner) take(n int) error {
	for range n {
		if _, err := s.readByte(); err != nil {
			return err
		}
	}
	return nil
}

// data copies n bytes of a length-prefixed argument.
func (s *scanner) data(n uint64) error {
	if n > uint64(s.limit-int64(len(s.buf))) {
		return fmt.Errorf("%w: pickle argument of %d bytes", ErrTooLarge, n)
	}
	if err := s.charge(2 * int64(n)); err != nil {
		return err
	}
	start := len(s.buf)
	for int64(len(s.buf)-start) < int64(n) {
		chunk := min(int64(n)-int64(len(s.buf)-start), 1<<20)
		old := len(s.buf)
		s.buf = append(s.buf, make([]byte, chunk)...)
		if _, err := io.ReadFull(s.r, s.buf[old:]); err != nil {
			return truncated(err)
		}
	}
	return nil
}

func (s *scanner) uint(n int) (uint64, error) {
	start := len(s.buf)
	if err := s.take(n); err != nil {
		return 0, err
	}
	var b [8]byte
	copy(b[:], s.buf[start:])
	return binary.LittleEndian.Uint64(b[:]), nil
}

func (s *scanner) line() (string, error) {
	start := len(s.buf)
	for {
		b, err := s.readByte()
		if err != nil {
			return "", err
		}
		if b == '\n' {
			return string(s.buf[start : len(s.buf)-1]), nil
		}
		if len(s.buf)-start > maxLineBytes {
			return "", fmt.Errorf("%w: pickle text argument longer than %d bytes", ErrCorrupt, maxLineBytes)
		}
	}
}

// truncated converts an end of input into ErrCorrupt.
func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: file ends inside a pickle", ErrCorrupt)
	}
	return err
}
