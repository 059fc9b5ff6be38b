package main

import (
	"context"
	"flag"
	"strings"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/prompt"
	"github.com/xrayllm/xray/resnet"
)

// ttaUsage is -tta's help text.
const ttaUsage = "test-time augmentation: average the prediction over 7 small changes of the network input (zoom ×0.95/×1.05, shifts of 4 px, intensity ×0.9/×1.1; never mirrored) run as one batch, and say when they disagree; a CAM stays that of the plain image"

// registerTTA declares -tta on fs.
func registerTTA(fs *flag.FlagSet, dst *bool) { fs.BoolVar(dst, "tta", false, ttaUsage) }

// ttaJSON is the "tta" object of an answer: the TTA result (mean, spread,
// each variant's prediction, whether they agree) and its words from
// package prompt.
type ttaJSON struct {
	*xray.TTAResult
	// Lines are prompt.DescribeTTA; Caution is prompt.TTACaution, set when
	// the variants disagree on the label.
	Lines   []string `json:"lines"`
	Caution string   `json:"caution,omitempty"`
}

// newTTAJSON words a TTA result in lang; nil without one.
func newTTAJSON(r *xray.TTAResult, lang prompt.Lang) *ttaJSON {
	if r == nil {
		return nil
	}
	return &ttaJSON{TTAResult: r, Lines: prompt.DescribeTTA(r, lang), Caution: prompt.TTACaution(r, lang)}
}

// ttaText is the TTA lines of a result joined for a one-line output,
// starting with "; "; "" without TTA.
func ttaText(res *xray.Result, lang prompt.Lang) string {
	lines := prompt.DescribeTTA(res.TTA, lang)
	if len(lines) == 0 {
		return ""
	}
	return "; " + strings.Join(lines, "; ")
}

// ttaBlock is the TTA lines of a result as Markdown list items ending in a
// blank line; "" without TTA.
func ttaBlock(res *xray.Result, lang prompt.Lang) string {
	var b strings.Builder
	for _, l := range prompt.DescribeTTA(res.TTA, lang) {
		b.WriteString("- " + l + "\n")
	}
	if b.Len() == 0 {
		return ""
	}
	return b.String() + "\n"
}

// predictAll classifies the files in order as Analyzer.PredictAll does,
// under test-time augmentation when withTTA is set; each gets the result
// of input i (its TTA set with withTTA) or its error.
func predictAll(ctx context.Context, a *xray.Analyzer, paths []string, withTTA bool, each func(i int, res *xray.Result, err error) error) error {
	if withTTA {
		return a.PredictAllTTA(ctx, len(paths), imageFiles(paths), nil, func(i int, p resnet.Prediction, r *xray.TTAResult, err error) error {
			return each(i, &xray.Result{Prediction: p, TTA: r}, err)
		})
	}
	return a.PredictAll(ctx, len(paths), imageFiles(paths), func(i int, p resnet.Prediction, err error) error {
		return each(i, &xray.Result{Prediction: p}, err)
	})
}

// predictionEvent is the first event of /api/analyze/stream: the
// prediction and, with the tta field, the test-time augmentation.
type predictionEvent struct {
	analysisPrediction
	TTA *ttaJSON `json:"tta,omitempty"`
}
