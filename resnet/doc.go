// Package resnet runs torchvision's ResNet18 and ResNet34 (a BasicBlock
// ResNet with any class count) as one Gorgonia expression graph whose
// nodes carry torchvision's names: conv1, bn1, relu, maxpool,
// layer1 … layer4 with their blocks (layer3.5.bn2, layer2.0.downsample, …),
// avgpool and fc. It is tensor-in, tensor-out, like torchvision's models:
// the input is preprocessed 3×InputSize×InputSize images in NCHW order
// (package preprocess makes them); the output is logits.
//
// Load or New builds a Model from a checkpoint's state dict (package
// weights), checking every key and shape. A Model is safe for concurrent
// use: each run takes a compiled graph from a pool, the graphs share the
// model's read-only weights, and at most WithConcurrency runs proceed at
// once. Model.Forward and PredictTensor classify; Model.Activations reads
// any named activation, e.g. to show a student what a stage computes.
//
// The convolutions are the package's own Gorgonia ops over an assembly
// GEMM (AVX-512, AVX2/FMA or portable Go, chosen at start; XRAY_GEMM=go,
// avx2 or avx512 forces one). They sum in oneDNN's order, so the logits
// match PyTorch's to about 1e-6. With GraphOptions.Fuse a convolution,
// its batch norm, the residual sum and the ReLU are one op, bit-identical
// to the separate ones; a unit holding a name that was asked for (an
// intermediate activation, a probe) is built unfused. Every op has a
// symbolic gradient with respect to its input, so package gradcam
// differentiates in the same graph, through probes (GraphOptions.Probes).
// The 3x3, stride-1 convolutions are computed by Winograd's F(4×4, 3×3)
// (F(2×2, 3×3) on maps too small for 4×4 tiles, such as layer4's 7x7),
// 20–36% faster than the direct product on one thread and within 5e-6 of its
// logits, in every graph whose gradient does not run back through a
// convolution (no probes, or probes at the last stage only); the others
// keep the direct product. WithWinograd(false) or XRAY_CONV=direct turns
// Winograd off; XRAY_CONV=winograd2 keeps to F(2×2, 3×3).
//
// The parallel passes of every graph of a Model run on one team of
// goroutines (GOMAXPROCS in all) that stay awake between passes, so that
// a pass of a few hundred microseconds starts on every core at once; the
// model's Close stops them.
package resnet
