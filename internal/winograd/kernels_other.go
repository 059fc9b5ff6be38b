//go:build !amd64

package winograd

// There is no assembly on this architecture: gemm reports the AVX kernels
// unsupported, so these are never asked for; they are the portable kernels
// so that the package builds everywhere.

func avx512Kernels() Kernels { return goKernels() }

func avx2Kernels() Kernels { return goKernels() }
