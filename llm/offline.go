package llm

import (
	"context"
	"embed"
	"fmt"
	"slices"
	"strings"
	"text/template"

	"github.com/xrayllm/xray/prompt"
)

//go:embed templates/*.tmpl
var offlineFS embed.FS

// LowConfidence is the highest class probability below which the offline
// report calls a prediction uncertain. It is the network's own highest
// probability, not the decided class's: a threshold may decide a class
// of low probability while the network itself was sure.
const LowConfidence = 0.7

// Offline is a Client that writes a deterministic, template-based report
// in the inputs' language from the prediction and the CAM notes alone, with
// the same four sections the models are asked for. It needs no network and
// never fails on valid inputs. It reads the inputs that prompt.Build stores
// in the Prompt (see prompt.Prompt.Inputs), so hand-made prompts give
// ErrNoInputs. The zero value is ready to use.
type Offline struct{}

// Name implements Client.
func (Offline) Name() string { return "offline" }

// Generate implements Client.
func (o Offline) Generate(ctx context.Context, p prompt.Prompt) (*Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("llm: offline: %w", err)
	}
	in, ok := p.Inputs()
	if !ok {
		return nil, fmt.Errorf("llm: offline: %w (build it with prompt.Build)", ErrNoInputs)
	}
	text, err := o.Compose(in)
	if err != nil {
		return nil, err
	}
	return &Response{Text: text, Model: "offline-template", FinishReason: "stop"}, nil
}

// Stream implements Client: fn receives the whole report as one chunk.
func (o Offline) Stream(ctx context.Context, p prompt.Prompt, fn func(chunk string) error) (*Response, error) {
	r, err := o.Generate(ctx, p)
	if err != nil {
		return nil, err
	}
	if fn != nil {
		if err := fn(r.Text); err != nil {
			return nil, fmt.Errorf("llm: offline: stream callback: %w", err)
		}
	}
	return r, nil
}

// offlineData is what the offline templates are executed with.
type offlineData struct {
	prompt.TemplateData
	Kind      string // "pneumonia", "normal" or "other"
	Low       bool
	LowBelow  string
	EmptyMap  bool
	ClassList string
}

// Compose writes the offline report for in, in Markdown, ending with the
// not-a-diagnosis notice.
func (Offline) Compose(in prompt.ReportInputs) (string, error) {
	td, err := prompt.NewTemplateData(in)
	if err != nil {
		return "", fmt.Errorf("llm: offline: %w", err)
	}
	d := offlineData{
		TemplateData: td,
		Kind:         labelKind(td.Label),
		Low:          slices.Max(append([]float64{0}, in.Probs...)) < LowConfidence,
		LowBelow:     prompt.FormatPercent(LowConfidence),
		EmptyMap:     in.Notes != nil && in.Notes.Empty,
		ClassList:    strings.Join(in.Classes, ", "),
	}
	d.Label = prompt.ClassName(td.Label, td.Lang)
	for i := range d.Others {
		d.Others[i].Label = prompt.ClassName(d.Others[i].Label, td.Lang)
	}
	file := "templates/offline_" + string(td.Lang) + ".md.tmpl"
	src, err := offlineFS.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("llm: offline: %s: %w", file, err)
	}
	t, err := template.New(file).Option("missingkey=error").Parse(string(src))
	if err != nil {
		return "", fmt.Errorf("llm: offline: parse %s: %w", file, err)
	}
	var sb strings.Builder
	if err := t.Execute(&sb, d); err != nil {
		return "", fmt.Errorf("llm: offline: execute %s: %w", file, err)
	}
	return strings.TrimSpace(sb.String()) + "\n", nil
}

// labelKind maps a class name to the advice the report gives.
func labelKind(label string) string {
	switch strings.ToUpper(strings.TrimSpace(label)) {
	case "PNEUMONIA":
		return "pneumonia"
	case "NORMAL":
		return "normal"
	}
	return "other"
}
