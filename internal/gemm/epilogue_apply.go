package gemm

import "fmt"

// ApplyEpilogue applies e to every element of c as a product's epilogue
// would (see Epilogue), with the vector code of kernel k (KernelAuto: the
// default kernel), for values summed by other means (a Winograd
// convolution's output transform, say). c must be a plain row-major view;
// e's rows and residual are c's.
func ApplyEpilogue(c Matrix, e *Epilogue, k Kernel) error {
	k, err := Options{Kernel: k}.resolve()
	if err != nil {
		return err
	}
	if err := c.check("c"); err != nil {
		return err
	}
	if c.Trans || c.Index != nil {
		return fmt.Errorf("gemm: c must be a plain row-major view")
	}
	if err := e.check(c.Rows, c.Cols); err != nil {
		return err
	}
	ep := micros(k).epilogue
	for i := 0; i < c.Rows; i++ {
		ep(e, c.Data[i*c.Stride:i*c.Stride+c.Cols], i, 0)
	}
	return nil
}
