package gemm

// goKernel is the portable micro-kernel: c[6×16] (rows ldc apart) =
// (c if acc) + a·b over kc packed steps, accumulating in float32 as the
// assembly kernel does.
func goKernel(kc int, a, b, c []float32, ldc int, acc bool) {
	var t [mr * nr]float32
	a = a[:kc*mr]
	b = b[:kc*nr]
	for p := 0; p < kc; p++ {
		bs := (*[nr]float32)(b[p*nr:])
		as := (*[mr]float32)(a[p*mr:])
		for i, av := range as {
			row := (*[nr]float32)(t[i*nr:])
			for j, bv := range bs {
				row[j] += av * bv
			}
		}
	}
	addTile(c, ldc, &t, mr, nr, acc)
}
