// Package xray classifies chest X-rays as NORMAL or PNEUMONIA with a
// torchvision ResNet, shows where the network looked with Grad-CAM, and
// writes an educational report. It is a teaching tool, not a diagnostic
// device: nothing it produces is a diagnosis.
//
// An Analyzer runs the pipeline in one direction: the image becomes the
// network input (package preprocess), the network gives a prediction
// (resnet), Grad-CAM explains it in the same graph (gradcam), the numbers
// become sentences (prompt) and an LLM writes the report (llm). A Request
// says which of these steps to run; a Result holds what each produced.
//
// # How sure is the answer?
//
// Two requests teach that a prediction is less fixed than its percentage
// suggests.
//
// Test-time augmentation (Request.TTA, package preprocess/tta) asks the
// network again about seven slightly changed copies of the image (a little
// zoom, a few pixels of shift, a little brightness; never a mirror image,
// because the heart is on the patient's left) and averages the answers. When
// the copies disagree, the answer hangs on details no radiologist would
// call meaningful, and every output says to treat it with caution.
//
// A calibration (Options.Calibration, Request.Calibration) chooses the
// operating point. The network's own answer is the class of the highest
// probability; a decision threshold instead calls PNEUMONIA from a chosen
// probability, trading found pneumonia (sensitivity) against healthy lungs
// called ill (specificity). A temperature, fitted on a validation folder
// by `xray eval -calibrate`, makes the probabilities honest about how often
// they are right. Without either, the answer is the argmax, bit for bit.
package xray
