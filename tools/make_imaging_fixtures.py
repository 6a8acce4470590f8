#!/usr/bin/env python3
"""Write the IGImaging test fixtures into Tests/Fixtures/images/.

* photo.png: a 37x23 (W x H) crop of skimage's 'chelsea' photo.
* photo_<mode>_<H>x<W>.npy: torch's preprocessing of photo.png (CHW float32,
  ImageNet mean/std), bilinear, align_corners=False, antialias=False.
* map_5x7.npy + map_5x7_to_<H>x<W>.npy: torch's bilinear resize of a float map.
* PNG variants (grey/palette/alpha/16-bit) written by a small hand-made
  encoder, with expected RGB (alpha over white) as float32 .npy.
* JPEGs (RGB, grey, CMYK) written by Pillow, with Pillow's decode as reference.
* numpy_*.npy: arrays saved by numpy itself for the .npy reader.
Run: python3 tools/make_imaging_fixtures.py
"""
import math, os, struct, zlib
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
import skimage.data

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "images")
os.makedirs(OUT, exist_ok=True)
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def p(name):
    return os.path.join(OUT, name)


# ---------------------------------------------------------------- photo + torch
cat = skimage.data.chelsea()  # 300x451x3 uint8
photo = np.ascontiguousarray(cat[120:143, 200:237])  # H=23, W=37
assert photo.shape == (23, 37, 3)
Image.fromarray(photo).save(p("photo.png"))
photo = np.asarray(Image.open(p("photo.png")).convert("RGB"))

# torch's CPU bilinear has two float kernels: a generic one (used when the
# output's H+W > 128 and, for 3 channels, more than one thread) and a
# channels-last vectorised one (otherwise). They differ in the last bits.
# IGImaging reproduces the generic one exactly; the small cases below go
# through the channels-last one (compared with a tolerance), the large ones
# (H+W > 128) through the generic one (compared exactly).
torch.set_num_threads(2)
x = torch.from_numpy(photo.copy()).permute(2, 0, 1).float().unsqueeze(0) / 255
mean = torch.tensor(MEAN).view(1, 3, 1, 1)
std = torch.tensor(STD).view(1, 3, 1, 1)


def interp(t, h, w):
    if t.shape[-2:] == (h, w):
        return t
    return F.interpolate(t, size=(h, w), mode="bilinear", align_corners=False, antialias=False)


def crop_geometry(iw, ih, tw, th):
    if th * iw >= tw * ih:
        rh, rw = th, int(math.floor(iw * th / ih + 0.5))
    else:
        rw, rh = tw, int(math.floor(ih * tw / iw + 0.5))
    rw, rh = max(rw, tw), max(rh, th)
    return rw, rh, (rw - tw) // 2, (rh - th) // 2


for (h, w) in [(17, 29), (31, 45), (100, 29)]:
    y = (interp(x, h, w) - mean) / std
    np.save(p("photo_stretch_%dx%d.npy" % (h, w)), y[0].numpy().astype("<f4"))
for (h, w) in [(16, 16), (32, 32), (20, 12), (100, 30)]:
    rw, rh, ox, oy = crop_geometry(37, 23, w, h)
    r = interp(x, rh, rw)[:, :, oy:oy + h, ox:ox + w]
    y = (r - mean) / std
    np.save(p("photo_crop_%dx%d.npy" % (h, w)), y[0].numpy().astype("<f4"))
    print("crop", (h, w), "resized", (rh, rw), "offset", (oy, ox))

rng = np.random.default_rng(7)
m = rng.normal(size=(5, 7)).astype("<f4")
np.save(p("map_5x7.npy"), m)
for (h, w) in [(23, 37), (3, 4), (64, 80)]:
    up = F.interpolate(torch.from_numpy(m)[None, None], size=(h, w), mode="bilinear", align_corners=False, antialias=False)
    np.save(p("map_5x7_to_%dx%d.npy" % (h, w)), up[0, 0].numpy().astype("<f4"))


# ---------------------------------------------------------------- PNG variants
def png_bytes(raw_rows, width, height, bit_depth, color_type, extra_chunks=()):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    data = b"".join(b"\x00" + r for r in raw_rows)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    for t, d in extra_chunks:
        out += chunk(t, d)
    return out + chunk(b"IDAT", zlib.compress(data)) + chunk(b"IEND", b"")


def over_white(rgb8, a8):
    rgb8 = rgb8.astype(np.int64); a8 = a8.astype(np.int64)[..., None]
    return (rgb8 * a8 + 255 * (255 - a8) + 127) // 255


def to8(v16):
    return (v16.astype(np.int64) * 255 + 32895) >> 16


W, H = 8, 6
g8 = rng.integers(0, 256, size=(H, W), dtype=np.uint8)
g16 = rng.integers(0, 65536, size=(H, W), dtype=np.uint16)
rgb8 = rng.integers(0, 256, size=(H, W, 3), dtype=np.uint8)
rgb16 = rng.integers(0, 65536, size=(H, W, 3), dtype=np.uint16)
a8 = rng.integers(0, 256, size=(H, W), dtype=np.uint8)
a8[0, :] = 255; a8[1, :] = 0
a16 = rng.integers(0, 65536, size=(H, W), dtype=np.uint16)
a16[0, :] = 65535; a16[1, :] = 0

