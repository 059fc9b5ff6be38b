package gemm

import (
	"fmt"
	"os"
)

// Kernel names a micro-kernel: the innermost loop that computes one
// register tile of C. Each kernel has its own tile shape, so a Packed
// matrix is packed for one kernel.
type Kernel uint8

// The micro-kernels. KernelAuto, the zero value, stands for the kernel the
// package chose at start-up (see DefaultKernel).
const (
	KernelAuto   Kernel = iota // the package's choice
	KernelGo                   // portable Go, 6×16 tiles
	KernelAVX2                 // AVX2/FMA assembly, 6×16 tiles
	KernelAVX512               // AVX-512 assembly, 8×48 tiles
)

// String returns the kernel's name as XRAY_GEMM spells it.
func (k Kernel) String() string {
	switch k {
	case KernelAuto:
		return "auto"
	case KernelGo:
		return "go"
	case KernelAVX2:
		return "avx2"
	case KernelAVX512:
		return "avx512"
	}
	return fmt.Sprintf("Kernel(%d)", uint8(k))
}

// Supported reports whether the kernel runs on this CPU.
func (k Kernel) Supported() bool {
	switch k {
	case KernelAuto, KernelGo:
		return true
	case KernelAVX2:
		return hasAVX2
	case KernelAVX512:
		return hasAVX512
	}
	return false
}

// Kernels lists the kernels this CPU runs, portable Go first.
func Kernels() []Kernel {
	var ks []Kernel
	for _, k := range []Kernel{KernelGo, KernelAVX2, KernelAVX512} {
		if k.Supported() {
			ks = append(ks, k)
		}
	}
	return ks
}

// choice is the kernel chosen once at start-up and why; it is never
// changed afterwards.
var choice = choose(os.Getenv("XRAY_GEMM"))

// dispatch records the start-up choice of kernel.
type dispatch struct {
	kernel Kernel
	note   string // why the kernel differs from the one asked for, if it does
}

// choose picks the fastest supported kernel, or the one forced by the
// value of XRAY_GEMM ("go", "avx2", "avx512"), falling back, with a note
// saying why, when the forced kernel does not run on this CPU.
func choose(env string) dispatch {
	best := KernelGo
	for _, k := range Kernels() {
		best = k // Kernels lists slowest first
	}
	if env == "" {
		return dispatch{kernel: best}
	}
	for _, k := range []Kernel{KernelGo, KernelAVX2, KernelAVX512} {
		if env != k.String() {
			continue
		}
		if k.Supported() {
			return dispatch{kernel: k}
		}
		return dispatch{kernel: best, note: fmt.Sprintf("XRAY_GEMM=%s: not supported by this CPU", env)}
	}
	return dispatch{kernel: best, note: fmt.Sprintf("XRAY_GEMM=%q: unknown kernel (want go, avx2 or avx512)", env)}
}

// DefaultKernel returns the kernel used when Options.Kernel is KernelAuto:
// the fastest this CPU runs, unless XRAY_GEMM (read once at start-up)
// forces another.
func DefaultKernel() Kernel { return choice.kernel }

// KernelName describes the default kernel for logs and benchmarks: its
// name, followed, when XRAY_GEMM asked for a kernel that cannot run, by
// the reason in parentheses.
func KernelName() string {
	if choice.note == "" {
		return choice.kernel.String()
	}
	return choice.kernel.String() + " (" + choice.note + ")"
}

// resolve turns the kernel asked for by o into a concrete, supported one.
func (o Options) resolve() (Kernel, error) {
	k := o.Kernel
	if o.NoAsm {
		if k != KernelAuto && k != KernelGo {
			return 0, fmt.Errorf("gemm: NoAsm contradicts Kernel %v", k)
		}
		k = KernelGo
	}
	if k == KernelAuto {
		return choice.kernel, nil
	}
	if k > KernelAVX512 {
		return 0, fmt.Errorf("gemm: unknown %v", k)
	}
	if !k.Supported() {
		return 0, fmt.Errorf("gemm: kernel %v not supported by this CPU", k)
	}
	return k, nil
}

// micro describes a kernel's register tile and how to run it.
type micro struct {
	mr     int // rows of a tile
	panels int // B panels (PanelWidth columns each) in a full tile
	// tile computes mr rows and np·PanelWidth columns (1 ≤ np ≤ panels) of
	// C at stride ldc: C = (C if acc) + A·B over kc steps of a packed A
	// micro-panel (mr values a step) and np packed B panels, ps floats
	// apart (PanelWidth values a step).
	tile func(kc int, a, b []float32, ps, np int, c []float32, ldc int, acc bool)
	// epilogue applies e to row i of C, columns [j0, j0+len(row)).
	epilogue func(e *Epilogue, row []float32, i, j0 int)
}

// nr returns the number of columns of a full tile.
func (m *micro) nr() int { return m.panels * PanelWidth }

// mc returns the rows of A handled per block (a multiple of mr).
func (m *micro) mc() int { return mcTiles * m.mr }

// micros returns the micro-kernel description of a concrete kernel.
func micros(k Kernel) micro {
	switch k {
	case KernelAVX2:
		return avx2Micro()
	case KernelAVX512:
		return avx512Micro()
	}
	return micro{mr: 6, panels: 1, tile: goTile, epilogue: goEpilogue}
}

// goTile is the portable micro-kernel: c[6×16] (rows ldc apart) = (c if
// acc) + a·b over kc packed steps, accumulating in float32 as the assembly
// kernels do.
func goTile(kc int, a, b []float32, _, _ int, c []float32, ldc int, acc bool) {
	const mr, nr = 6, PanelWidth
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
	addTile(c, ldc, t[:], nr, mr, nr, acc)
}
