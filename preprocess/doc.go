// Package preprocess turns an image file into the network input of the
// original PyTorch app, exactly as that app computed it:
//
//	img = PIL.Image.open(f).convert("RGB")
//	x = transforms.Resize((224, 224))(img)   # PIL bilinear, antialiased
//	x = transforms.ToTensor()(x)             # CHW float32, value/255
//
// No mean/std normalisation is applied by default, because the original
// model was trained without it; [Options.Normalize] adds one (see
// [ImageNet]).
//
// # What "exactly like PIL" means
//
// [Resize] reimplements Pillow 9.4's Image.resize(size, BILINEAR) for 8-bit
// images (libImaging/Resample.c) bit for bit: a separable triangle filter
// whose support grows with the downscale factor (so downscaling averages,
// i.e. is antialiased), coefficients normalised per output pixel and
// converted to 22-bit fixed point, a horizontal pass whose result is rounded
// to 8 bits, then a vertical pass; a pass is skipped when its axis keeps its
// size. For the same 8-bit RGB input it produces the same bytes as Pillow;
// the tests check this byte for byte against golden files written by
// Pillow 9.4 (testdata/make_fixtures.py).
//
// [RGB] follows PIL's convert("RGB"): grey is replicated, palettes are
// expanded, alpha is dropped without compositing (the stored straight colour
// values are kept, premultiplied data is un-premultiplied first) and CMYK is
// converted with Pillow's formula R = 255-K - C*(255-K)/255 (rounded as
// Pillow rounds).
//
// [ToTensor] divides by 255 in float32 as torchvision does, so a tensor
// made from the same 8-bit pixels is identical to PyTorch's.
//
// # Where it deliberately or unavoidably differs
//
//   - 16-bit grey (PNG "I;16"/"I" in PIL) is scaled to 8 bits by taking the
//     high byte (v>>8); PIL's convert("RGB") would clip every value above
//     255 to white, which is never what a user of a 16-bit X-ray wants.
//     16-bit colour is reduced to its high byte, as PIL does.
//   - JPEGs are decoded by Go's image/jpeg, not libjpeg. Greyscale and
//     CMYK JPEGs differ from PIL by at most 1 level in a few pixels (IDCT
//     rounding). Colour (YCbCr) JPEGs are converted with Go's
//     color.YCbCrToRGB and Go replicates subsampled chroma where libjpeg
//     interpolates it, so colour edges can differ by tens of levels; on
//     radiographs, which have almost no chroma, the measured difference is
//     at most 2 levels (mean 0.07). Lossless formats (PNG, BMP, GIF,
//     lossless WebP, TIFF) give exactly PIL's pixels.
//   - GIF: Go's decoder replaces the colour of the transparent palette entry
//     with black, where PIL keeps the palette colour.
//   - Like PIL's Image.open (the original app does not call
//     ImageOps.exif_transpose), the EXIF orientation tag is ignored.
//   - Image size is checked with image.DecodeConfig before decoding and
//     images over [Options.MaxPixels] are refused; PIL would only warn.
//
// Supported formats: JPEG, PNG, GIF (first frame), BMP, TIFF and WebP.
// Importing this package registers those decoders with package image.
//
// # DICOM
//
// [Decode] also reads DICOM files (a 128-byte preamble, then "DICM"),
// which PIL cannot open, so there is no PIL behaviour to match: package
// preprocess/dicom ([dicom.Decode]) takes the first frame of native,
// deflated, RLE, JPEG baseline or JPEG lossless pixel data, 8 or 16 bits,
// MONOCHROME1, MONOCHROME2, RGB or YBR_FULL(_422); for greyscale it applies
// the modality rescale and the first VOI window (PS3.3 C.11.2.1.2; the
// frame's min and max when there is none) and returns 8-bit grey, which
// then goes through the same pipeline. Other transfer syntaxes (JPEG 2000,
// JPEG extended) are refused with an error that names them. [Load] puts
// the file's [dicom.Info] (view position, body part, warnings; never who
// the patient is) in [Input].DICOM. A hostile file is checked element by
// element against its own size before github.com/suyashkumar/dicom parses
// it, because that library allocates declared lengths before checking them.
package preprocess
