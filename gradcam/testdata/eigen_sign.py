#!/usr/bin/python3
"""Study of EigenCAM's sign on the reference images (run by hand).

Computes each reference image's layer4 activation with Debian's PyTorch,
NumPy's EigenCAM projection as pytorch-grad-cam 1.5 computes it (float32
SVD), checks it against expected.json's raw eigencam map, evaluates
candidate sign rules, and writes the activations (<out>/<file>.acts.f32,
512x7x7 float32 little-endian) so that Go's EigenCAM can be compared too:

    /usr/bin/python3 gradcam/testdata/eigen_sign.py ../shared/reference /tmp/eig
    XRAY_EIGEN_ACTS_DIR=/tmp/eig XRAY_REFERENCE_DIR=../shared/reference \
        go test ./gradcam -run EigenCAMReference -v
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision
from PIL import Image
from torchvision import transforms


def main():
    ref, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    m = torchvision.models.resnet34(weights=None)
    m.fc = nn.Linear(m.fc.in_features, 2)
    m.load_state_dict(torch.load(os.path.join(ref, "resnet34_cxr.pth"), map_location="cpu"))
    m.eval()
    feats = {}
    m.layer4[-1].register_forward_hook(lambda mod, i, o: feats.__setitem__("a", o.detach()))
    doc = json.load(open(os.path.join(ref, "expected.json")))
    rules = {}
    for rec in doc["images"]:
        f = rec["file"]
        x = transforms.ToTensor()(Image.open(os.path.join(ref, "resized", f + ".png")).convert("RGB"))
        with torch.no_grad():
            m(x[None])
        a = feats["a"][0].numpy().astype(np.float32)
        a.astype("<f4").tofile(os.path.join(out, f + ".acts.f32"))
        r = a.reshape(a.shape[0], -1).transpose()
        r = r - r.mean(axis=0)
        u, s, vt = np.linalg.svd(r, full_matrices=True)
        v = vt[0]
        p = r @ v
        raw = np.array(rec["cams"]["eigencam@layer4"]["raw"], dtype=np.float32).ravel()
        agree = np.abs(np.maximum(p, 0) - raw).max() / max(raw.max(), 1e-12)
        agree_neg = np.abs(np.maximum(-p, 0) - raw).max() / max(raw.max(), 1e-12)
        # Each candidate rule's sign for NumPy's (u, v): +1 means the rule
        # would keep NumPy's result.
        cand = {
            "sum(v)>0": np.sign(v.sum()),
            "maxabs(v)>0": np.sign(v[np.abs(v).argmax()]),
            "maxabs(proj)>0": np.sign(p[np.abs(p).argmax()]),
            "sum(proj*rowmean)>0": np.sign((p * a.reshape(a.shape[0], -1).mean(axis=0)).sum()),
            "skew(proj)>0": np.sign((p ** 3).sum()),
            "u[0]>0": np.sign(u[0, 0]),
            "v[0]>0": np.sign(v[0]),
        }
        for k, sg in cand.items():
            rules.setdefault(k, []).append(int(sg))
        print(f"{f}: numpy vs reference rel diff {agree:.2e} (flipped {agree_neg:.2e}); "
              + " ".join(f"{k}={int(sg):+d}" for k, sg in cand.items()))
    for k, v in rules.items():
        print(f"rule {k}: keeps NumPy's sign on {sum(1 for s in v if s > 0)} of {len(v)}")


if __name__ == "__main__":
    main()
