package resnet

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/xrayllm/xray/weights"
	"gorgonia.org/tensor"
)

// bnEps is torchvision's BatchNorm2d epsilon.
const bnEps = 1e-5

// block describes one BasicBlock's place in the network.
type block struct {
	name       string // e.g. "layer2.0"
	stage      string // e.g. "layer2"
	in, out    int    // channels
	stride     int
	downsample bool
}

// layout is the network's shape as read from a checkpoint: the stem width,
// each block, and the classifier size.
type layout struct {
	arch    Arch
	stem    int
	blocks  []block
	classes int
}

// newLayout derives block shapes from the architecture and the widths
// found in the checkpoint (standard ResNets have 64, 128, 256, 512; small
// test networks are narrower). Missing keys fall back to the standard
// widths; the key check reports them.
func newLayout(a Arch, sd weights.StateDict) layout {
	width := func(key string, dim, def int) int {
		if t, ok := sd[key]; ok && len(t.Shape) > dim && t.Shape[dim] > 0 {
			return t.Shape[dim]
		}
		return def
	}
	l := layout{arch: a, stem: width("conv1.weight", 0, 64)}
	in := l.stem
	for s, n := range a.Blocks {
		out := width(fmt.Sprintf("layer%d.0.conv1.weight", s+1), 0, stageWidths[s])
		for b := 0; b < n; b++ {
			stride := 1
			if s > 0 && b == 0 {
				stride = 2
			}
			l.blocks = append(l.blocks, block{
				name: fmt.Sprintf("layer%d.%d", s+1, b), stage: fmt.Sprintf("layer%d", s+1), in: in, out: out,
				stride: stride, downsample: stride != 1 || in != out,
			})
			in = out
		}
	}
	l.classes = width("fc.weight", 0, 2)
	return l
}

// features is the width of the last stage, the classifier's input.
func (l layout) features() int { return l.blocks[len(l.blocks)-1].out }

// expectedShapes lists every float tensor a checkpoint of this layout must
// hold, with its shape.
func (l layout) expectedShapes() map[string][]int {
	want := map[string][]int{}
	bn := func(p string, c int) {
		for _, k := range []string{"weight", "bias", "running_mean", "running_var"} {
			want[p+"."+k] = []int{c}
		}
	}
	want["conv1.weight"] = []int{l.stem, 3, 7, 7}
	bn("bn1", l.stem)
	for _, b := range l.blocks {
		want[b.name+".conv1.weight"] = []int{b.out, b.in, 3, 3}
		bn(b.name+".bn1", b.out)
		want[b.name+".conv2.weight"] = []int{b.out, b.out, 3, 3}
		bn(b.name+".bn2", b.out)
		if b.downsample {
			want[b.name+".downsample.0.weight"] = []int{b.out, b.in, 1, 1}
			bn(b.name+".downsample.1", b.out)
		}
	}
	want["fc.weight"] = []int{l.classes, l.features()}
	want["fc.bias"] = []int{l.classes}
	return want
}

// check compares a checkpoint with the layout and reports every missing
// key, unexpected key and wrong shape in one error.
func (l layout) check(sd weights.StateDict) error {
	want := l.expectedShapes()
	var missing, unexpected, shapes []string
	for k, s := range want {
		t, ok := sd[k]
		switch {
		case !ok:
			missing = append(missing, k)
		case !slices.Equal(t.Shape, s):
			shapes = append(shapes, fmt.Sprintf("%s: checkpoint %v, model %v", k, t.Shape, s))
		case len(t.Data) != numel(s):
			shapes = append(shapes, fmt.Sprintf("%s: %d values for shape %v", k, len(t.Data), s))
		}
	}
	for k := range sd {
		if _, ok := want[k]; !ok {
			unexpected = append(unexpected, k)
		}
	}
	var problems []string
	add := func(what string, keys []string) {
		if len(keys) > 0 {
			slices.Sort(keys)
			problems = append(problems, fmt.Sprintf("%s (%d): %s", what, len(keys), strings.Join(keys, ", ")))
		}
	}
	add("missing keys", missing)
	add("unexpected keys", unexpected)
	add("shape mismatches", shapes)
	if len(problems) > 0 {
		return fmt.Errorf("resnet: checkpoint does not fit %s: %s", l.arch.Name, strings.Join(problems, "; "))
	}
	return nil
}

