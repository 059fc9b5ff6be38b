#!/usr/bin/python3
"""Golden values for gradcam's pure functions (methods, resizing, masks).

pytorch-grad-cam 1.5 is not installed; this script re-implements its
formulas with NumPy on small random activations and gradients, in float32
as pytorch-grad-cam computes them (its arrays are float32). Resizing uses
OpenCV's cv2.resize (INTER_LINEAR) and ScoreCAM's masks PyTorch's
UpsamplingBilinear2d, the functions pytorch-grad-cam calls.

Run by hand from the repository root with Debian's packages
(python3-numpy python3-opencv python3-torch):

    /usr/bin/python3 gradcam/testdata/make_fixtures.py > gradcam/testdata/methods_golden.json
"""
import json
import sys

import cv2
import numpy as np
import torch


def gradcam(a, g):
    w = np.mean(g, axis=(1, 2))
    return (w[:, None, None] * a).sum(axis=0), w


def hirescam(a, g):
    return (g * a).sum(axis=0), None


def gradcamplusplus(a, g):
    g2 = g ** 2
    g3 = g2 * g
    s = np.sum(a, axis=(1, 2))
    aij = g2 / (2 * g2 + s[:, None, None] * g3 + 0.000001)
    aij = np.where(g != 0, aij, 0)
    w = np.sum(np.maximum(g, 0) * aij, axis=(1, 2))
    return (w[:, None, None] * a).sum(axis=0), w


def xgradcam(a, g):
    s = np.sum(a, axis=(1, 2))
    w = (g * a / (s[:, None, None] + 1e-7)).sum(axis=(1, 2))
    return (w[:, None, None] * a).sum(axis=0), w


def layercam(a, g):
    return (np.maximum(g, 0) * a).sum(axis=0), None


def eigencam(a, g):
    a = a.copy()
    a[np.isnan(a)] = 0
    r = a.reshape(a.shape[0], -1).transpose()
    r = r - r.mean(axis=0)
    _, _, vt = np.linalg.svd(r, full_matrices=True)
    return (r @ vt[0, :]).reshape(a.shape[1:]), None


METHODS = [gradcam, hirescam, gradcamplusplus, xgradcam, layercam, eigencam]


def f32(x):
    # The shortest decimal that reads back as the same float32.
    return [float(repr(v)) for v in np.asarray(x, dtype=np.float32).ravel()]


def layer_case(rng, c, h, w, relu_acts):
    a = rng.standard_normal((c, h, w)).astype(np.float32)
    if relu_acts:  # like a ResNet block output: non-negative, some zeros
        a = np.maximum(a, 0) * np.float32(2)
    g = (rng.standard_normal((c, h, w)) * 0.01).astype(np.float32)
    g[rng.random((c, h, w)) < 0.2] = 0
    case = {"c": c, "h": h, "w": w, "acts": f32(a), "grads": f32(g), "maps": {}, "weights": {}}
    for m in METHODS:
        cam, wts = m(a, g)
        case["maps"][m.__name__] = f32(cam)
        if wts is not None:
            case["weights"][m.__name__] = f32(wts)
    scores = (rng.standard_normal(c) * 3).astype(np.float32)
    wts = torch.nn.Softmax(dim=-1)(torch.from_numpy(scores)).numpy()
    case["scores"] = f32(scores)
    case["weights"]["scorecam"] = f32(wts)
    case["maps"]["scorecam"] = f32((wts[:, None, None] * a).sum(axis=0))
    return case


def masks_case(rng, c, h, w, oh, ow):
    a = rng.standard_normal((c, h, w)).astype(np.float32)
    t = torch.nn.UpsamplingBilinear2d(size=(oh, ow))(torch.from_numpy(a)[None])
    mx = t.view(1, c, -1).max(dim=-1)[0][:, :, None, None]
    mn = t.view(1, c, -1).min(dim=-1)[0][:, :, None, None]
    m = (t - mn) / (mx - mn + 1e-8)
    return {"c": c, "h": h, "w": w, "out_h": oh, "out_w": ow, "acts": f32(a), "masks": f32(m.numpy())}


def resize_case(rng, h, w, oh, ow):
    x = rng.random((h, w)).astype(np.float32)
    y = cv2.resize(x, (ow, oh))  # INTER_LINEAR is the default
    return {"h": h, "w": w, "out_h": oh, "out_w": ow, "src": f32(x), "dst": f32(y)}


def main():
    rng = np.random.default_rng(20240531)
    doc = {
        "layers": [layer_case(rng, 6, 4, 5, True), layer_case(rng, 8, 3, 3, False),
                   layer_case(rng, 16, 7, 7, True), layer_case(rng, 5, 2, 6, True)],
        "masks": [masks_case(rng, 3, 4, 5, 9, 11), masks_case(rng, 2, 7, 7, 16, 16)],
        "resize": [resize_case(rng, 7, 7, 30, 17), resize_case(rng, 14, 14, 9, 5),
                   resize_case(rng, 3, 5, 8, 8), resize_case(rng, 4, 6, 12, 18)],
    }
    # Extra EigenCAM cases to pin down the sign convention.
    eig = []
    for i in range(24):
        c, h, w = int(rng.integers(3, 24)), int(rng.integers(2, 6)), int(rng.integers(2, 6))
        a = rng.standard_normal((c, h, w)).astype(np.float32)
        if i % 2 == 0:
            a = np.maximum(a, 0)
        cam, _ = eigencam(a, None)
        eig.append({"c": c, "h": h, "w": w, "acts": f32(a), "map": f32(cam)})
    doc["eigen"] = eig
    json.dump(doc, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
