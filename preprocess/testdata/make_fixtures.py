#!/usr/bin/python3
"""Writes the golden fixtures of package preprocess with Debian's Pillow 9.4.

Run by hand from this directory:  /usr/bin/python3 make_fixtures.py

Every input image is written here, together with what the original app's
pipeline makes of it:  Image.open(f).convert("RGB").resize((w, h),
Image.BILINEAR), saved as an RGB PNG named <input>.<w>x<h>.png and listed in
fixtures.tsv (input, width, height, golden). The Go tests require the same
bytes.

The one deliberate difference from PIL is 16-bit grey: PIL's convert("RGB")
clips it at 255, the Go package scales it (v >> 8), so its golden file is
made from the scaled image.
"""
import os

import numpy as np
import PIL
from PIL import Image

assert PIL.__version__.startswith("9.4"), PIL.__version__
rng = np.random.default_rng(20240601)
rows = []


def smooth(w, h, channels, block=8):
    """Gradients, coarse blocks and hard lines: compressible, not trivial."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    out = []
    for c in range(channels):
        v = 40 + 170 * (x / w) * (0.5 + c / 4) + 60 * (y / h) + 25 * np.sin(x / (9.0 + 4 * c) + y / 13.0)
        blocks = rng.integers(-1, 2, size=((h + block - 1) // block, (w + block - 1) // block)) * 30
        v += np.kron(blocks, np.ones((block, block)))[:h, :w]
        out.append(np.clip(np.rint(v), 0, 255).astype(np.uint8))
    a = np.stack(out, axis=-1)
    # Hard edges at the extremes (0 and 255), which test clipping.
    a[h // 3 : h // 3 + 2, :] = 255
    a[:, w // 4] = 0
    return a[..., 0] if channels == 1 else a


def golden(name, im_rgb, w, h, exact=True):
    out = im_rgb.resize((w, h), Image.BILINEAR)
    assert out.mode == "RGB"
    gname = "%s.%dx%d.png" % (name, w, h)
    out.save(gname, optimize=True)
    rows.append((name, w, h, gname, "exact" if exact else "jpeg"))


def add(name, im, sizes, exact=True, **save):
    im.save(name, **save)
    back = Image.open(name)
    for w, h in sizes:
        golden(name, back.convert("RGB"), w, h, exact)


SQ = [(224, 224)]
SMALL = [(67, 45)]  # upscaling to a non-square size, small golden files

add("gray_37x53.png", Image.fromarray(smooth(37, 53, 1), "L"), SQ + [(100, 30)])
add("rgb_500x300.png", Image.fromarray(smooth(500, 300, 3, block=25), "RGB"), SQ + [(160, 90), (37, 101)])
add("rgb_60x80.png", Image.fromarray(smooth(60, 80, 3), "RGB"), [(60, 50), (60, 80), (60, 131)])  # vertical pass only / copy
add("rgb_80x60.png", Image.fromarray(smooth(80, 60, 3), "RGB"), [(50, 60), (131, 60)])  # horizontal pass only
add("rgb_1x1.png", Image.new("RGB", (1, 1), (200, 10, 99)), SQ)
add("rgb_1001x7.png", Image.fromarray(smooth(1001, 7, 3), "RGB"), [(224, 5), (3, 2)])

# Straight alpha from 0 to 255, with colour kept under alpha 0.
rgba = np.dstack([smooth(31, 27, 3), (np.arange(31 * 27) * 7 % 256).reshape(27, 31).astype(np.uint8)])
add("rgba_31x27.png", Image.fromarray(rgba, "RGBA"), SMALL)
la = np.dstack([smooth(33, 29, 1), (np.arange(33 * 29) * 11 % 256).reshape(29, 33).astype(np.uint8)])
add("la_33x29.png", Image.fromarray(la, "LA"), SMALL)

pal = Image.fromarray(smooth(40, 30, 3), "RGB").quantize(colors=16)
add("p_40x30.png", pal, SMALL)
add("p_trns_40x30.png", pal, SMALL, transparency=3)
add("p_40x30.gif", pal, SMALL)

rgb = Image.fromarray(smooth(30, 20, 3), "RGB")
add("rgb_30x20.bmp", rgb, SMALL)
add("rgb_30x20.tif", rgb, SMALL, compression="tiff_deflate")
add("rgb_30x20.webp", rgb, SMALL, lossless=True)

# JPEGs (not bit-exact: libjpeg vs Go's decoder): progressive grey,
# 4:2:0 colour and Adobe CMYK (PIL stores it inverted, as Photoshop does).
add("gray_prog_40x30.jpg", Image.fromarray(smooth(40, 30, 1), "L"), SMALL, exact=False, quality=90, progressive=True)
add("rgb_40x30.jpg", Image.fromarray(smooth(40, 30, 3), "RGB"), SMALL, exact=False, quality=90)
cmyk_img = Image.fromarray(np.dstack([smooth(24, 16, 3), np.full((16, 24), 40, np.uint8)]), "CMYK")
add("cmyk_24x16.jpg", cmyk_img, SMALL, exact=False, quality=95)

# 16-bit grey: golden from v >> 8 (see the module docstring).
g16 = (smooth(45, 35, 1).astype(np.uint16) * 257 + rng.integers(0, 257, size=(35, 45))).astype(np.uint16)
Image.fromarray(g16).save("gray16_45x35.png")
assert Image.open("gray16_45x35.png").mode in ("I", "I;16")
golden("gray16_45x35.png", Image.fromarray((g16 >> 8).astype(np.uint8), "L").convert("RGB"), 67, 45)
with open("fixtures.tsv", "w") as f:
    # compare: "exact" = same bytes; "jpeg" = libjpeg and Go's decoder
    # differ, the Go test bounds the difference.
    f.write("input\twidth\theight\tgolden\tcompare\n")
    for r in rows:
        f.write("%s\t%d\t%d\t%s\t%s\n" % r)

# CMYK -> RGB as Pillow converts it, for the table test of RGB().
cmyk = [(0, 0, 0, 0), (255, 255, 255, 255), (100, 50, 200, 30), (1, 128, 254, 127), (255, 0, 17, 1), (37, 99, 180, 250)]
for c in cmyk:
    print("CMYK", c, "->", Image.new("CMYK", (1, 1), c).convert("RGB").getpixel((0, 0)))
print("total fixture bytes:", sum(os.path.getsize(n) for n in os.listdir(".") if not n.endswith(".py")))
