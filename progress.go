package xray

// Stage names a step of the pipeline that Request.Progress hears about.
type Stage int

// The stages, in the order Analyze reaches them.
const (
	// StagePredicted: Result.Input and Result.Prediction are set.
	StagePredicted Stage = iota + 1
	// StageExplained: Result.CAM is set too. It follows StagePredicted
	// at once when the CAM and the prediction come from one graph run.
	StageExplained
)

// String names the stage.
func (s Stage) String() string {
	switch s {
	case StagePredicted:
		return "predicted"
	case StageExplained:
		return "explained"
	}
	return "unknown"
}

// progress tells the request's Progress hook, if any, that res reached s.
func (r Request) progress(s Stage, res *Result) {
	if r.Progress != nil {
		r.Progress(s, res)
	}
}
