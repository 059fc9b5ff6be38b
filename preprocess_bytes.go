package xray

import (
	"bytes"
	"fmt"

	"github.com/xrayllm/xray/preprocess"
)

// Preprocess decodes an image held in memory and makes the network input
// from it exactly as Analyze does (the Analyzer's preprocess.Options), for
// callers that run the model or the explainer themselves, such as the
// app's teaching view.
func (a *Analyzer) Preprocess(data []byte) (*preprocess.Input, error) {
	in, err := preprocess.Load(bytes.NewReader(data), &a.pre)
	if err != nil {
		return nil, fmt.Errorf("xray: %w", err)
	}
	return in, nil
}
