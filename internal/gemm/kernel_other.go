//go:build !amd64

package gemm

// There is no assembly on this architecture.
const (
	hasAVX2   = false
	hasAVX512 = false
)

// avx2Micro is never used without hasAVX2; it is the portable kernel so
// that the package builds everywhere.
func avx2Micro() micro { return micros(KernelGo) }

// avx512Micro is never used without hasAVX512 (see avx2Micro).
func avx512Micro() micro { return micros(KernelGo) }