variants = {}
variants["grey8"] = (png_bytes([g8[r].tobytes() for r in range(H)], W, H, 8, 0), np.repeat(g8[..., None], 3, 2))
variants["grey16"] = (png_bytes([g16[r].astype(">u2").tobytes() for r in range(H)], W, H, 16, 0),
                      np.repeat(to8(g16)[..., None], 3, 2))
variants["rgb8"] = (png_bytes([rgb8[r].tobytes() for r in range(H)], W, H, 8, 2), rgb8)
variants["rgb16"] = (png_bytes([rgb16[r].astype(">u2").tobytes() for r in range(H)], W, H, 16, 2), to8(rgb16))
ga = np.stack([g8, a8], -1)
variants["greyalpha8"] = (png_bytes([ga[r].tobytes() for r in range(H)], W, H, 8, 4),
                          over_white(np.repeat(g8[..., None], 3, 2), a8))
rgba = np.concatenate([rgb8, a8[..., None]], -1)
variants["rgba8"] = (png_bytes([rgba[r].tobytes() for r in range(H)], W, H, 8, 6), over_white(rgb8, a8))
rgba16 = np.concatenate([rgb16, a16[..., None]], -1)
variants["rgba16"] = (png_bytes([rgba16[r].astype(">u2").tobytes() for r in range(H)], W, H, 16, 6),
                      over_white(to8(rgb16), to8(a16)))
# palette, 4-bit, with tRNS on some entries
pal = rng.integers(0, 256, size=(16, 3), dtype=np.uint8)
trns = np.array([255, 0, 128, 200, 30], dtype=np.uint8)
idx = rng.integers(0, 16, size=(H, W), dtype=np.uint8)
rows = [bytes((idx[r, 2 * k] << 4) | idx[r, 2 * k + 1] for k in range(W // 2)) for r in range(H)]
alpha_full = np.full(16, 255, dtype=np.uint8); alpha_full[:len(trns)] = trns
variants["palette4"] = (png_bytes(rows, W, H, 4, 3, [(b"PLTE", pal.tobytes()), (b"tRNS", trns.tobytes())]),
                        over_white(pal[idx], alpha_full[idx]))
# 1-bit grey
bits = rng.integers(0, 2, size=(H, W), dtype=np.uint8)
rows = [bytes([int("".join(str(b) for b in bits[r]), 2)]) for r in range(H)]
variants["grey1"] = (png_bytes(rows, W, H, 1, 0), np.repeat((bits * 255)[..., None], 3, 2))

for name, (data, expected) in variants.items():
    open(p("png_%s.png" % name), "wb").write(data)
    np.save(p("png_%s_expected.npy" % name), expected.astype("<f4"))

# ---------------------------------------------------------------- JPEGs
big = np.ascontiguousarray(cat[60:108, 150:214])  # 48x64 photo crop
Image.fromarray(big).save(p("photo.jpg"), quality=92)
np.save(p("photo_jpg_pil.npy"), np.asarray(Image.open(p("photo.jpg")).convert("RGB")).astype("<f4"))
Image.fromarray(big).save(p("progressive.jpg"), quality=85, progressive=True, subsampling=0)
np.save(p("progressive_jpg_pil.npy"), np.asarray(Image.open(p("progressive.jpg")).convert("RGB")).astype("<f4"))
Image.fromarray(big).convert("L").save(p("grey.jpg"), quality=92)
np.save(p("grey_jpg_pil.npy"), np.asarray(Image.open(p("grey.jpg"))).astype("<f4"))
# CMYK: 4 flat 16x16 blocks so JPEG loss is small; expected R = (255-C)(255-K)/255.
cmyk = np.zeros((16, 64, 4), dtype=np.uint8)
for i, v in enumerate([(0, 0, 0, 0), (200, 30, 0, 20), (10, 180, 220, 60), (90, 90, 90, 150)]):
    cmyk[:, 16 * i:16 * (i + 1)] = v
Image.fromarray(cmyk, mode="CMYK").save(p("cmyk.jpg"), quality=95)
c = cmyk.astype(np.float64)
exp = (255 - c[..., :3]) * (255 - c[..., 3:4]) / 255
np.save(p("cmyk_expected.npy"), exp.astype("<f4"))

# ---------------------------------------------------------------- numpy-made .npy
np.save(p("numpy_f4.npy"), (np.arange(24, dtype=np.float32).reshape(2, 3, 4) * 0.5 - 3.25))
np.save(p("numpy_f8.npy"), np.array([1.5, -2.25, 1e-3, 3.0e10, -0.0], dtype=np.float64))
np.save(p("numpy_i4.npy"), np.arange(6, dtype=np.int32))
np.save(p("numpy_f4_scalar.npy"), np.float32(2.5))
print("fixtures in", os.path.normpath(OUT))
