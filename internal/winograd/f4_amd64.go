//go:build amd64

package winograd

// The F(4×4, 3×3) assembly kernels (f4_amd64.s), 16 values a step with
// AVX-512, 8 with AVX2; bounds are checked by the exported methods of
// Kernels. They take arrays of pointers to the slices' first values.

//go:noescape
func input6x16(o, in *[6]*float32, n, rows, sa, so int)

//go:noescape
func output6x16(o *[4]*float32, in *[6]*float32, n int)

//go:noescape
func output6Interleaved16(dst *float32, in *[6]*float32, n int)

//go:noescape
func input6x8(o, in *[6]*float32, n, rows, sa, so int)

//go:noescape
func output6x8(o *[4]*float32, in *[6]*float32, n int)

//go:noescape
func output6Interleaved8(dst *float32, in *[6]*float32, n int)

// firsts6 and firsts4 return the addresses of the slices' first values.
func firsts6(s *[6][]float32) (p [6]*float32) {
	for i := range s {
		p[i] = &s[i][0]
	}
	return p
}

func firsts4(s *[4][]float32) (p [4]*float32) {
	for i := range s {
		p[i] = &s[i][0]
	}
	return p
}

// The wrappers call the assembly directly (not through a func value), so
// that the pointer arrays stay on the stack.

func input6AVX512(o, in [6][]float32, n, rows, sa, so int) {
	po, pi := firsts6(&o), firsts6(&in)
	input6x16(&po, &pi, n, rows, sa, so)
}

func output6AVX512(o [4][]float32, in [6][]float32, n int) {
	po, pi := firsts4(&o), firsts6(&in)
	output6x16(&po, &pi, n)
}

func output6InterleavedAVX512(dst []float32, in [6][]float32, n int) {
	pi := firsts6(&in)
	output6Interleaved16(&dst[0], &pi, n)
}

func input6AVX2(o, in [6][]float32, n, rows, sa, so int) {
	po, pi := firsts6(&o), firsts6(&in)
	input6x8(&po, &pi, n, rows, sa, so)
}

func output6AVX2(o [4][]float32, in [6][]float32, n int) {
	po, pi := firsts4(&o), firsts6(&in)
	output6x8(&po, &pi, n)
}

func output6InterleavedAVX2(dst []float32, in [6][]float32, n int) {
	pi := firsts6(&in)
	output6Interleaved8(&dst[0], &pi, n)
}
