#!/usr/bin/env python3
"""Write the bundled test photos (scikit-image, CC0) and their EfficientNet-Lite0 top-5.

    python3 tools/make_photos.py [--out-dir assets/photos]

Each photo is taken from skimage.data, converted to RGB, downscaled with
Pillow's area filter (Image.BOX, an antialiasing box average) so the longer
side is at most 400 px, and saved as PNG. Then the pretrained
EfficientNet-Lite0 classifies each (preprocessing from the sidecar) and the
top-5 lists are printed and written into the directory's README.md.
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import igcommon as C  # noqa: E402

LICENCE = {  # from each skimage.data function's docstring
    "cat.png": "CC0 (photographer Stefan van der Walt)",
    "coffee.png": "CC0 (photographer Rachel Michetti)",
    "astronaut.png": "public domain (NASA, Eileen Collins)",
    "rocket.png": "public domain (SpaceX photos)",
    "motorcycle.png": "Middlebury 2014 stereo benchmark (Scharstein et al., GCPR 2014), down-sampled; "
                      "shipped in scikit-image (BSD-3); no separate licence is stated in the wheel",
}
PHOTOS = [  # (file name, skimage.data function)
    ("cat.png", "chelsea"),
    ("coffee.png", "coffee"),
    ("astronaut.png", "astronaut"),
    ("rocket.png", "rocket"),
    ("motorcycle.png", "stereo_motorcycle"),  # [0] = motorcycle_left.png
]
MAX_SIDE = 400


def make(out_dir):
    import skimage
    import skimage.data
    from PIL import Image
    rows = []
    for fname, func in PHOTOS:
        a = getattr(skimage.data, func)()
        if isinstance(a, tuple):  # stereo_motorcycle() -> (left, right, disparity)
            a, func = a[0], "stereo_motorcycle()[0] (motorcycle_left.png)"
        im = Image.fromarray(np.asarray(a)).convert("RGB")
        w, h = im.size
        s = min(1.0, MAX_SIDE / max(w, h))
        nw, nh = max(1, round(w * s)), max(1, round(h * s))
        if (nw, nh) != (w, h):
            im = im.resize((nw, nh), Image.BOX)
        path = os.path.join(out_dir, fname)
        im.save(path, optimize=True)
        rows.append((fname, func, (w, h), (nw, nh), os.path.getsize(path)))
        print("%s <- skimage.data.%s %dx%d -> %dx%d, %d bytes" % (fname, func, w, h, nw, nh, rows[-1][-1]))
    return rows, skimage.__version__


def classify(out_dir):
    sidecar = C.load_json(os.path.join(C.ASSETS, "models", "efficientnet-lite0.json"))
    labels = sidecar["labels"]
    model, _ = C.build_efficientnet_lite0()
    tops = {}
    for fname, _ in PHOTOS:
        x = C.preprocess(os.path.join(out_dir, fname), sidecar)
        with torch.no_grad():
            p = torch.softmax(model(x), 1)[0]
        t = torch.topk(p, 5)
        tops[fname] = [(int(i), labels[int(i)], float(v)) for v, i in zip(t.values, t.indices)]
        print(fname + ": " + "; ".join("%d %s %.3f" % r for r in tops[fname]))
    return tops


def write_readme(out_dir, rows, version, tops):
    lines = [
        "# Test photographs",
        "",
        "Source: scikit-image %s wheel, `skimage.data`; licence per image below, as stated in each" % version,
        "`skimage.data` function's docstring. Written by `tools/make_photos.py`: converted to",
        "RGB and downscaled with Pillow's area (box) filter so the longer side is at most %d px." % MAX_SIDE,
        "",
        "| file | skimage.data | original | stored | bytes | licence |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for fname, func, (w, h), (nw, nh), size in rows:
        lines.append("| %s | %s | %dx%d | %dx%d | %d | %s |" % (fname, func, w, h, nw, nh, size, LICENCE[fname]))
    lines += [
        "",
        "## EfficientNet-Lite0 top-5 (assets/models/efficientnet-lite0.onnx, sidecar preprocessing:",
        "centre crop to 224x224, (x*255-127)/128; softmax probabilities; computed in PyTorch)",
        "",
    ]
    for fname, _ in PHOTOS:
        lines.append("- `%s`: " % fname + "; ".join("%d %s (%.3f)" % r for r in tops[fname]))
    lines.append("")
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write("\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out-dir", default=os.path.join(C.ASSETS, "photos"))
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    rows, version = make(args.out_dir)
    tops = classify(args.out_dir)
    write_readme(args.out_dir, rows, version, tops)


if __name__ == "__main__":
    main()
