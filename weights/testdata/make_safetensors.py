#!/usr/bin/python3
"""Write sd.safetensors from sd_zip.pt (run by hand, not by CI).

    cd weights/testdata && /usr/bin/python3 make_safetensors.py

Needs Debian's PyTorch (python3-torch) and numpy, not the safetensors
package: the format is written directly. A safetensors file is

    u64 little-endian N | N bytes of JSON header | data section

where the header maps each tensor name to {"dtype", "shape",
"data_offsets": [begin, end]} (byte offsets into the data section, which
the tensors tile in order without gaps) plus an optional "__metadata__" map
of strings, and is padded with spaces to a multiple of 8 bytes, as
safetensors.torch.save_file does. sd_zip.pt is one of our own fixtures, so
loading it is safe. The Go test compares the two files bit for bit.
"""

import json
import os
import struct

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))

DTYPES = {
    torch.float32: "F32",
    torch.float64: "F64",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
}


def raw_bytes(t):
    """Little-endian bytes of a contiguous copy of t (numpy has no bfloat16)."""
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    a = t.numpy()
    return a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()


def write_safetensors(sd, name, metadata):
    header, chunks, offset = {"__metadata__": metadata}, [], 0
    for key, t in sd.items():
        b = raw_bytes(t)
        header[key] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                       "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in chunks:
            f.write(b)


def main():
    sd = torch.load(os.path.join(HERE, "sd_zip.pt"))
    write_safetensors(sd, "sd.safetensors", {"format": "pt", "source": "sd_zip.pt"})


if __name__ == "__main__":
    main()
