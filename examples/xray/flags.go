package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/xrayllm/xray"
	"github.com/xrayllm/xray/gradcam"
	"github.com/xrayllm/xray/llm"
	"github.com/xrayllm/xray/prompt"
	"github.com/xrayllm/xray/resnet"
)

// newFlagSet returns command c's flag set, named name, that reports
// errors instead of exiting. Its usage says what the command does and
// lists every flag with its default.
func newFlagSet(name string, c command, e env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, strings.TrimSpace("usage: xray "+name+" [flags] "+c.args))
		fmt.Fprintf(e.stderr, "%s. Educational use only, not a diagnostic device.\n\nflags:\n", c.summary)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, mapping a bad flag to errUsage. When nargs
// refuses the number of arguments left, it prints the usage and returns
// errUsage.
func parseFlags(fs *flag.FlagSet, args []string, nargs func(n int) bool) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if !nargs(fs.NArg()) {
		fs.Usage()
		return errUsage
	}
	return nil
}

// someArgs, oneArg and noArgs are parseFlags' nargs for the commands that
// take one or more arguments, exactly one and none.
func someArgs(n int) bool { return n > 0 }
func oneArg(n int) bool   { return n == 1 }
func noArgs(n int) bool   { return n == 0 }

// modelFlags are the flags every command that loads a model takes.
type modelFlags struct {
	weights string
	sha256  string
	arch    string
	conv    string // its default when set before register
	env     env    // for $XRAY_CACHE and the download's progress bar
}

// register declares -weights, -weights-sha256 and -arch on fs.
func (m *modelFlags) register(fs *flag.FlagSet, e env) {
	m.env = e
	fs.StringVar(&m.weights, "weights", e.getenv("XRAY_WEIGHTS"), "PyTorch checkpoint (state_dict) or .safetensors file of a ResNet18/34 with a 2-way head, or an http(s) URL of one, downloaded once into $XRAY_CACHE (default $XRAY_WEIGHTS, else "+originalCheckpoint+")")
	fs.StringVar(&m.sha256, "weights-sha256", "", "sha256 hex digest the -weights URL's file must have (default: the hash prefix in its name, as torch.hub checks)")
	fs.StringVar(&m.arch, "arch", "", "architecture: resnet18 or resnet34 (default: from the checkpoint's keys)")
	conv := cmp.Or(m.conv, "winograd")
	if e.getenv("XRAY_CONV") == "direct" {
		conv = "direct"
	}
	fs.StringVar(&m.conv, "conv", conv, "how the 3x3 convolutions are computed: winograd (faster; its weights take about 210 MB more memory) or direct; XRAY_CONV=direct in the environment makes direct the default")
}

// options checks the flags, without downloading, and turns them into
// resnet options.
func (m *modelFlags) options() ([]resnet.Option, error) {
	if _, err := m.source(); err != nil {
		return nil, err
	}
	if m.conv != "winograd" && m.conv != "direct" {
		return nil, fmt.Errorf("-conv %q: want winograd or direct", m.conv)
	}
	opts := []resnet.Option{resnet.WithWinograd(m.conv == "winograd")}
	switch m.arch {
	case "":
		return opts, nil
	case "resnet18":
		return append(opts, resnet.WithArch(resnet.ResNet18())), nil
	case "resnet34":
		return append(opts, resnet.WithArch(resnet.ResNet34())), nil
	}
	return nil, fmt.Errorf("-arch %q: want resnet18 or resnet34", m.arch)
}

// open loads the model the flags name, without a report writer.
func (m *modelFlags) open() (*xray.Analyzer, error) {
	mopts, err := m.options()
	if err != nil {
		return nil, err
	}
	path, err := m.checkpointUntilSignal()
	if err != nil {
		return nil, err
	}
	return xray.Open(path, nil, mopts...)
}

// camFlags choose the CAM.
type camFlags struct {
	method, layer, target string
	probability           bool
	faithfulness          bool
	augSmooth             bool
	eigenSmooth           bool
	occlusion             bool
}

