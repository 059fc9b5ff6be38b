package llm_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/xrayllm/xray/gradcam/notes"
	"github.com/xrayllm/xray/llm"
	"github.com/xrayllm/xray/prompt"
)

// The offline backend writes a complete report without a model or a
// network. WriteReport with a nil client (or llm.Offline{}) uses it.
func ExampleOffline() {
	in := prompt.ReportInputs{
		Classes: []string{"NORMAL", "PNEUMONIA"},
		Probs:   []float64{0.0712, 0.9288},
		Pred:    1,
		Notes: &notes.Notes{
			PeakZone: notes.RightLower, CentroidZone: notes.RightLower,
			Peak: notes.Point{X: 60, Y: 170}, Width: 224, Height: 224,
			ZoneShare: map[notes.Zone]float64{notes.RightLower: 0.7, notes.RightMiddle: 0.3},
			Spread:    0.15, BorderBand: 0.1, BorderShare: 0.02,
		},
		Lang: prompt.English,
	}
	rep, err := llm.WriteReport(context.Background(), llm.Offline{}, in)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.Backend, rep.FellBack)
	for _, line := range strings.Split(rep.Markdown, "\n") {
		if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "- Prediction") || strings.HasPrefix(line, "- Strongest") {
			fmt.Println(line)
		}
	}
	// Output:
	// offline false
	// # Chest X-ray educational report
	// ## 1) Summary (educational, not a diagnosis)
	// - Prediction: **PNEUMONIA** (confidence 92.88%)
	// ## 2) Image features the model attended to (Grad-CAM caveats)
	// - Strongest activation (peak): right lower zone (x=60, y=170 on a 224x224 map)
	// ## 3) Recommended follow-up: further checks, additional views, clinical symptoms
	// ## 4) Image quality, labelling and other cautions
}
