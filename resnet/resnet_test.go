package resnet

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/xrayllm/xray/internal/fixtures"
	"github.com/xrayllm/xray/weights"
)

func loadFixture(t testing.TB, name string, opts ...Option) (*Model, fixtures.Model) {
	t.Helper()
	f := readFixtures(t)[name]
	m, err := Load(filepath.Join("testdata", f.Checkpoint), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m, f
}

func TestLogitsMatchPyTorch(t *testing.T) {
	for _, name := range []string{"resnet34_narrow", "resnet18_narrow"} {
		t.Run(name, func(t *testing.T) {
			m, f := loadFixture(t, name)
			if m.Arch().Blocks != f.Blocks {
				t.Fatalf("arch %v, want blocks %v", m.Arch(), f.Blocks)
			}
			logits, err := m.Forward(context.Background(), patterns(f.Images))
			if err != nil {
				t.Fatal(err)
			}
			for i, row := range f.Logits {
				for j, want := range row {
					if d := math.Abs(float64(logits[i][j]) - want); d > 1e-4 {
						t.Errorf("image %d logit %d = %v, want %v", i, j, logits[i][j], want)
					}
				}
			}
		})
	}
}

func TestBatchSplitMatchesSingle(t *testing.T) {
	m, f := loadFixture(t, "resnet18_narrow", WithMaxBatch(2))
	all, err := m.Forward(context.Background(), patterns(f.Images)) // runs 2 + 1
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k < f.Images; k++ {
		one, err := m.Forward(context.Background(), pattern(k))
		if err != nil {
			t.Fatal(err)
		}
		for j := range one[0] {
			if d := math.Abs(float64(one[0][j] - all[k][j])); d > 1e-5 {
				t.Errorf("image %d logit %d: alone %v, in batch %v", k, j, one[0][j], all[k][j])
			}
		}
	}
}

func TestStagesMatchPyTorch(t *testing.T) {
	m, f := loadFixture(t, "resnet34_narrow")
	names := m.LayerNames()
	acts, err := m.Activations(context.Background(), pattern(0), names...)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, name := range names {
		want, ok := f.Stages[name]
		if !ok {
			continue // stage names (layer1..4) are their last block's
		}
		seen++
		a := acts[name]
		tol := 1e-4 // of the activation's standard deviation
		if name == "fc" {
			// The classifier's two logits per image have no spread worth
			// scaling by: they are held to TestLogitsMatchPyTorch's bound,
			// 1e-4 absolute.
			tol = 1e-4 / math.Max(want.Std, 1e-3)
		}
		compareStats(t, name, describe(a.Shape, a.Data), want, tol)
	}
	if seen != len(f.Stages) {
		t.Errorf("compared %d activations, the fixture has %d", seen, len(f.Stages))
	}
}

func TestConcurrentForward(t *testing.T) {
	m, f := loadFixture(t, "resnet18_narrow", WithConcurrency(2))
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := g % f.Images
			got, err := m.Forward(context.Background(), pattern(k))
			if err != nil {
				t.Error(err)
				return
			}
			for j, want := range f.Logits[k] {
				if math.Abs(float64(got[0][j])-want) > 1e-4 {
					t.Errorf("goroutine %d: logit %v, want %v", g, got[0][j], want)
				}
			}
		}()
	}
	wg.Wait()
}

func TestRunsDoNotChangeWeights(t *testing.T) {
	m, _ := loadFixture(t, "resnet18_narrow")
	w, err := m.params.weights.get("layer4.1.conv2")
	if err != nil {
		t.Fatal(err)
	}
	before, err := w.values()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := m.Forward(context.Background(), pattern(i)); err != nil {
			t.Fatal(err)
		}
	}
	if after, err := w.values(); err != nil || !slices.Equal(before, after) {
		t.Fatal("a forward run changed the weights")
	}
}