// register declares the -cam-* flags and -faithfulness on fs.
func (c *camFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.method, "cam-method", "gradcam", "CAM method: gradcam, hirescam, gradcamplusplus, xgradcam, layercam, eigencam, scorecam")
	fs.StringVar(&c.layer, "cam-layer", gradcam.DefaultLayer, "layer to explain, e.g. layer4, layer3, layer4.1; several separated by commas (layer2,layer3,layer4) fuse their maps")
	fs.StringVar(&c.target, "cam-target", "", "class to explain (default: the predicted one)")
	fs.BoolVar(&c.probability, "cam-prob", false, "differentiate the softmax probability instead of the logit")
	fs.BoolVar(&c.faithfulness, "faithfulness", false, "also measure the confidence drop when only the top 20% of the map is kept")
	fs.BoolVar(&c.augSmooth, "cam-aug-smooth", false, "average the CAM over six copies of the input (mirrored, ×0.9, ×1, ×1.1), as pytorch-grad-cam's aug_smooth")
	fs.BoolVar(&c.eigenSmooth, "cam-eigen-smooth", false, "take the first principal component of the weighted activations, as pytorch-grad-cam's eigen_smooth")
	fs.BoolVar(&c.occlusion, "occlusion", false, "also re-run the network with the border, the map's top 20% and everything outside the lungs hidden, and report the probability before and after")
}

// options turns the flags into gradcam options.
func (c *camFlags) options() (*gradcam.Options, error) {
	m, err := gradcam.MethodByName(c.method)
	if err != nil {
		return nil, err
	}
	o := &gradcam.Options{Method: m, Layer: c.layer, Target: c.target, Probability: c.probability, Faithfulness: c.faithfulness,
		AugSmooth: c.augSmooth, EigenSmooth: c.eigenSmooth, Occlusion: c.occlusion}
	switch layers := splitLayers(c.layer, ","); {
	case len(layers) > 1:
		o.Layer, o.Layers = "", layers
	case len(layers) == 1:
		o.Layer = layers[0]
	}
	return o, nil
}

// splitLayers splits a list of layer names on sep, trimming spaces and
// dropping empty names.
func splitLayers(s, sep string) []string {
	var out []string
	for _, l := range strings.Split(s, sep) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// reportFlags choose who writes the report and in which language, and
// where the report writer's settings and secrets may also come from.
type reportFlags struct {
	backend string
	lang    string
	envFile string
}

// register declares -llm, -lang and -env-file on fs. langUsage is -lang's
// help text, which says what the language is for in the command.
func (r *reportFlags) register(fs *flag.FlagSet, langUsage string) {
	fs.StringVar(&r.backend, "llm", "", "report writer: gemini, openai or offline (default: gemini when GEMINI_API_KEY is set, else offline)")
	fs.StringVar(&r.lang, "lang", "ko", langUsage)
	fs.StringVar(&r.envFile, "env-file", ".env", "read variables from this file first; variables already set win")
}

// client reads -env-file into the environment and picks the report writer
// from it.
func (r *reportFlags) client(e env) (llm.Client, error) {
	if err := e.loadDotenv(r.envFile); err != nil {
		return nil, err
	}
	return llm.FromEnv(e.getenv, r.backend)
}

// pipelineFlags are the flags of the commands that run the whole pipeline,
// model → CAM → report: analyze and serve.
type pipelineFlags struct {
	model    modelFlags
	cam      camFlags
	report   reportFlags
	tta      bool
	decision decisionFlags
}

// register declares the model, CAM and report flags on fs; langUsage is
// -lang's help text.
func (p *pipelineFlags) register(fs *flag.FlagSet, e env, langUsage string) {
	p.model.register(fs, e)
	p.cam.register(fs)
	p.report.register(fs, langUsage)
	registerTTA(fs, &p.tta)
	p.decision.register(fs)
}

// pipelineOptions are the checked values of pipelineFlags that apply to
// each analysis.
type pipelineOptions struct {
	cam  *gradcam.Options
	lang prompt.Lang
	tta  bool
	cal  *xray.Calibration // nil: argmax decides
}

// open checks every flag, then reads -env-file, picks the report writer
// and loads the model: nothing is read or set before the flags are known
// to be good.
func (p *pipelineFlags) open(e env) (*xray.Analyzer, pipelineOptions, error) {
	var o pipelineOptions
	lang, err := prompt.ParseLang(p.report.lang)
	if err != nil {
		return nil, o, err
	}
	camOpts, err := p.cam.options()
	if err != nil {
		return nil, o, err
	}
	mopts, err := p.model.options()
	if err != nil {
		return nil, o, err
	}
	cal, err := p.decision.resolve()
	if err != nil {
		return nil, o, err
	}
	client, err := p.report.client(e)
	if err != nil {
		return nil, o, err
	}
	path, err := p.model.checkpointUntilSignal()
	if err != nil {
		return nil, o, err
	}
	a, err := xray.Open(path, &xray.Options{LLM: client}, mopts...)
	if err != nil {
		return nil, o, err
	}
	return a, pipelineOptions{cam: camOpts, lang: lang, tta: p.tta, cal: cal}, nil
}
