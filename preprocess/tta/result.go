package tta

import (
	"fmt"
	"math"
	"slices"
)

// Outcome is one variant's prediction.
type Outcome struct {
	// Variant is the change made to the input.
	Variant Variant `json:"variant"`
	// Label and Index are the class the model predicts for this variant.
	Label string `json:"label"`
	Index int    `json:"index"`
	// Probs are its softmax probabilities, in the order of the classes.
	Probs []float64 `json:"probs"`
}

// Result summarises the predictions of all variants of one image.
type Result struct {
	// Classes name the probabilities, in the model's order.
	Classes []string `json:"classes"`
	// Mean is the average of the variants' probabilities; Label and Index
	// are its largest class (the first of ties).
	Mean  []float64 `json:"mean"`
	Label string    `json:"label"`
	Index int       `json:"index"`
	// Min and Max are, per class, the smallest and the largest probability
	// among the variants: the spread.
	Min []float64 `json:"min"`
	Max []float64 `json:"max"`
	// Agree is set when every variant predicts the same label.
	Agree bool `json:"agree"`
	// Variants are each variant's own prediction, in the order run.
	Variants []Outcome `json:"variants"`
}

// Summarise averages the outcomes of the variants of one image: the mean
// probabilities, the label of the mean, the spread and whether the
// variants agree. Each outcome needs one probability per class.
func Summarise(classes []string, outcomes []Outcome) (*Result, error) {
	if len(outcomes) == 0 || len(classes) == 0 {
		return nil, fmt.Errorf("tta: %d outcomes of %d classes, want at least one of each", len(outcomes), len(classes))
	}
	k := len(classes)
	r := &Result{Classes: slices.Clone(classes), Mean: make([]float64, k), Min: make([]float64, k), Max: make([]float64, k),
		Agree: Agree(outcomes), Variants: make([]Outcome, len(outcomes))}
	for c := range k {
		r.Min[c], r.Max[c] = math.Inf(1), math.Inf(-1)
	}
	for i, o := range outcomes {
		if len(o.Probs) != k || o.Index < 0 || o.Index >= k {
			return nil, fmt.Errorf("tta: variant %q has %d probabilities and class %d for %d classes", o.Variant.Name, len(o.Probs), o.Index, k)
		}
		for c, p := range o.Probs {
			r.Mean[c] += p
			r.Min[c], r.Max[c] = math.Min(r.Min[c], p), math.Max(r.Max[c], p)
		}
		o.Probs = slices.Clone(o.Probs)
		r.Variants[i] = o
	}
	for c := range k {
		r.Mean[c] /= float64(len(outcomes))
		if r.Mean[c] > r.Mean[r.Index] {
			r.Index = c
		}
	}
	r.Label = classes[r.Index]
	return r, nil
}

// Agree reports whether all outcomes predict the same class.
func Agree(outcomes []Outcome) bool {
	for _, o := range outcomes {
		if o.Index != outcomes[0].Index {
			return false
		}
	}
	return true
}

// Dissent returns how many variants predict a class other than the mean's
// label: 0 when they agree (unless exact ties make the mean's label
// another class), more when they do not.
func (r *Result) Dissent() int {
	n := 0
	for _, o := range r.Variants {
		if o.Index != r.Index {
			n++
		}
	}
	return n
}

// Clone returns a deep copy of the result.
func (r *Result) Clone() *Result {
	if r == nil {
		return nil
	}
	c := *r
	c.Classes, c.Mean, c.Min, c.Max = slices.Clone(r.Classes), slices.Clone(r.Mean), slices.Clone(r.Min), slices.Clone(r.Max)
	c.Variants = slices.Clone(r.Variants)
	for i := range c.Variants {
		c.Variants[i].Probs = slices.Clone(r.Variants[i].Probs)
	}
	return &c
}
