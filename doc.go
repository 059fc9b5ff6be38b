// Package xray classifies chest X-rays as NORMAL or PNEUMONIA with a
// torchvision ResNet, shows where the network looked with Grad-CAM, and
// writes an educational report. It is a teaching tool, not a diagnostic
// device: nothing it produces is a diagnosis.
package xray
