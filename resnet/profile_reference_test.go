package resnet

import (
	"context"
	"testing"
)

// TestReferenceProfile profiles the real ResNet34 on a reference image:
// the timed pass predicts what PyTorch does, it has the architecture's
// 36 convolutions (33 plus 3 downsamples) and as many bns, and the
// leaves' time is most of the total. It logs the stages' shares.
func TestReferenceProfile(t *testing.T) {
	dir, exp, m := loadReference(t)
	im := exp.Images[0]
	p, err := m.Profile(context.Background(), referenceInput(t, dir, im.File))
	if err != nil {
		t.Fatal(err)
	}
	if p.Prediction.Label != im.Pred {
		t.Errorf("%s: profile predicts %s, PyTorch %s", im.File, p.Prediction.Label, im.Pred)
	}
	kinds := map[string]int{}
	for _, l := range p.Layers {
		kinds[l.Kind]++
	}
	if kinds["conv"] != 36 || kinds["bn"] != 36 || kinds["add"] != 16 || kinds["relu"] != 17 {
		t.Errorf("leaves by kind %v, want 36 conv, 36 bn, 16 add, 17 relu", kinds)
	}
	leaves := p.Stage("conv1") + p.Stage("bn1") + p.Stage("relu") + p.Stage("maxpool") + p.Stage("avgpool") + p.Stage("fc")
	for _, s := range []string{"layer1", "layer2", "layer3", "layer4"} {
		leaves += p.Stage(s)
		t.Logf("%s: %v (%.0f%%)", s, p.Stage(s), 100*p.Stage(s).Seconds()/p.Total.Seconds())
	}
	t.Logf("total %v, leaves %v", p.Total, leaves)
	if leaves > p.Total || leaves < p.Total*9/10 {
		t.Errorf("leaves %v of a %v pass", leaves, p.Total)
	}
}
