#!/usr/bin/env bash
# One benchmark sitting for BENCHMARKS.md: the Go benchmarks and PyTorch's
# figures on the same machine, one right after the other. Run it by hand
# from the repository root on a quiet machine:
#
#   bash resnet/testdata/sitting.sh > sitting.txt 2>&1
#
# REF (default ../shared/reference) holds the checkpoint and the images;
# RUNS (default 5) is how many times each Go benchmark runs (-count).
set -euo pipefail
REF=${REF:-../shared/reference}
RUNS=${RUNS:-5}
CKPT=$REF/resnet34_cxr.pth
IMG=$REF/images/medrax__pneumonia2.jpg
export XRAY_REFERENCE_DIR=$REF
say() { printf '\n== %s\n' "$*"; }

say "machine"; date -u; nproc; grep -m1 'model name' /proc/cpuinfo; go version

bench() { # GOMAXPROCS XRAY_GEMM packages pattern
  GOMAXPROCS=$1 XRAY_GEMM=$2 go test -run XXX -bench "$4" -benchtime 20x -count "$RUNS" -benchmem $3 | grep -E '^Benchmark'
}
say "Go, 2 threads"; bench 2 "" "./resnet ./gradcam ." 'Forward1$|Forward8$|GradCAMLayer4$|Analyze$'
say "Go, 1 thread"; bench 1 "" "./resnet ./gradcam ." 'Forward1$|Forward8$|GradCAMLayer4$|Analyze$'
say "Go, AVX2 kernel, 2 threads"; bench 2 avx2 ./resnet 'Forward1$|Forward8$'
say "Go, AVX2 kernel, 1 thread"; bench 1 avx2 ./resnet 'Forward1$'
say "Go, direct convolution only (XRAY_CONV=direct), 2 threads"; XRAY_CONV=direct bench 2 "" ./resnet 'Forward1$|Forward8$'
say "Go, direct convolution only (XRAY_CONV=direct), 1 thread"; XRAY_CONV=direct bench 1 "" ./resnet 'Forward1$'
say "Go, Winograd F(2x2) only (XRAY_CONV=winograd2), 2 threads"; XRAY_CONV=winograd2 bench 2 "" ./resnet 'Forward1$|Forward8$'
say "Go, Winograd F(2x2) only (XRAY_CONV=winograd2), 1 thread"; XRAY_CONV=winograd2 bench 1 "" ./resnet 'Forward1$'

say "Go, per stage (resnet.Model.Profile, unfused), 2 and 1 threads"
for t in 2 1; do GOMAXPROCS=$t go run ./resnet/testdata/stages "$CKPT" "$IMG"; done

torch() { /usr/bin/python3 resnet/testdata/torch_forward.py "$CKPT" --iters=20 "$@"; }
say "PyTorch forward"
for t in 2 1; do for b in 1 8; do torch --threads=$t --batch=$b; done; done
say "PyTorch forward, oneDNN restricted to AVX2"
for t in 2 1; do ONEDNN_MAX_CPU_ISA=AVX2 torch --threads=$t --batch=1; done
ONEDNN_MAX_CPU_ISA=AVX2 torch --threads=2 --batch=8
say "PyTorch whole analysis (torch_bench.py)"
for t in 2 1; do /usr/bin/python3 "$REF/tools/torch_bench.py" "$CKPT" "$IMG" --iters=20 --threads=$t; done

say "whole process: eval over test624"
go build -o /tmp/xray-sitting ./examples/xray
out=$(mktemp -d)
/usr/bin/time -f 'go eval: %e s wall, %P CPU, %M KiB peak RSS' /tmp/xray-sitting eval -weights "$CKPT" "$REF/test624" > /dev/null
/usr/bin/time -f 'python predict_folder.py: %e s wall, %P CPU, %M KiB peak RSS' /usr/bin/python3 "$REF/tools/predict_folder.py" "$CKPT" "$REF/test624" "$out/torch" > /dev/null

say "whole process: classify 1 and 40 images (marginal cost per image)"
mapfile -t imgs < <(find "$REF/test624" -name '*.jpeg' | sort | head -40)
/usr/bin/time -f 'go classify 1: %e s' /tmp/xray-sitting classify -weights "$CKPT" "${imgs[0]}" > /dev/null
/usr/bin/time -f 'go classify 40: %e s' /tmp/xray-sitting classify -weights "$CKPT" "${imgs[@]}" > /dev/null
# predict_folder.py wants NORMAL/ and PNEUMONIA/: the same 1 and 40 images.
for n in 1 40; do
  mkdir -p "$out/f$n/NORMAL" "$out/f$n/PNEUMONIA"
  for f in "${imgs[@]:0:$n}"; do ln -sf "$(realpath "$f")" "$out/f$n/PNEUMONIA/"; done
  /usr/bin/time -f "python predict_folder.py $n: %e s" /usr/bin/python3 "$REF/tools/predict_folder.py" "$CKPT" "$out/f$n" "$out/p$n" > /dev/null || true
done
