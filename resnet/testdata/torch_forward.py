#!/usr/bin/python3
"""PyTorch's forward pass, timed the way resnet's BenchmarkForward times ours.

usage: torch_forward.py CHECKPOINT [--batch=B] [--threads=T] [--iters=N] [--warmup=W]

Builds torchvision's resnet34 with a 2-way head, loads the checkpoint, and
times model(x) under torch.no_grad() on a fixed random 224x224 batch of B
images (the values do not change the work). Prints one JSON line: the median,
minimum and maximum milliseconds per call and per image over N timed calls
after W warm-up calls, the thread count and the CPU ISA oneDNN was allowed
(ONEDNN_MAX_CPU_ISA, when set). Run it right after the Go benchmarks, on the
same machine, for BENCHMARKS.md.
"""
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
from torchvision.models import resnet34


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    opts = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
    if len(args) != 1:
        sys.exit(__doc__)
    batch = int(opts.get("batch", 1))
    iters = int(opts.get("iters", 30))
    warmup = int(opts.get("warmup", 5))
    torch.set_num_threads(int(opts.get("threads", 2)))

    model = resnet34(weights=None)
    model.fc = nn.Linear(model.fc.in_features, 2)
    model.load_state_dict(torch.load(args[0], map_location="cpu"))
    model.eval()

    x = torch.rand(batch, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    times = []
    with torch.no_grad():
        for i in range(warmup + iters):
            t = time.perf_counter()
            model(x)
            if i >= warmup:
                times.append((time.perf_counter() - t) * 1e3)
    med = statistics.median(times)
    print(json.dumps({
        "batch": batch,
        "threads": torch.get_num_threads(),
        "isa": os.environ.get("ONEDNN_MAX_CPU_ISA", "default"),
        "iters": iters,
        "ms_median": round(med, 2),
        "ms_min": round(min(times), 2),
        "ms_max": round(max(times), 2),
        "ms_per_image": round(med / batch, 2),
    }))


if __name__ == "__main__":
    main()
