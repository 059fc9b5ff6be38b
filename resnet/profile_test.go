package resnet

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestLayersShapesMatchActivations checks every layer Layers lists that a
// graph exposes against the shape of its activation, and that every
// exposed layer is listed, in torchvision's order, parent before child.
func TestLayersShapesMatchActivations(t *testing.T) {
	for _, name := range []string{"resnet34_narrow", "resnet18_narrow"} {
		t.Run(name, func(t *testing.T) {
			m, _ := loadFixture(t, name)
			layers := m.Layers()
			acts, err := m.Activations(context.Background(), pattern(0), m.LayerNames()...)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, l := range layers {
				if l.Parent != "" && !seen[l.Parent] {
					t.Errorf("%s comes before its parent %s", l.Name, l.Parent)
				}
				if l.Parent != "" && !strings.HasPrefix(l.Name, l.Parent+".") {
					t.Errorf("%s: parent %s is not its prefix", l.Name, l.Parent)
				}
				seen[l.Name] = true
				a, ok := acts[l.Name]
				if !ok {
					continue
				}
				if want := a.Shape[1:]; !slices.Equal(l.Shape, want) {
					t.Errorf("%s (%s): shape %v, activation %v", l.Name, l.Kind, l.Shape, want)
				}
			}
			for _, n := range m.LayerNames() {
				if !seen[n] {
					t.Errorf("layer %s missing from Layers", n)
				}
			}
		})
	}
}

// TestProfile checks that the timed pass predicts what Forward does, that
// its leaves are every conv, bn and relu of the architecture with their
// shapes, and that they add up to about the total.
func TestProfile(t *testing.T) {
	m, _ := loadFixture(t, "resnet34_narrow")
	x := pattern(1)
	p, err := m.Profile(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	logits, err := m.Forward(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Prediction.Logits, logits[0]) {
		t.Errorf("profile logits %v, Forward %v", p.Prediction.Logits, logits[0])
	}
	leaves := map[string]LayerTiming{}
	var sum time.Duration
	for _, l := range p.Layers {
		if _, dup := leaves[l.Name]; dup {
			t.Errorf("leaf %s twice", l.Name)
		}
		leaves[l.Name] = l
		sum += l.Duration
	}
	for _, info := range m.Layers() {
		switch info.Kind {
		case "conv", "bn", "relu", "maxpool", "avgpool", "fc":
			l, ok := leaves[info.Name]
			if !ok {
				t.Errorf("no timing for %s %s", info.Kind, info.Name)
				continue
			}
			if l.Kind != info.Kind || !slices.Equal(l.Shape, info.Shape) {
				t.Errorf("%s: timed as %s %v, layer is %s %v", info.Name, l.Kind, l.Shape, info.Kind, info.Shape)
			}
		case "block":
			if _, ok := leaves[info.Name+".add"]; !ok {
				t.Errorf("no timing for %s's residual sum", info.Name)
			}
		}
	}
	if sum <= 0 || sum > p.Total || sum < p.Total/2 {
		t.Errorf("leaves sum to %v of a %v pass", sum, p.Total)
	}
	var stages time.Duration
	for _, s := range []string{"conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"} {
		stages += p.Stage(s)
	}
	if stages != sum {
		t.Errorf("stages sum to %v, leaves to %v", stages, sum)
	}
	if blocks := p.Stage("layer1.0") + p.Stage("layer1.1") + p.Stage("layer1.2"); p.Stage("layer1") != blocks {
		t.Errorf("layer1 took %v, its blocks %v", p.Stage("layer1"), blocks)
	}
}

// TestProfileRejectsBatch checks that Profile takes exactly one image.
func TestProfileRejectsBatch(t *testing.T) {
	m, _ := loadFixture(t, "resnet18_narrow")
	if _, err := m.Profile(context.Background(), patterns(2)); err == nil {
		t.Error("Profile of two images: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Profile(ctx, pattern(0)); err == nil {
		t.Error("Profile with a cancelled context: no error")
	}
}

// TestProfileConcurrent runs profiles beside forward passes on one model
// (run it with -race): each takes its own graph from the pool.
func TestProfileConcurrent(t *testing.T) {
	m, _ := loadFixture(t, "resnet18_narrow", WithConcurrency(2))
	want, err := m.Forward(context.Background(), pattern(0))
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			p, err := m.Profile(context.Background(), pattern(0))
			if err == nil && !slices.Equal(p.Prediction.Logits, want[0]) {
				err = fmt.Errorf("logits %v, want %v", p.Prediction.Logits, want[0])
			}
			if err == nil {
				_, err = m.Forward(context.Background(), pattern(0))
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestMedianProfile checks that one slow pass of a leaf (a pause of the
// process) does not show in the profile: each leaf and the time between
// the leaves take the median over the passes.
func TestMedianProfile(t *testing.T) {
	pass := func(conv, relu, total time.Duration) *Profile {
		return &Profile{Layers: []LayerTiming{{Name: "conv1", Duration: conv}, {Name: "relu", Duration: relu}}, Total: total}
	}
	p := medianProfile([]*Profile{
		pass(10, 3, 20),
		pass(900, 2, 950), // a pause during conv1
		pass(11, 4, 21),
	})
	if got := p.Layers[0].Duration; got != 11 {
		t.Errorf("conv1: %v, want the median 11ns", got)
	}
	if got := p.Layers[1].Duration; got != 3 {
		t.Errorf("relu: %v, want the median 3ns", got)
	}
	// Between the leaves: 7, 48 and 6ns; their median 7 plus the leaves'
	// 11+3.
	if p.Total != 21 {
		t.Errorf("total: %v, want 21ns", p.Total)
	}
}