func TestPredict(t *testing.T) {
	m, f := loadFixture(t, "resnet34_narrow")
	ps, err := m.PredictTensor(context.Background(), pattern(1))
	if err != nil {
		t.Fatal(err)
	}
	p := ps[0]
	want := f.Logits[1]
	wantIdx := 0
	if want[1] > want[0] {
		wantIdx = 1
	}
	if p.Index != wantIdx || p.Label != DefaultClasses()[wantIdx] {
		t.Fatalf("prediction %+v, want index %d", p, wantIdx)
	}
	if s := p.Probs[0] + p.Probs[1]; math.Abs(s-1) > 1e-12 {
		t.Fatalf("probabilities sum to %v", s)
	}
	wantP := 1 / (1 + math.Exp(want[0]-want[1]))
	if math.Abs(p.Probs[1]-wantP) > 1e-5 {
		t.Fatalf("P(PNEUMONIA) = %v, want %v", p.Probs[1], wantP)
	}
}

func TestArchFromKeys(t *testing.T) {
	for _, name := range []string{"resnet34_narrow", "resnet18_narrow"} {
		sd, err := weights.Load(filepath.Join("testdata", name+".pth"), nil)
		if err != nil {
			t.Fatal(err)
		}
		a, err := ArchFromKeys(sd.Names())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(name, a.Name) {
			t.Errorf("%s detected as %s", name, a.Name)
		}
	}
	if _, err := ArchFromKeys([]string{"layer1.0.conv1.weight"}); err == nil {
		t.Error("a checkpoint with one block was accepted")
	}
}

func TestCheckpointErrors(t *testing.T) {
	base, err := weights.Load(filepath.Join("testdata", "resnet18_narrow.pth"), nil)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(weights.StateDict)) weights.StateDict {
		sd := weights.StateDict{}
		for k, v := range base {
			sd[k] = v
		}
		f(sd)
		return sd
	}
	tests := []struct {
		name  string
		sd    weights.StateDict
		opts  []Option
		wants []string
	}{
		{"imagenet head", edit(func(sd weights.StateDict) {
			sd["fc.weight"] = weights.Tensor{Shape: []int{1000, 16}, Data: make([]float32, 16000)}
			sd["fc.bias"] = weights.Tensor{Shape: []int{1000}, Data: make([]float32, 1000)}
		}), nil, []string{"ImageNet", "[1000 16]", "[2 16]", "NORMAL, PNEUMONIA"}},
		{"missing key", edit(func(sd weights.StateDict) { delete(sd, "layer3.1.bn2.running_var") }),
			nil, []string{"missing keys (1): layer3.1.bn2.running_var"}},
		{"unexpected key", edit(func(sd weights.StateDict) {
			sd["head.extra"] = weights.Tensor{Shape: []int{1}, Data: []float32{1}}
		}), nil, []string{"unexpected keys (1): head.extra"}},
		{"shape mismatch", edit(func(sd weights.StateDict) {
			sd["layer2.0.conv2.weight"] = weights.Tensor{Shape: []int{8, 8, 1, 1}, Data: make([]float32, 64)}
		}), nil, []string{"layer2.0.conv2.weight: checkpoint [8 8 1 1], model [8 8 3 3]"}},
		{"data length", edit(func(sd weights.StateDict) {
			sd["fc.bias"] = weights.Tensor{Shape: []int{2}, Data: []float32{1}}
		}), nil, []string{"fc.bias: 1 values for shape [2]"}},
		{"class count", base, []Option{WithClasses("A", "B", "C")}, []string{"2 rows but 3 class names"}},
		{"empty arch", base, []Option{WithArch(Arch{})}, []string{"stage without blocks"}},
		{"wrong arch", base, []Option{WithArch(ResNet34())}, []string{"missing keys", "layer4.2.conv1.weight"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.sd, tt.opts...)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	m, _ := loadFixture(t, "resnet18_narrow")
	ctx := context.Background()
	if _, err := m.Forward(ctx, make([]float32, 100)); err == nil {
		t.Error("a short input was accepted")
	}
	if _, err := m.Forward(ctx, nil); err == nil {
		t.Error("an empty input was accepted")
	}
	if _, err := m.Activations(ctx, pattern(0), "layer9"); err == nil || !strings.Contains(err.Error(), "layer4.1") {
		t.Errorf("unknown layer: err = %v, want a list of valid names", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.Forward(cancelled, pattern(0)); err == nil {
		t.Error("a cancelled context was ignored")
	}
}
