#!/usr/bin/env python3
"""Write the render test images as raw RGB files NAME_WxH.rgb into a directory:
cat  = skimage.data.chelsea() (451x300);
overlay = the cat blended 50/50 with a jet colour map of a smooth Grad-CAM-like
saliency map (two Gaussian blobs on a 7x7 grid, bilinearly enlarged).
Usage: make_render_images.py OUTDIR [WIDTH HEIGHT]  (default: full size)."""
import sys
import numpy as np
import skimage.data
from skimage.transform import resize

def jet(v):
    r = np.clip(1.5 - np.abs(4 * v - 3), 0, 1)
    g = np.clip(1.5 - np.abs(4 * v - 2), 0, 1)
    b = np.clip(1.5 - np.abs(4 * v - 1), 0, 1)
    return np.stack([r, g, b], -1)

def images():
    cat = skimage.data.chelsea().astype(np.float64) / 255
    h, w = cat.shape[:2]
    yy, xx = np.mgrid[0:7, 0:7] / 6.0
    cam = np.exp(-((xx - 0.35) ** 2 + (yy - 0.45) ** 2) / 0.05) + 0.6 * np.exp(-((xx - 0.8) ** 2 + (yy - 0.2) ** 2) / 0.02)
    cam = resize(cam / cam.max(), (h, w), order=1)
    overlay = 0.5 * cat + 0.5 * jet(cam)
    return {"cat": cat, "overlay": overlay}

out = sys.argv[1]
for name, img in images().items():
    if len(sys.argv) == 4:
        W, H = int(sys.argv[2]), int(sys.argv[3])
        img = resize(img, (H, W), order=1, anti_aliasing=True)
    a = np.clip(np.round(img * 255), 0, 255).astype(np.uint8)
    h, w = a.shape[:2]
    open(f"{out}/{name}_{w}x{h}.rgb", "wb").write(a.tobytes())
    print(f"{out}/{name}_{w}x{h}.rgb")
