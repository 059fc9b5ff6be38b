#!/usr/bin/python3
"""Writes the uncompressed source fixtures of preprocess/dicom (run by
make_fixtures.sh, which compresses them with dcmtk). Needs Debian's
python3-pydicom and python3-numpy. The images are synthetic patterns; no
file holds data of a real person (patient.dcm holds made-up identifiers
that the tests check never reach any output)."""

import sys

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

SC = "1.2.840.10008.5.1.4.1.1.7"  # Secondary Capture Image Storage
rng = np.random.default_rng(12)


def base(rows, cols, view="PA", part="CHEST"):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SC
    meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.8.498.1"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = "1.2.826.0.1.3680043.8.498.2"
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.SOPClassUID = SC
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.3"
    ds.SeriesInstanceUID = "1.2.826.0.1.3680043.8.498.4"
    ds.Modality = "DX"
    if part:
        ds.BodyPartExamined = part
    if view:
        ds.ViewPosition = view
    ds.Rows, ds.Columns = rows, cols
    return ds


def grey(ds, arr, bits_alloc, bits_stored, signed=False, mono1=False):
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME1" if mono1 else "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits_alloc, bits_stored, bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    ds.PixelData = arr.tobytes()


def smooth(rows, cols, lo, hi):
    """A radial pattern with noise, so that every predictor and Huffman
    code length is exercised."""
    y, x = np.mgrid[0:rows, 0:cols]
    r = np.hypot(x - cols * 0.4, y - rows * 0.6) / np.hypot(cols, rows)
    v = lo + (hi - lo) * (0.5 + 0.5 * np.cos(9 * r)) * (x + 1) / cols
    v += rng.normal(0, (hi - lo) / 60, v.shape)
    return np.clip(np.rint(v), lo, hi)


def save(ds, name):
    ds.save_as(name, write_like_original=False)


def main():
    # 12 bits stored in 16, with rescale and window, PA chest.
    ds = base(48, 64)
    grey(ds, smooth(48, 64, 0, 4095).astype("<u2"), 16, 12)
    ds.RescaleSlope, ds.RescaleIntercept = "2", "-1024"
    ds.WindowCenter, ds.WindowWidth = "3000", "6000"
    save(ds, "g12.dcm")

    # The same with two frames.
    ds = base(48, 64)
    frames = np.stack([smooth(48, 64, 0, 4095), smooth(48, 64, 0, 4095)])
    grey(ds, frames.astype("<u2"), 16, 12)
    ds.NumberOfFrames = 2
    save(ds, "g12_2frames.dcm")

    # 8 bits, MONOCHROME1, lateral view; an identity window, so that the
    # rendering of lossy JPEG does not hang on the frame's min and max.
    ds = base(48, 64, view="LATERAL")
    grey(ds, smooth(48, 64, 0, 255).astype("u1"), 8, 8, mono1=True)
    ds.WindowCenter, ds.WindowWidth = "128", "256"
    save(ds, "g8_mono1.dcm")

    # Signed 16 bits, with a padding value around the border, not a chest.
    ds = base(48, 64, view="AP", part="ABDOMEN")
    arr = smooth(48, 64, -20000, 20000).astype("<i2")
    arr[:3, :] = arr[:, :2] = -32768
    grey(ds, arr, 16, 16, signed=True)
    ds.PixelPaddingValue = -32768
    save(ds, "s16.dcm")

    # RGB, 8 bits, planar configuration 0 and 1. Pixel pairs are equal, so
    # that 4:2:2 chroma subsampling loses nothing.
    ds = base(48, 64, view=None, part=None)
    ds.Modality = "OT"
    y, x = np.mgrid[0:48, 0:64]
    x2 = x // 2 * 2
    rgb = np.stack([x2 * 4, y * 5, (x2 + y) * 2 % 256], axis=-1).astype("u1")
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "RGB", 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = rgb.tobytes()
    save(ds, "rgb.dcm")
    ds.PlanarConfiguration = 1
    ds.PixelData = rgb.transpose(2, 0, 1).tobytes()
    save(ds, "rgb_planar1.dcm")

    # YBR_FULL (PS3.3 C.7.6.3.1.2) and YBR_FULL_422 of the same image.
    f = rgb.astype(float)
    yy = 0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]
    cb = 128 - 0.168736 * f[..., 0] - 0.331264 * f[..., 1] + 0.5 * f[..., 2]
    cr = 128 + 0.5 * f[..., 0] - 0.418688 * f[..., 1] - 0.081312 * f[..., 2]
    ybr = np.clip(np.rint(np.stack([yy, cb, cr], axis=-1)), 0, 255).astype("u1")
    ds.PhotometricInterpretation, ds.PlanarConfiguration = "YBR_FULL", 0
    ds.PixelData = ybr.tobytes()
    save(ds, "ybr_full.dcm")
    ds.PhotometricInterpretation = "YBR_FULL_422"
    out = bytearray()
    for row in ybr:
        for i in range(0, 64, 2):
            out += bytes([row[i, 0], row[i + 1, 0], row[i, 1], row[i, 2]])
    ds.PixelData = bytes(out)
    save(ds, "ybr_full_422.dcm")

    # Made-up identifiers that must never appear in any output.
    ds = base(48, 64)
    grey(ds, smooth(48, 64, 0, 255).astype("u1"), 8, 8)
    ds.PatientName = "Testpatient^Zelda"
    ds.PatientID = "PID-7731-XQ"
    ds.PatientBirthDate = "19230517"
    ds.AccessionNumber = "ACC99881234"
    ds.InstitutionName = "Sankt Nirgendwo Klinikum"
    ds.ReferringPhysicianName = "Doktor^Quirin"
    save(ds, "patient.dcm")


if __name__ == "__main__":
    sys.exit(main())