// numel is the number of elements of a shape.
func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// checkHead refuses a classifier whose size does not match the class
// names, and recognises torchvision's ImageNet head.
func (l layout) checkHead(classes []string) error {
	if l.classes == len(classes) {
		return nil
	}
	if l.classes == 1000 {
		return fmt.Errorf("resnet: fc.weight is [1000 %d], torchvision's ImageNet head; expected [%d %d], one row per class (%s): replace model.fc with nn.Linear(%d, %d) and train it, or pass the 1000 class names",
			l.features(), len(classes), l.features(), strings.Join(classes, ", "), l.features(), len(classes))
	}
	return fmt.Errorf("resnet: fc.weight has %d rows but %d class names were given (%s)", l.classes, len(classes), strings.Join(classes, ", "))
}

// params are the network's read-only parameters, shared by every graph
// built from one Model.
type params struct {
	weights convWeights       // conv weights by module name, packed
	bns     map[string]affine // folded batch norms by module name
	fcW     *tensor.Dense     // features×classes (fc.weight transposed)
	fcB     *tensor.Dense     // 1×classes
}

// newParams converts a checked state dict into graph-ready parameters,
// packing the convolution weights (copies: sd is not retained).
func newParams(l layout, sd weights.StateDict) (params, error) {
	p := params{weights: convWeights{}, bns: map[string]affine{}}
	var err error
	conv := func(name string) {
		if err != nil {
			return
		}
		t := sd[name+".weight"]
		p.weights[name], err = newConvWeight(name, tensor.New(tensor.WithShape(t.Shape...), tensor.WithBacking(t.Data)))
	}
	bn := func(name string) { p.bns[name] = foldBatchNorm(sd, name) }
	conv("conv1")
	bn("bn1")
	for _, b := range l.blocks {
		conv(b.name + ".conv1")
		bn(b.name + ".bn1")
		conv(b.name + ".conv2")
		bn(b.name + ".bn2")
		if b.downsample {
			conv(b.name + ".downsample.0")
			bn(b.name + ".downsample.1")
		}
	}
	if err != nil {
		return params{}, fmt.Errorf("resnet: %w", err)
	}
	w, b := sd["fc.weight"], sd["fc.bias"]
	k, f := w.Shape[0], w.Shape[1]
	wt := make([]float32, f*k)
	for i := 0; i < k; i++ {
		for j := 0; j < f; j++ {
			wt[j*k+i] = w.Data[i*f+j]
		}
	}
	p.fcW = tensor.New(tensor.WithShape(f, k), tensor.WithBacking(wt))
	p.fcB = tensor.New(tensor.WithShape(1, k), tensor.WithBacking(slices.Clone(b.Data)))
	return p, nil
}

// foldBatchNorm turns eval-mode BatchNorm2d into scale and shift:
// (x-mean)/sqrt(var+eps)*gamma + beta = x*scale + shift. Computed in
// float64, stored as float32.
func foldBatchNorm(sd weights.StateDict, name string) affine {
	g, b := sd[name+".weight"].Data, sd[name+".bias"].Data
	m, v := sd[name+".running_mean"].Data, sd[name+".running_var"].Data
	a := affine{scale: make([]float32, len(g)), shift: make([]float32, len(g))}
	for c := range g {
		s := float64(g[c]) / math.Sqrt(float64(v[c])+bnEps)
		a.scale[c] = float32(s)
		a.shift[c] = float32(float64(b[c]) - float64(m[c])*s)
	}
	return a
}

// backThroughConvs reports whether a gradient with respect to the
// canonical probes runs back through a convolution, that is, whether any
// probe comes before the last block's output: from there to the scores
// are only the pooling and the linear classifier. A graph whose probes
// all sit there computes its convolutions by Winograd like an
// inference graph (the CAM's weights then come from the pooling alone,
// and no ReLU mask of a backward pass depends on the product's rounding).
func (l layout) backThroughConvs(probes []string) bool {
	last := len(l.arch.Blocks)
	out := fmt.Sprintf("layer%d.%d", last, l.arch.Blocks[last-1]-1)
	for _, p := range probes {
		if p != out {
			return true
		}
	}
	return false
}

// canonicalProbes checks probe names and replaces a stage name ("layer4")
// by its last block's ("layer4.2"), the node both names share.
func (l layout) canonicalProbes(names []string) ([]string, error) {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if !slices.Contains(l.arch.SpatialLayerNames(), n) {
			return nil, l.arch.unknownLayer(n)
		}
		for s, blocks := range l.arch.Blocks {
			if n == fmt.Sprintf("layer%d", s+1) {
				n = fmt.Sprintf("layer%d.%d", s+1, blocks-1)
			}
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}
