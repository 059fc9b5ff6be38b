package prompt

// Teach are the words of the page's "Inside the network" view, which
// walks a class through the network: its blocks, one layer's channels,
// Grad-CAM step by step and every CAM method side by side. The page gets
// all of them at once (TeachPhrases) for its labels; the server picks the
// sentences that depend on what was computed (a layer's depth, a method
// without gradients). In the catalogues they are the keys starting with
// "teach_". No phrase is a format string: the page places numbers next
// to them.
type Teach struct {
	// Tab and AnalysisTab name the page's two views; Intro says in one
	// sentence what the teaching view shows; NeedImage asks for an image
	// first; Working and Failed are its status lines.
	Tab         string `json:"teach_tab"`
	AnalysisTab string `json:"teach_analysisTab"`
	Intro       string `json:"teach_intro"`
	NeedImage   string `json:"teach_needImage"`
	Working     string `json:"teach_working"`
	Failed      string `json:"teach_failed"`
	// TargetLabel labels the class the view explains; MethodLabel and
	// LayerLabel the CAM method and layer of the steps and the comparison.
	TargetLabel string `json:"teach_targetLabel"`
	MethodLabel string `json:"teach_methodLabel"`
	LayerLabel  string `json:"teach_layerLabel"`

	// NetworkHeading, NetworkButton and NetworkCaption present the drawing
	// of the network; Stem, Pool and FC name its parts; Share labels a
	// block's share of the run time, TotalTime the whole pass's time and
	// OpenLayer the hint that a block opens in the layer view.
	NetworkHeading string `json:"teach_networkHeading"`
	NetworkButton  string `json:"teach_networkButton"`
	NetworkCaption string `json:"teach_networkCaption"`
	Stem           string `json:"teach_stem"`
	Pool           string `json:"teach_pool"`
	FC             string `json:"teach_fc"`
	Share          string `json:"teach_share"`
	TotalTime      string `json:"teach_totalTime"`
	OpenLayer      string `json:"teach_openLayer"`

	// LayerHeading, LayerButton, RankLabel (with RankMean and RankAlpha),
	// TopLabel and Channel label the layer view; LayerEarly, LayerMiddle
	// and LayerLate say what layers at that depth tend to respond to.
	LayerHeading string `json:"teach_layerHeading"`
	LayerButton  string `json:"teach_layerButton"`
	RankLabel    string `json:"teach_rankLabel"`
	RankMean     string `json:"teach_rankMean"`
	RankAlpha    string `json:"teach_rankAlpha"`
	TopLabel     string `json:"teach_topLabel"`
	Channel      string `json:"teach_channel"`
	Range        string `json:"teach_range"`
	Mean         string `json:"teach_mean"`
	LayerEarly   string `json:"teach_layerEarly"`
	LayerMiddle  string `json:"teach_layerMiddle"`
	LayerLate    string `json:"teach_layerLate"`

	// StepsHeading and StepsButton present Grad-CAM step by step; the
	// Step* pairs are each panel's title and sentence. StepNoGradients and
	// StepNoAlpha replace the gradients' and the weights' sentences for
	// methods without them, StepOwnMap the weighted sum's for methods
	// whose map is not a channel sum; Positive and Negative label the
	// largest weights of each sign.
	StepsHeading        string `json:"teach_stepsHeading"`
	StepsButton         string `json:"teach_stepsButton"`
	StepActivations     string `json:"teach_stepActivations"`
	StepActivationsText string `json:"teach_stepActivationsText"`
	StepGradients       string `json:"teach_stepGradients"`
	StepGradientsText   string `json:"teach_stepGradientsText"`
	StepNoGradients     string `json:"teach_stepNoGradients"`
	StepAlpha           string `json:"teach_stepAlpha"`
	StepAlphaText       string `json:"teach_stepAlphaText"`
	StepNoAlpha         string `json:"teach_stepNoAlpha"`
	StepWeighted        string `json:"teach_stepWeighted"`
	StepWeightedText    string `json:"teach_stepWeightedText"`
	StepOwnMap          string `json:"teach_stepOwnMap"`
	StepRectified       string `json:"teach_stepRectified"`
	StepRectifiedText   string `json:"teach_stepRectifiedText"`
	StepUpsampled       string `json:"teach_stepUpsampled"`
	StepUpsampledText   string `json:"teach_stepUpsampledText"`
	StepOverlay         string `json:"teach_stepOverlay"`
	StepOverlayText     string `json:"teach_stepOverlayText"`
	Positive            string `json:"teach_positive"`
	Negative            string `json:"teach_negative"`

	// CompareHeading, CompareButton and CompareCaption present every CAM
	// method side by side; Time and Faithfulness label each map's numbers;
	// AugSmooth and Fused name the two variants; SlowMethod says why
	// ScoreCAM's map comes last; Shared labels how many maps one run of
	// the network made (their time is that run's).
	CompareHeading string `json:"teach_compareHeading"`
	CompareButton  string `json:"teach_compareButton"`
	CompareCaption string `json:"teach_compareCaption"`
	Time           string `json:"teach_time"`
	Faithfulness   string `json:"teach_faithfulness"`
	AugSmooth      string `json:"teach_augSmooth"`
	Fused          string `json:"teach_fused"`
	SlowMethod     string `json:"teach_slowMethod"`
	Shared         string `json:"teach_shared"`
}

// TeachPhrases returns the teaching view's words in l (in DefaultLang for
// an empty or unknown language).
func TeachPhrases(l Lang) Teach { return words(l).Teach }
