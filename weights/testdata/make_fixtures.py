#!/usr/bin/python3
"""Generate the fixtures of the weights package (run by hand, not by CI).

    cd weights/testdata && /usr/bin/python3 make_fixtures.py

Needs Debian's PyTorch (python3-torch, 1.13). Writes small checkpoints in
every format the Go loader accepts, hostile files it must refuse, and
expected.json with the float32 values the Go tests compare against.

The hostile pickles are written byte by byte or with a plain pickle.Pickler
and are NEVER loaded here.
"""

import collections
import io
import json
import os
import pickle
import struct
import zipfile

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(HERE, name)


def make_state_dict():
    torch.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, bias=False)
            self.bn = nn.BatchNorm2d(4)

    net = Net()
    with torch.no_grad():
        net.bn.weight.uniform_(0.5, 1.5)
        net.bn.bias.uniform_(-0.5, 0.5)
        net.bn.running_mean.uniform_(-1, 1)
        net.bn.running_var.uniform_(0.5, 2)
        net.bn.num_batches_tracked.fill_(17)
    sd = net.state_dict()  # OrderedDict with a _metadata attribute

    # float64: values that float32 must round.
    sd["d64"] = torch.tensor([[0.1, 0.2, 1.0 / 3], [-2.5, 1e-40, 3.0e38]],
                             dtype=torch.float64)
    # float16 including a subnormal and the largest finite half.
    sd["h16"] = torch.tensor([1.0, -0.333, 6e-8, 65504.0, 0.0], dtype=torch.float16)
    sd["bf16"] = torch.tensor([[1.0, -3.14159], [1e-20, 2.5e30]], dtype=torch.bfloat16)
    # channels_last: permuted strides (1 * H * W * C layout).
    sd["cl"] = torch.arange(24, dtype=torch.float32).reshape(2, 3, 2, 2) \
        .contiguous(memory_format=torch.channels_last)
    assert sd["cl"].stride() == (12, 1, 6, 3), sd["cl"].stride()
    # A view with an offset sharing the storage of another entry.
    big = torch.arange(10, dtype=torch.float32) * 0.5
    sd["big"] = big
    sd["view"] = big[2:5]
    assert sd["view"].storage_offset() == 2
    # A transposed view (strides (1, 3)) of a separate tensor.
    sd["t"] = torch.arange(6, dtype=torch.float32).reshape(2, 3).t()
    # A 0-dim tensor and an nn.Parameter (pickled via _rebuild_parameter).
    sd["scalar"] = torch.tensor(2.75)
    sd["param"] = nn.Parameter(torch.tensor([1.5, -1.5]))
    # Integer tensors: dropped by the loader.
    sd["int32"] = torch.tensor([1, 2, 3], dtype=torch.int32)
    return sd


def expected_of(sd):
    out = collections.OrderedDict()
    for k, v in sd.items():
        if not v.is_floating_point():
            continue
        f = v.detach().to(torch.float32).contiguous()
        out[k] = {"shape": list(f.shape),
                  "data": [float(x) for x in f.reshape(-1).tolist()]}
    return out


def save_good(sd):
    torch.save(sd, path("sd_zip.pt"))
    torch.save(sd, path("sd_legacy.pt"), _use_new_zipfile_serialization=False)
    # The folder inside the zip is named after the file ("mynet/").
    torch.save(sd, path("mynet.pth"))
    wrapped = collections.OrderedDict(("module." + k, v) for k, v in sd.items())
    torch.save({"state_dict": wrapped, "epoch": 3, "arch": "tiny"},
               path("wrapped_state_dict.pt"))
    params = [torch.zeros(2, requires_grad=True)]
    opt = torch.optim.SGD(params, lr=0.1, momentum=0.9)
    params[0].sum().backward()
    opt.step()
    torch.save({"model_state_dict": sd, "optimizer_state_dict": opt.state_dict(),
                "epoch": 3, "loss": 0.25},
               path("wrapped_model_state_dict.pt"))
    torch.save({"net": sd, "epoch": 9}, path("wrapped_net_legacy.pt"),
               _use_new_zipfile_serialization=False)
    # Protocol 4 uses STACK_GLOBAL, MEMOIZE and FRAME.
    torch.save(sd, path("sd_proto4.pt"), pickle_protocol=4)


def write_zip(name, prefix, pkl, storages=None):
    with zipfile.ZipFile(path(name), "w", zipfile.ZIP_STORED) as z:
        z.writestr(prefix + "/data.pkl", pkl)
        for key, data in (storages or {}).items():
            z.writestr(prefix + "/data/" + key, data)
        z.writestr(prefix + "/version", "3\n")


