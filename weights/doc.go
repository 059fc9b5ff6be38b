// Package weights reads PyTorch checkpoints into named float32 tensors,
// without Python and without trusting the file.
//
// # Formats
//
// [Load] and [Read] accept what torch.save writes for a state dict:
//
//   - the zip format of torch 1.6 to 2.x: an archive holding <dir>/data.pkl
//     and one <dir>/data/<key> entry per storage, where <dir> is named after
//     the file ("archive" for in-memory saves); an optional <dir>/byteorder
//     entry ("little" or "big") is honoured;
//   - the legacy format (_use_new_zipfile_serialization=False): a magic
//     number, a protocol version and a sys_info pickle, then the main
//     pickle, a pickled list of storage keys and the raw storages, each an
//     int64 element count followed by its bytes.
//
// The state dict may be the top-level object or be wrapped in a training
// checkpoint under "state_dict", "model_state_dict", "model" or "net" (other
// entries such as "epoch" or "optimizer" are ignored). A "module." prefix
// (torch.nn.DataParallel) is removed from every name that has it. float32,
// float64, float16 and bfloat16 tensors are converted to contiguous
// row-major float32, whatever their strides (channels_last included) and
// storage offsets; integer and bool tensors (such as
// *.num_batches_tracked) and non-tensor values are dropped. TorchScript
// archives and pickled nn.Module objects are not supported.
//
// # Safety
//
// A checkpoint is a pickle, and unpickling runs code in Python. Here:
//
//   - Nothing is executed. Every pickle is first scanned opcode by opcode;
//     unknown opcodes, length fields larger than the data, and globals
//     outside a short whitelist (torch._utils._rebuild_tensor_v2,
//     _rebuild_tensor, _rebuild_parameter, _rebuild_parameter_with_state,
//     collections.OrderedDict and the torch.*Storage classes) are refused
//     with [ErrUnsafePickle] before the pickle is decoded, and the decoder's
//     own class lookup enforces the same whitelist. The whitelisted callables
//     only build descriptions of tensors. torch.storage._load_from_bytes is
//     refused.
//   - Nothing is allocated on the file's word. A storage's declared size is
//     checked against the bytes really present (the zip entry's size, or
//     what is left of a legacy file) and every tensor's shape, strides and
//     offset are checked to fit in its storage before any tensor memory is
//     allocated; the decoded tensors together may not exceed
//     [Options.MaxBytes] (2 GiB by default), the main pickle may not exceed
//     32 MiB, and the pickle decoder's own memory is bounded by an estimate
//     made during the scan. Violations return [ErrTooLarge] or [ErrCorrupt].
//   - No input makes the package panic: malformed input returns an error
//     (a recover around the decoder is kept as a second line of defence).
//
// Errors wrap the sentinels [ErrNotCheckpoint], [ErrUnsafePickle],
// [ErrTooLarge], [ErrCorrupt] and [ErrUnsupported] for use with errors.Is.
package weights
