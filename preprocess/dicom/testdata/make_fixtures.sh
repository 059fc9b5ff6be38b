#!/bin/sh
# Rewrites the compressed DICOM fixtures of preprocess/dicom from the
# synthetic sources that make_fixtures.py writes, with Debian's dcmtk
# (apt-get install dcmtk python3-pydicom python3-numpy). Run it in this
# directory. X_<syntax>.dcm is X.dcm compressed; X_<syntax>.dec.dcm is
# dcmtk's decompression of it, the ground truth the tests compare with.
set -eu
cd "$(dirname "$0")"
/usr/bin/python3 make_fixtures.py

# compress SRC SYNTAX TOOL ARGS...: SRC_SYNTAX.dcm and its decompression.
compress() {
	src=$1 name=$2 tool=$3
	shift 3
	"$tool" "$@" "$src.dcm" "${src}_$name.dcm"
	case $tool in
	dcmcjpeg) dcmdjpeg "${src}_$name.dcm" "${src}_$name.dec.dcm" ;;
	dcmcrle) dcmdrle "${src}_$name.dcm" "${src}_$name.dec.dcm" ;;
	dcmcjpls) dcmdjpls "${src}_$name.dcm" "${src}_$name.dec.dcm" ;;
	dcmconv) dcmconv +te "${src}_$name.dcm" "${src}_$name.dec.dcm" ;;
	esac
}

# JPEG lossless, process 14 with each of the seven predictors, and SV1.
for sv in 1 2 3 4 5 6 7; do
	compress g12 jpll_sv$sv dcmcjpeg +el +sv $sv
done
compress g12 jpll_pt2 dcmcjpeg +el +sv 7 +pt 2
for src in g12 g12_2frames g8_mono1 s16 rgb; do
	compress $src jpll70 dcmcjpeg +e1
	compress $src rle dcmcrle
done
compress rgb_planar1 rle dcmcrle
compress g12 deflate dcmconv +td
compress patient deflate dcmconv +td
# JPEG baseline, 8 bits (colour without chroma subsampling: YBR_FULL).
compress g8_mono1 baseline dcmcjpeg +eb
compress patient baseline dcmcjpeg +eb
compress rgb baseline dcmcjpeg +eb +s4
# JPEG-LS, lossless and near-lossless.
for src in g12 g8_mono1 s16 rgb; do
	compress $src jls dcmcjpls +el
done
compress g12 jlsnear dcmcjpls +en
rm -f rgb_planar1_rle.dec.dcm g12_2frames_rle.dec.dcm
