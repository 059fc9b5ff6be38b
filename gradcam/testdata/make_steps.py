#!/usr/bin/python3
"""Golden Grad-CAM steps on the fixture network, from PyTorch's autograd.

Loads resnet/testdata/resnet34_narrow.pth into the same torchvision-named
network make_fixtures.py builds, runs fixture image 0, and records at a
few layers, for the predicted class's logit: the gradient dScore/dA in
full, the channel weights of GradCAM, GradCAM++ and XGradCAM (with
pytorch-grad-cam 1.5's formulas, as make_fixtures.py in this directory
writes them), and Grad-CAM's signed weighted sum before the ReLU.

Run by hand from the repository root with Debian's PyTorch:

    /usr/bin/python3 gradcam/testdata/make_steps.py > gradcam/testdata/steps_golden.json
"""
import importlib.util
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
NETS = os.path.join(HERE, "..", "..", "resnet", "testdata")


def load(name, path):
    """Imports a script by path: both fixture scripts are make_fixtures.py."""
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


nets = load("nets", os.path.join(NETS, "make_fixtures.py"))
methods = load("methods", os.path.join(HERE, "make_fixtures.py"))

LAYERS = ["layer4", "layer3", "layer4.1.conv2"]


def f32(x):
    return [float(repr(v)) for v in np.asarray(x, dtype=np.float32).ravel()]


def layer_steps(m, x, lname):
    mod = m.get_submodule(lname)
    if "." not in lname:
        mod = mod[-1]
    store = {}
    h1 = mod.register_forward_hook(lambda _m, _i, o: store.__setitem__("a", o))
    h2 = mod.register_full_backward_hook(lambda _m, _gi, go: store.__setitem__("g", go[0]))
    xx = x.clone().requires_grad_(True)
    logits = m(xx)
    pred = int(logits.argmax(1)[0])
    logits[0, pred].backward()
    h1.remove()
    h2.remove()
    m.zero_grad()
    a = store["a"].detach()[0].numpy().astype(np.float32)
    g = store["g"].detach()[0].numpy().astype(np.float32)
    weighted, alpha = methods.gradcam(a, g)
    return {
        "target": pred, "shape": list(a.shape), "grads": f32(g),
        "alpha": {
            "gradcam": f32(alpha),
            "gradcamplusplus": f32(methods.gradcamplusplus(a, g)[1]),
            "xgradcam": f32(methods.xgradcam(a, g)[1]),
        },
        "weighted": f32(weighted),
    }


def main():
    m = nets.NarrowResNet([3, 4, 6, 3], 8, [8, 12, 16, 24])
    sd = torch.load(os.path.join(NETS, "resnet34_narrow.pth"))
    m.load_state_dict(sd)
    m.eval()
    x = nets.pattern(0)[None]
    doc = {"checkpoint": "resnet34_narrow.pth", "image": 0,
           "layers": {l: layer_steps(m, x, l) for l in LAYERS}}
    json.dump(doc, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
