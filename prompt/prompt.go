// Package prompt renders the prompts from which a language model writes an
// educational chest X-ray report: the prediction of the classifier, the
// Grad-CAM notes describing where the network looked, and the sections the
// report must have. Prompts exist in Korean, reproducing the original app's
// prompt, and English; templates are embedded with go:embed and can be
// replaced.
//
// The package owns every sentence the project shows a reader, in one Lang
// type with one default: the CAM notes (DescribeNotes, NotesText), zone and
// class names, the border-attention explanation, the not-a-diagnosis
// notice, and the formatting of every number in them. Each language is one
// catalogue of phrases (lang/ko.json, lang/en.json, embedded) plus its
// templates.
package prompt

import (
	"embed"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"text/template"

	"github.com/xrayllm/xray/gradcam/notes"
	"github.com/xrayllm/xray/gradcam/occlusion"
	"github.com/xrayllm/xray/preprocess/tta"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// ReportInputs is everything a report is written from.
type ReportInputs struct {
	// Classes are the class names in the model's output order, e.g.
	// NORMAL, PNEUMONIA.
	Classes []string `json:"classes"`
	// Probs are the class probabilities, in the order of Classes.
	Probs []float64 `json:"probs"`
	// Pred is the index of the predicted class.
	Pred int `json:"pred"`
	// Notes are the CAM notes of the predicted class; nil when there are none.
	Notes *notes.Notes `json:"notes,omitempty"`
	// CAMMethod names the CAM variant, e.g. "Grad-CAM"; optional.
	CAMMethod string `json:"cam_method,omitempty"`
	// CAMLayer names the layer the CAM was taken at, e.g. "layer4"; optional.
	CAMLayer string `json:"cam_layer,omitempty"`
	// Faithfulness, when set, is the drop of the predicted class's
	// probability when only the top 20% of the CAM is kept, in the units of
	// Probs: 0.12 is a drop of 12 percentage points, negative a rise.
	Faithfulness *float64 `json:"faithfulness,omitempty"`
	// CAMLayers lists the layers whose maps the CAM fuses, when there are
	// several; optional.
	CAMLayers []string `json:"cam_layers,omitempty"`
	// Occlusion, when set, holds the occlusion checks: the explained
	// class's probability before and after hiding parts of the input.
	Occlusion *occlusion.Result `json:"occlusion,omitempty"`
	// Image, when set, holds what the image file says about itself (view,
	// body part); nothing in it identifies a patient.
	Image *ImageFacts `json:"image,omitempty"`
	// TTA, when set, is the test-time augmentation behind Probs: the
	// spread across the variants and whether they agree.
	TTA *tta.Result `json:"tta,omitempty"`
	// Decision, when set, says which decision threshold or temperature
	// decided the label (DescribeThreshold); Pred is the class decided.
	Decision *Decision `json:"decision,omitempty"`
	// Lang is the report language; empty means DefaultLang.
	Lang Lang `json:"lang,omitempty"`
	// Extras are further facts for the model, listed sorted by key.
	Extras map[string]string `json:"extras,omitempty"`
}

// Validate reports whether the inputs can be rendered: at least one class,
// one finite probability in [0, 1] per class, Pred in range, a known
// language.
func (in ReportInputs) Validate() error {
	if len(in.Classes) == 0 {
		return errors.New("prompt: no classes")
	}
	if len(in.Probs) != len(in.Classes) {
		return fmt.Errorf("prompt: %d probabilities for %d classes", len(in.Probs), len(in.Classes))
	}
	if in.Pred < 0 || in.Pred >= len(in.Classes) {
		return fmt.Errorf("prompt: predicted index %d out of range [0, %d)", in.Pred, len(in.Classes))
	}
	for i, p := range in.Probs {
		if math.IsNaN(p) || p < 0 || p > 1+1e-6 {
			return fmt.Errorf("prompt: probability of %s is %v, not in [0, 1]", in.Classes[i], p)
		}
	}
	if in.Faithfulness != nil && (math.IsNaN(*in.Faithfulness) || math.IsInf(*in.Faithfulness, 0)) {
		return errors.New("prompt: faithfulness is not finite")
	}
	if err := validOcclusion(in.Occlusion); err != nil {
		return err
	}
	if err := validTTA(in.TTA, len(in.Classes)); err != nil {
		return err
	}
	if err := validDecision(in.Decision); err != nil {
		return err
	}
	if l := in.Lang.orDefault(); !l.Valid() {
		return fmt.Errorf("prompt: unknown language %q (want %s)", string(in.Lang), choices())
	}
	return nil
}

// Language returns the inputs' language, DefaultLang when unset.
func (in ReportInputs) Language() Lang { return in.Lang.orDefault() }

// clone copies the inputs so that later changes by the caller do not show.
func (in ReportInputs) clone() ReportInputs {
	out := in
	out.Classes = slices.Clone(in.Classes)
	out.Probs = slices.Clone(in.Probs)
	out.Extras = maps.Clone(in.Extras)
	if in.Notes != nil {
		n := *in.Notes
		n.ZoneShare = maps.Clone(in.Notes.ZoneShare)
		out.Notes = &n
	}
	if in.Faithfulness != nil {
		f := *in.Faithfulness
		out.Faithfulness = &f
	}
	out.CAMLayers = slices.Clone(in.CAMLayers)
	if in.Occlusion != nil {
		o := *in.Occlusion
		o.Checks = slices.Clone(in.Occlusion.Checks)
		out.Occlusion = &o
	}
	if in.Image != nil {
		f := *in.Image
		out.Image = &f
	}
	out.TTA = in.TTA.Clone()
	if in.Decision != nil {
		d := *in.Decision
		out.Decision = &d
	}
	return out
}

// Prompt is a rendered prompt: the system instruction separate from the
// user content. A Prompt made by Build also carries the inputs it was
// rendered from (see Inputs), so that a backend without a model, such as
// the offline report writer, can use them.
type Prompt struct {
	// System is the system instruction: role and writing rules.
	System string `json:"system"`
	// User is the user content: the model results and requested sections.
	User string `json:"user"`

	in *ReportInputs
}

// Inputs returns a copy of the inputs the prompt was built from, and false
// for a Prompt not made by Build.
func (p Prompt) Inputs() (ReportInputs, bool) {
	if p.in == nil {
		return ReportInputs{}, false
	}
	return p.in.clone(), true
}

// ClassScore is one class with its probability, for templates.
type ClassScore struct {
	// Label is the class name.
	Label string
	// Prob is the probability in [0, 1].
	Prob float64
	// Confidence is Prob formatted like the original, "97.12%".
	Confidence string
}

// KeyValue is one entry of ReportInputs.Extras, for templates.
type KeyValue struct {
	// Key and Value are the entry's key and value.
	Key, Value string
}

// TemplateData is what the templates, built-in or supplied with
// WithTemplate, are executed with.
type TemplateData struct {
	// Lang is the language of the report.
	Lang Lang
	// Label and Confidence describe the predicted class ("97.12%").
	Label, Confidence string
	// Prob is the predicted class's probability.
	Prob float64
	// Others are the other classes in the model's order.
	Others []ClassScore
	// Classes are all classes in the model's order.
	Classes []ClassScore
	// CAMSource names method and layer, e.g. "Grad-CAM, layer4"; empty when
	// neither is known.
	CAMSource string
	// NoteLines are the CAM notes rendered by DescribeNotes.
	NoteLines []string
	// HasNotes is set when there are notes of a non-empty map.
	HasNotes bool
	// BorderAttention copies the notes' border-attention flag.
	BorderAttention bool
	// Faithfulness is the formatted faithfulness drop, e.g. "12.34%p";
	// empty when not measured.
	Faithfulness string
	// FusedLayers says which layers the map fuses (DescribeFusedLayers);
	// empty for a map of one layer.
	FusedLayers string
	// OcclusionLines are the occlusion checks rendered by
	// DescribeOcclusion; nil when not measured.
	OcclusionLines []string
	// ImageLines are the image facts rendered by DescribeImage;
	// ImageWarnings those of them that are warnings (ImageWarnings). Both
	// are nil without facts.
	ImageLines, ImageWarnings []string
	// TTALines are the test-time augmentation rendered by DescribeTTA;
	// TTACaution is TTACaution, set when the variants disagree. Both are
	// empty without TTA.
	TTALines   []string
	TTACaution string
	// ThresholdLines say which decision threshold decided and why it
	// matters (DescribeThreshold); nil when the highest probability
	// decided as usual.
	ThresholdLines []string
	// Extras are ReportInputs.Extras sorted by key.
	Extras []KeyValue
	// Disclaimer is the not-a-diagnosis notice in Lang.
	Disclaimer string
	// Inputs are the raw inputs.
	Inputs ReportInputs
}

// NewTemplateData computes the template data of valid inputs.
func NewTemplateData(in ReportInputs) (TemplateData, error) {
	if err := in.Validate(); err != nil {
		return TemplateData{}, err
	}
	lang := in.Language()
	d := TemplateData{
		Lang:           lang,
		Label:          in.Classes[in.Pred],
		Prob:           in.Probs[in.Pred],
		Confidence:     FormatPercent(in.Probs[in.Pred]),
		NoteLines:      DescribeNotes(in.Notes, lang),
		FusedLayers:    DescribeFusedLayers(in.CAMLayers, lang),
		OcclusionLines: DescribeOcclusion(in.Occlusion, lang),
		ImageLines:     DescribeImage(in.Image, lang),
		ImageWarnings:  ImageWarnings(in.Image, lang),
		TTALines:       DescribeTTA(in.TTA, lang),
		TTACaution:     TTACaution(in.TTA, lang),
		ThresholdLines: DescribeThreshold(in.Decision, lang),
		HasNotes:       in.Notes != nil && !in.Notes.Empty,
		Disclaimer:     Disclaimer(lang),
		Inputs:         in.clone(),
	}
	for i, c := range in.Classes {
		cs := ClassScore{Label: c, Prob: in.Probs[i], Confidence: FormatPercent(in.Probs[i])}
		d.Classes = append(d.Classes, cs)
		if i != in.Pred {
			d.Others = append(d.Others, cs)
		}
	}
	d.BorderAttention = d.HasNotes && in.Notes.BorderAttention
	var src []string
	for _, s := range []string{in.CAMMethod, in.CAMLayer} {
		if s = strings.TrimSpace(s); s != "" {
			src = append(src, s)
		}
	}
	d.CAMSource = strings.Join(src, ", ")
	if in.Faithfulness != nil {
		d.Faithfulness = FormatPoints(*in.Faithfulness, lang)
	}
	for _, k := range slices.Sorted(maps.Keys(in.Extras)) {
		d.Extras = append(d.Extras, KeyValue{Key: k, Value: in.Extras[k]})
	}
	return d, nil
}

// FormatPoints formats a difference of probabilities in percentage points:
// 0.1234 gives "12.34%p" in Korean and "12.34 percentage points" in English.
func FormatPoints(d float64, lang Lang) string {
	return fmt.Sprintf(words(lang).Points, d*100)
}

// Option changes how Build renders.
type Option func(*options)

type options struct {
	system, user string
}

// WithTemplate replaces the built-in templates with user-supplied
// text/template sources, executed with TemplateData. An empty string keeps
// the built-in template of that part in the inputs' language. Parse and
// execution errors, including a reference to a field TemplateData lacks,
// are returned by Build.
func WithTemplate(system, user string) Option {
	return func(o *options) {
		o.system, o.user = system, user
	}
}

// Build renders the prompt for in. It validates the inputs and returns an
// error, never a partial prompt, when they or a supplied template are bad.
func Build(in ReportInputs, opts ...Option) (Prompt, error) {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	data, err := NewTemplateData(in)
	if err != nil {
		return Prompt{}, err
	}
	lang := data.Lang
	sys, err := render("system", o.system, string(lang)+"_system.tmpl", data)
	if err != nil {
		return Prompt{}, err
	}
	user, err := render("user", o.user, string(lang)+"_user.tmpl", data)
	if err != nil {
		return Prompt{}, err
	}
	c := in.clone()
	return Prompt{System: sys, User: user, in: &c}, nil
}

// render executes the custom source when given, else the embedded file.
func render(part, src, file string, data TemplateData) (string, error) {
	what := "built-in " + part + " template " + file
	if src == "" {
		b, err := templateFS.ReadFile("templates/" + file)
		if err != nil {
			return "", fmt.Errorf("prompt: %s: %w", what, err)
		}
		src = string(b)
	} else {
		what = part + " template"
	}
	t, err := template.New(part).Option("missingkey=error").Parse(src)
	if err != nil {
		return "", fmt.Errorf("prompt: parse %s: %w", what, err)
	}
	var sb strings.Builder
	if err := t.Execute(&sb, data); err != nil {
		return "", fmt.Errorf("prompt: execute %s: %w", what, err)
	}
	return strings.TrimSpace(sb.String()) + "\n", nil
}
