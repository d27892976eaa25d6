#!/usr/bin/python3
"""Goldens for the OpenCV-exact resize (src/image/resize_opencv.c):
cv2.resize(rgb, (w, h), interpolation=cv2.INTER_LINEAR) of committed image
fixtures at several scales, up and down, as SHA-256 hashes of the output
bytes plus a few samples, in data/golden/opencv-resize.json.

Run with Debian's /usr/bin/python3 and python3-opencv (OpenCV 4.6, the
version mmseg's numbers were checked against here); the RGB input is
Pillow's decode, which tests/test_images.c already proves equal to upernet's.

    /usr/bin/python3 tools/make_opencv_goldens.py
"""
import hashlib
import json
import os

import cv2
import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGE_DIR = os.path.join(ROOT, "data", "images")
GOLDEN = os.path.join(ROOT, "data", "golden", "opencv-resize.json")

IMAGES = ["jpeg-683x512.jpg", "png-rgb8-41x37.png", "jpeg-444-33x31.jpg", "png-200x3.png",
          "png-3x200.png", "jpeg-progressive-80x60.jpg", "png-1x1.png"]
# (width factor, height factor): shrinking, growing, exact halves, mixed.
FACTORS = [(0.5, 0.5), (0.3, 0.3), (0.77, 0.61), (1.0, 0.5), (1.33, 1.33), (2.0, 2.0),
           (3.7, 2.9), (0.6, 1.8), (2.0, 0.5), (0.25, 0.25), (0.999, 1.001)]


def main():
    cases = []
    for name in IMAGES:
        rgb = np.asarray(Image.open(os.path.join(IMAGE_DIR, name)).convert("RGB"))
        h, w = rgb.shape[:2]
        sizes = []
        for fw, fh in FACTORS:
            size = (max(1, int(w * fw + 0.5)), max(1, int(h * fh + 0.5)))
            if size not in sizes:
                sizes.append(size)
        # mmseg's keep-ratio rescale to (2048, 512) and the 0.5 ms-flip ratio of it.
        for long_side, short_side in ((2048, 512), (1024, 256)):
            s = min(long_side / max(h, w), short_side / min(h, w))
            size = (int(w * s + 0.5), int(h * s + 0.5))
            if size not in sizes:
                sizes.append(size)
        for ow, oh in sizes:
            out = cv2.resize(rgb, (ow, oh), interpolation=cv2.INTER_LINEAR)
            flat = out.reshape(-1)
            picks = np.linspace(0, flat.size - 1, num=min(8, flat.size)).astype(int)
            cases.append({"file": name, "width": ow, "height": oh,
                          "sha256": hashlib.sha256(out.tobytes()).hexdigest(),
                          "samples": [[int(i), int(flat[i])] for i in picks]})
    doc = {"generator": "tools/make_opencv_goldens.py", "opencv": cv2.__version__,
           "call": "cv2.resize(rgb, (width, height), interpolation=cv2.INTER_LINEAR)",
           "cases": cases}
    with open(GOLDEN, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"{GOLDEN}: {len(cases)} cases")


if __name__ == "__main__":
    main()
