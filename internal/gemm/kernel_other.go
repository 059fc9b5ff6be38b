//go:build !amd64

package gemm

// hasAsm is false: there is no assembly micro-kernel on this architecture.
const hasAsm = false

// asmKernel is never called without hasAsm; it falls back to the Go
// kernel so that the package builds everywhere.
func asmKernel(kc int, a, b, c []float32, ldc int, acc bool) {
	goKernel(kc, a, b, c, ldc, acc)
}
