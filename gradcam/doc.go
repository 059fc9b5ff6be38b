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
// # Grad-CAM step by step
//
// Options.Steps returns every intermediate quantity (Result.Steps), as
// the explanation computed it. For Grad-CAM at layer4:
//
//  1. A, the layer's activation: 512 channels of 7×7 values, each
//     channel one pattern the network learned to detect, high where it
//     found it.
//  2. dScore/dA, the gradient: for every one of those values, how much
//     the class's score would rise if it rose a little. Backpropagation
//     computes it in the same graph, in one backward pass.
//  3. α_c = (1/49)·Σ_ij dScore/dA_cij: the average gradient of channel
//     c, how much the class wants more of that channel anywhere.
//  4. M = Σ_c α_c·A_c, the weighted sum: a 7×7 map, positive where the
//     channels that speak for the class are active, negative where those
//     against it are.
//  5. ReLU(M) = max(M, 0): only the evidence for the class is kept.
//  6. Scaled to 0..1, resized bilinearly to 224×224 and scaled again:
//     the map drawn over the image.
//
// The other gradient methods change step 3 (Grad-CAM++, XGradCAM) or
// weigh every place instead of every channel (HiResCAM, LayerCAM); Steps
// documents each field's formula.
//
// # Smoothing, several layers, occlusion
//
// Options.AugSmooth (pytorch-grad-cam's aug_smooth) asks whether the map
// is stable: the CAM is computed on six copies of the image, as is and
// mirrored, each at 0.9, 1 and 1.1 times its brightness, mirrored back and
// averaged. A spot that only one view produces fades; evidence the network
// finds in every view stays. The six copies run as one batch of the
// gradient graph.
//
// Options.EigenSmooth (eigen_smooth) keeps only the strongest common
// pattern: instead of adding up the weighted activation channels, it takes
// their first principal component, as EigenCAM does with the raw
// activations, which drops the small, noisy contributions.
//
// Options.Layers looks at several depths at once (the hypercolumn idea):
// early layers such as layer2 see edges and fine texture at 28x28, layer4
// sees whole structures at 7x7. Each layer's map is scaled to 0-1 at the
// input size and the maps are averaged, all from one backward pass.
//
// Options.Occlusion asks the counterfactual question a map cannot answer:
// does the answer move when part of the image is hidden? The network runs
// again with the border band set to black (where side markers and labels
// sit), with the map's top 20% set to black, and with everything outside
// the central lung box set to black (package occlusion). A large drop
// means the decision rested on what was hidden.
//
// A map shows where the network looked, never what is in the image: it is
// a teaching aid, not a finding.
//
// An Explainer is safe for concurrent use; it keeps a pool of gradient
// graphs that share the model's read-only weights.
package gradcam
