// Package weights reads PyTorch checkpoints and safetensors files into
// named float32 tensors, without Python and without trusting the file.
//
// # Formats
//
// [Load] and [Read] accept what torch.save writes for a state dict, and
// safetensors files:
//
//   - the zip format of torch 1.6 to 2.x: an archive holding <dir>/data.pkl
//     and one <dir>/data/<key> entry per storage, where <dir> is named after
//     the file ("archive" for in-memory saves); an optional <dir>/byteorder
//     entry ("little" or "big") is honoured;
//   - the legacy format (_use_new_zipfile_serialization=False): a magic
//     number, a protocol version and a sys_info pickle, then the main
//     pickle, a pickled list of storage keys and the raw storages, each an
//     int64 element count followed by its bytes;
//   - safetensors files (https://github.com/huggingface/safetensors): a
//     little-endian uint64 header length, a JSON header giving each
//     tensor's dtype, shape and data_offsets (plus an optional
//     "__metadata__" map of strings), then the raw little-endian tensors.
//     F32, F64, F16 and BF16 tensors are kept; the other dtypes (I64 for
//     *.num_batches_tracked, ...) are checked and dropped. A file is read
//     as safetensors when its name ends in .safetensors or, for any name
//     and for [Read], when its ninth byte is '{' (no PyTorch checkpoint
//     has one there).
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
//   - A safetensors header's length is checked against the file size, a
//     100 MB cap (the reference implementation's) and [Options.MaxBytes]
//     before it is read; then every tensor's dtype, shape and offsets are
//     checked, with overflow-safe arithmetic, to tile the data section
//     exactly (no overlap, no hole, no trailing bytes) before any tensor
//     memory is allocated.
//   - No input makes the package panic: malformed input returns an error
//     (a recover around the decoder is kept as a second line of defence).
//
// # Downloads
//
// [Fetch] downloads a checkpoint from an http(s) URL into a cache
// ([DefaultCacheDir]: $XRAY_CACHE, else os.UserCacheDir()/xray/checkpoints)
// once and returns its path, like torch.hub.load_state_dict_from_url with
// check_hash=True: a file named like resnet34-b627a593.pth must have a
// sha256 digest starting with b627a593, unless [FetchOptions.SHA256] gives
// the full digest. The download goes to a unique .partial file that is
// renamed into place only when complete and verified, so failures and
// concurrent fetches, in one process or several, never leave a partial file
// under the final name. Connect and idle timeouts, a size cap
// ([DefaultMaxDownloadBytes]), the proxy variables and a progress callback
// are in [FetchOptions]. Errors never show the URL's query or user
// information.
//
// Errors wrap the sentinels [ErrNotCheckpoint], [ErrUnsafePickle],
// [ErrTooLarge], [ErrCorrupt], [ErrUnsupported] and, from Fetch,
// [ErrChecksum] for use with errors.Is.
package weights
