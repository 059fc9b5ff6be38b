// Package inputsize holds the one definition of the network's input size,
// the original app's transforms.Resize((224, 224)). resnet.InputSize is the
// model's contract; preprocess uses the same constant as its default output
// size, without importing the model.
package inputsize

// Side is the width and height, in pixels, of the square image the network
// takes.
const Side = 224