# --- hand-written hostile pickles (never unpickled here) -------------------

# cos\nsystem\n (GLOBAL os.system), then ("echo pwned",) and REDUCE.
OS_SYSTEM = b"\x80\x02cos\nsystem\nq\x00X\n\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03."
# Protocol 4 STACK_GLOBAL builtins.eval("1").
EVAL = (b"\x80\x04\x95\x1c\x00\x00\x00\x00\x00\x00\x00"
        b"\x8c\x08builtins\x94\x8c\x04eval\x94\x93\x94\x8c\x011\x94\x85\x94R\x94.")
# torch.storage._load_from_bytes(b"...") would call torch.load recursively.
LOAD_FROM_BYTES = (b"\x80\x02ctorch.storage\n_load_from_bytes\nq\x00"
                   b"C\x04abcdq\x01\x85q\x02Rq\x03.")


class FakeStorage:
    def __init__(self, numel):
        self.numel = numel


class FakeTensor:
    def __init__(self, storage, size, stride):
        self.storage, self.size, self.stride = storage, size, stride

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2,
                (self.storage, 0, self.size, self.stride, False,
                 collections.OrderedDict()))


def forged_pickle(obj, pid_of):
    buf = io.BytesIO()

    class P(pickle.Pickler):
        def persistent_id(self, o):
            if isinstance(o, FakeStorage):
                return pid_of(o)
            return None

    P(buf, protocol=2).dump(obj)
    return buf.getvalue()


def save_hostile():
    with open(path("hostile_os_system.pkl"), "wb") as f:
        f.write(OS_SYSTEM)
    write_zip("hostile_os_system.pt", "archive", OS_SYSTEM)
    write_zip("hostile_eval.pt", "archive", EVAL)
    write_zip("hostile_load_from_bytes.pt", "archive", LOAD_FROM_BYTES)

    data16 = struct.pack("<4f", 1, 2, 3, 4)
    # Storage declares 1<<40 float32 elements; the entry holds 16 bytes.
    huge = FakeStorage(1 << 40)
    pkl = forged_pickle({"w": FakeTensor(huge, (1 << 40,), (1,))},
                        lambda s: ("storage", torch.FloatStorage, "0", "cpu", s.numel))
    write_zip("hostile_huge_storage.pt", "archive", pkl, {"0": data16})
    # Storage is honest (4 elements) but the tensor claims 1<<20 of them.
    small = FakeStorage(4)
    pkl = forged_pickle({"w": FakeTensor(small, (1 << 20,), (1,))},
                        lambda s: ("storage", torch.FloatStorage, "0", "cpu", s.numel))
    write_zip("hostile_tensor_oob.pt", "archive", pkl, {"0": data16})

    # Legacy file whose storage declares 1<<40 elements.
    out = io.BytesIO()
    pickle.dump(0x1950a86a20f9469cfc6c, out, protocol=2)
    pickle.dump(1001, out, protocol=2)
    pickle.dump({"protocol_version": 1001, "little_endian": True,
                 "type_sizes": {"short": 2, "int": 4, "long": 4}}, out, protocol=2)
    out.write(forged_pickle(
        {"w": FakeTensor(huge, (1 << 40,), (1,))},
        lambda s: ("storage", torch.FloatStorage, "k", "cpu", s.numel, None)))
    pickle.dump(["k"], out, protocol=2)
    out.write(struct.pack("<q", 1 << 40))
    out.write(data16)
    with open(path("hostile_huge_legacy.pt"), "wb") as f:
        f.write(out.getvalue())

    # Legacy file whose main pickle is os.system.
    out = io.BytesIO()
    pickle.dump(0x1950a86a20f9469cfc6c, out, protocol=2)
    pickle.dump(1001, out, protocol=2)
    pickle.dump({"protocol_version": 1001, "little_endian": True,
                 "type_sizes": {"short": 2, "int": 4, "long": 4}}, out, protocol=2)
    out.write(OS_SYSTEM)
    with open(path("hostile_os_system_legacy.pt"), "wb") as f:
        f.write(out.getvalue())


def main():
    sd = make_state_dict()
    save_good(sd)
    save_hostile()
    exp = {
        "comment": "float32 values of every floating-point tensor, row-major; "
                   "written by make_fixtures.py with torch " + torch.__version__,
        "files": ["sd_zip.pt", "sd_legacy.pt", "mynet.pth", "wrapped_state_dict.pt",
                  "wrapped_model_state_dict.pt", "wrapped_net_legacy.pt",
                  "sd_proto4.pt"],
        "tensors": expected_of(sd),
    }
    with open(path("expected.json"), "w") as f:
        json.dump(exp, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
