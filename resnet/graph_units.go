package resnet

// convUnit is a convolution and the batch norm after it, with the
// residual sum and ReLU that may follow: the part of the network one op
// computes in a fused graph (GraphOptions.Fuse).
type convUnit struct {
	conv, bn       string // module names
	convOut, bnOut string // their outputs' layer names; convOut "" when unnamed
	stride, pad    int
	relu           string // the (add and) ReLU's layer name; "" when there is none
}

// out is the layer name of the unit's output.
func (u convUnit) out() string {
	if u.relu != "" {
		return u.relu
	}
	return u.bnOut
}

// hidden lists the unit's layer names that a fused op does not expose.
func (u convUnit) hidden() []string {
	var h []string
	for _, n := range []string{u.convOut, u.bnOut} {
		if n != "" && n != u.out() {
			h = append(h, n)
		}
	}
	return h
}

// stemUnit is torchvision's conv1, bn1, relu.
func stemUnit() convUnit {
	return convUnit{conv: "conv1", bn: "bn1", convOut: "conv1", bnOut: "bn1", stride: 2, pad: 3, relu: "relu"}
}

// blockUnits returns a BasicBlock's units: conv1-bn1-relu, then
// conv2-bn2 with the identity added before the ReLU, and the downsample
// of the identity when the block has one (hasDown).
func blockUnits(blk block) (first, second, down convUnit, hasDown bool) {
	p := blk.name
	first = convUnit{conv: p + ".conv1", bn: p + ".bn1", convOut: p + ".conv1", bnOut: p + ".bn1", stride: blk.stride, pad: 1, relu: p + ".relu"}
	second = convUnit{conv: p + ".conv2", bn: p + ".bn2", convOut: p + ".conv2", bnOut: p + ".bn2", stride: 1, pad: 1, relu: p}
	down = convUnit{conv: p + ".downsample.0", bn: p + ".downsample.1", bnOut: p + ".downsample", stride: blk.stride}
	return first, second, down, blk.downsample
}

// hiddenWhenFused reports whether a fused graph of the layout lacks the
// named layer (without a probe there).
func (l layout) hiddenWhenFused(name string) bool {
	units := []convUnit{stemUnit()}
	for _, blk := range l.blocks {
		first, second, _, _ := blockUnits(blk)
		units = append(units, first, second)
	}
	for _, u := range units {
		for _, h := range u.hidden() {
			if h == name {
				return true
			}
		}
	}
	return false
}
