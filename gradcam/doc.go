// Package gradcam explains a resnet.Model's decision with class activation
// maps (CAMs): where in the image the evidence for a class lies, as the
// network sees it at one layer.
//
// # How it works
//
// The gradient is computed by Gorgonia's symbolic differentiation in the
// model's own graph. Gorgonia's Grad differentiates only with respect to
// input nodes, so the graph is built with a zero-valued probe input added
// to the target layer's activation A (resnet.GraphOptions.Probes): the
// value is unchanged, and the gradient with respect to the probe is
// dScore/dA. The score is the target class's logit (or, with
// Options.Probability, its softmax probability). Any named layer works:
// "layer4" (torchvision's layer4[-1] output, the default), "layer3",
// "layer4.1", "layer2.3.conv2", ... For an earlier layer the gradient
// flows back through everything after it.
//
// A Method turns the activation and gradient (LayerData) into a raw map;
// Finalize post-processes it exactly as pytorch-grad-cam does (ReLU,
// min-max scaling, OpenCV bilinear resizing, scaling again); Overlay blends
// it onto the image with OpenCV's JET table or a colour-blind-safe
// alternative; package notes (gradcam/notes) describes where the map puts
// its mass in radiological terms (the image's left is the patient's right)
// and flags attention at the image border, where side markers and labels
// sit. gradcam produces numbers only; package prompt puts them in words.
//
// Methods: GradCAM, HiResCAM, GradCAMPlusPlus, XGradCAM, LayerCAM,
// EigenCAM and ScoreCAM, with pytorch-grad-cam 1.5's formulas. A new
// method is one small type implementing Method.
//
// A map shows where the network looked, never what is in the image: it is
// a teaching aid, not a finding.
//
// An Explainer is safe for concurrent use; it keeps a pool of gradient
// graphs that share the model's read-only weights.
package gradcam
