package resnet

// LayerInfo is one layer of the architecture with the shape of its output.
type LayerInfo struct {
	// Name is the torchvision module name: "conv1", "bn1", "relu",
	// "maxpool", "layer1", "layer1.0", "layer1.0.conv1", ...,
	// "layer2.0.downsample", "layer2.0.downsample.0", ..., "avgpool", "fc".
	Name string
	// Kind is what the layer computes: "conv", "bn", "relu", "maxpool",
	// "block" (a BasicBlock), "stage" (layer1..layer4), "downsample" (a
	// block's shortcut, a 1×1 conv and a bn), "avgpool" or "fc".
	Kind string
	// Shape is the output shape for one InputSize×InputSize image:
	// channels, height, width ([64 56 56]), or [features] for avgpool and
	// fc.
	Shape []int
	// Parent is the enclosing module's name ("layer1" for "layer1.0",
	// "layer1.0" for "layer1.0.conv1"), "" at the top.
	Parent string
}

// Layers lists the model's layers in the order of torchvision's
// named_modules (a module before its parts), each with its output shape
// for one image: the architecture a page can draw.
func (m *Model) Layers() []LayerInfo {
	l := m.layout
	var out []LayerInfo
	add := func(name, kind, parent string, shape ...int) {
		out = append(out, LayerInfo{Name: name, Kind: kind, Shape: shape, Parent: parent})
	}
	side := convOut(InputSize, 7, 2, 3)
	add("conv1", "conv", "", l.stem, side, side)
	add("bn1", "bn", "", l.stem, side, side)
	add("relu", "relu", "", l.stem, side, side)
	side = convOut(side, 3, 2, 1)
	add("maxpool", "maxpool", "", l.stem, side, side)
	for i, blk := range l.blocks {
		if i == 0 || l.blocks[i-1].stage != blk.stage {
			add(blk.stage, "stage", "", stageShape(l.blocks[i:], side)...)
		}
		in := side
		side = convOut(side, 3, blk.stride, 1)
		p := blk.name
		c := blk.out
		add(p, "block", blk.stage, c, side, side)
		add(p+".conv1", "conv", p, c, side, side)
		add(p+".bn1", "bn", p, c, side, side)
		add(p+".relu", "relu", p, c, side, side)
		add(p+".conv2", "conv", p, c, side, side)
		add(p+".bn2", "bn", p, c, side, side)
		if blk.downsample {
			ds := convOut(in, 1, blk.stride, 0)
			add(p+".downsample", "downsample", p, c, ds, ds)
			add(p+".downsample.0", "conv", p+".downsample", c, ds, ds)
			add(p+".downsample.1", "bn", p+".downsample", c, ds, ds)
		}
	}
	add("avgpool", "avgpool", "", l.features())
	add("fc", "fc", "", l.classes)
	return out
}

// stageShape is the output shape of the stage whose blocks begin blocks,
// given the side of its input.
func stageShape(blocks []block, side int) []int {
	stage := blocks[0].stage
	c := 0
	for _, b := range blocks {
		if b.stage != stage {
			break
		}
		side = convOut(side, 3, b.stride, 1)
		c = b.out
	}
	return []int{c, side, side}
}

// convOut is the output side of a convolution or pooling with kernel k,
// the given stride and padding, over an input of side in.
func convOut(in, k, stride, pad int) int { return (in+2*pad-k)/stride + 1 }
