#!/usr/bin/python3
"""Small self-contained fixtures for the resnet and gradcam packages.

Builds two narrow networks with exactly torchvision's ResNet key layout
(ResNet34's [3, 4, 6, 3] and ResNet18's [2, 2, 2, 2] BasicBlocks, with
fewer channels so that each checkpoint stays well under 1 MB), gives them
random weights and calibrated BatchNorm statistics, saves them with
torch.save(state_dict), and records what PyTorch computes on deterministic
synthetic inputs: logits, statistics of every named activation, and, for
Grad-CAM, the gradient of the predicted class's logit at several layers.

Run by hand (not by CI) with Debian's PyTorch:
    apt-get install python3-torch python3-torchvision
    /usr/bin/python3 resnet/testdata/make_fixtures.py
"""
import json
import os

import torch
import torch.nn as nn
from torchvision.models.resnet import BasicBlock

OUT = os.path.dirname(os.path.abspath(__file__))
SIZE = 224


class NarrowResNet(nn.Module):
    """torchvision's ResNet with configurable widths; same module names."""

    def __init__(self, blocks, stem, widths, classes=2):
        super().__init__()
        self.conv1 = nn.Conv2d(3, stem, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inplanes = stem
        for i, (n, w) in enumerate(zip(blocks, widths)):
            stride = 1 if i == 0 else 2
            layers = []
            for b in range(n):
                down = None
                if b == 0 and (stride != 1 or inplanes != w):
                    down = nn.Sequential(nn.Conv2d(inplanes, w, 1, stride, bias=False), nn.BatchNorm2d(w))
                layers.append(BasicBlock(inplanes, w, stride if b == 0 else 1, down))
                inplanes = w
            setattr(self, "layer%d" % (i + 1), nn.Sequential(*layers))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inplanes, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def pattern(k):
    """Image k: integer pattern, identical in Go (see fixture_test.go)."""
    c = torch.arange(3, dtype=torch.float64).view(3, 1, 1)
    h = torch.arange(SIZE, dtype=torch.float64).view(1, SIZE, 1)
    w = torch.arange(SIZE, dtype=torch.float64).view(1, 1, SIZE)
    v = torch.remainder(h * (k + 3) + w * (2 * k + 5) + c * 11 + (h * w) // (17 + k), 64) / 63.0
    return v.float()


def build(blocks, stem, widths, seed):
    torch.manual_seed(seed)
    m = NarrowResNet(blocks, stem, widths)
    g = torch.Generator().manual_seed(seed + 1)
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.weight.data = 0.6 + 0.8 * torch.rand(mod.weight.shape, generator=g)
            mod.bias.data = 0.1 * torch.randn(mod.bias.shape, generator=g)
            mod.momentum = None
            mod.reset_running_stats()
    m.train()
    with torch.no_grad():
        m(torch.stack([pattern(k) for k in range(4, 12)]))
    m.eval()
    with torch.no_grad():
        m.fc.weight.mul_(4.0)
    return m


def stats(t):
    t = t.detach().double()
    return {"shape": list(t.shape), "mean": t.mean().item(), "std": t.std().item(),
            "min": t.min().item(), "max": t.max().item(), "head": t.flatten()[:8].tolist()}


def named_outputs(m, x):
    """Every activation the Go graph names, captured with hooks."""
    out, hooks = {}, []

    def keep(name):
        def hook(_mod, _inp, o):
            if name not in out:  # a block's relu runs twice; the first is "relu"
                out[name] = o.clone()
        return hook

    for name, mod in m.named_modules():
        if name in ("", "avgpool") or name.endswith("downsample.0") or name.endswith("downsample.1"):
            continue
        if name.count(".") == 0 and name.startswith("layer"):
            continue  # a stage's output is its last block's
        hooks.append(mod.register_forward_hook(keep(name)))
    with torch.no_grad():
        logits = m(x)
        feats = torch.flatten(m.avgpool(m.layer4(m.layer3(m.layer2(m.layer1(
            m.maxpool(m.relu(m.bn1(m.conv1(x))))))))), 1)
    for h in hooks:
        h.remove()
    out["avgpool"] = feats
    return logits, out


def gradients(m, x, layers):
    """d(logit of the predicted class)/d(activation) at each layer."""
    res = {}
    for lname in layers:
        mod = m.get_submodule(lname if "." in lname else lname)
        if "." not in lname:
            mod = mod[-1]
        store = {}
        h1 = mod.register_forward_hook(lambda _m, _i, o: store.__setitem__("a", o))
        h2 = mod.register_full_backward_hook(lambda _m, _gi, go: store.__setitem__("g", go[0]))
        xx = x.clone().requires_grad_(True)
        logits = m(xx)
        pred = logits.argmax(1)
        logits.gather(1, pred[:, None]).sum().backward()
        h1.remove()
        h2.remove()
        a, g = store["a"].detach(), store["g"].detach()
        w = g.mean((2, 3), keepdim=True)
        cam = torch.relu((w * a).sum(1))
        res[lname] = {"grad": stats(g), "act": stats(a),
                      "gradcam_raw": cam.flatten(1).tolist(), "target": pred.tolist()}
        m.zero_grad()
    return res


def make(name, blocks, stem, widths, seed):
    m = build(blocks, stem, widths, seed)
    path = os.path.join(OUT, name + ".pth")
    torch.save(m.state_dict(), path)
    x = torch.stack([pattern(0), pattern(1), pattern(2)])
    logits, acts = named_outputs(m, x)
    _, first = named_outputs(m, x[:1])
    return {
        "checkpoint": name + ".pth",
        "blocks": blocks, "stem": stem, "widths": widths,
        "images": 3,
        "logits": logits.tolist(),
        "stages": {k: stats(v) for k, v in first.items()},
        "batch_stages": {k: stats(v) for k, v in acts.items() if k in ("layer1", "layer4", "fc")},
        "grads": gradients(m, x[:1], ["layer4", "layer3", "layer2.1", "layer4.1.conv2"]),
        "size_bytes": os.path.getsize(path),
    }


def main():
    torch.set_num_threads(1)
    out = {
        "torch": torch.__version__,
        "pattern": "x[c,h,w] = ((h*(k+3) + w*(2k+5) + 11c + floor(h*w/(17+k))) mod 64) / 63",
        "models": {
            "resnet34_narrow": make("resnet34_narrow", [3, 4, 6, 3], 8, [8, 12, 16, 24], 11),
            "resnet18_narrow": make("resnet18_narrow", [2, 2, 2, 2], 4, [4, 8, 8, 16], 12),
        },
    }
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
