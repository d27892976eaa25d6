#!/usr/bin/python3
"""Makes the evaluation fixture dataset, data/eval/{images,annotations}/:
a dozen synthetic images in ADE20K's layout (JPEG and PNG, varied sizes and
aspect ratios, one smaller than the test crop, one wider than 4:1, one
portrait, odd sizes) and their 8-bit annotations: regions of a few classes
(values 1..150, class k-1 after ADE20K's zero-label reduction), with
ignored pixels (0 and 255) and an out-of-range value (200) in some.

Deterministic (seeded numpy); rerun only to change the fixtures.

    /usr/bin/python3 tools/make_eval_fixtures.py
"""
import os

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "data", "eval")

# (stem, extension, width, height)
SAMPLES = [
    ("ADE_fixture_01", "jpg", 64, 64),
    ("ADE_fixture_02", "png", 48, 32),
    ("ADE_fixture_03", "jpg", 90, 60),
    ("ADE_fixture_04", "jpg", 33, 75),    # portrait, odd sizes
    ("ADE_fixture_05", "png", 150, 30),   # wider than 4:1
    ("ADE_fixture_06", "png", 24, 20),    # smaller than any crop
    ("ADE_fixture_07", "jpg", 128, 96),
    ("ADE_fixture_08", "jpeg", 71, 71),
    ("ADE_fixture_09", "png", 40, 120),
    ("ADE_fixture_10", "jpg", 100, 57),
    ("ADE_fixture_11", "png", 64, 48),
    ("ADE_fixture_12", "jpg", 57, 43),
]


def make(stem, ext, w, h, seed):
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:h, 0:w]
    labels = np.full((h, w), rng.randint(1, 151), np.uint8)
    rgb = np.zeros((h, w, 3))
    rgb[:] = rng.uniform(40, 215, 3)
    for _ in range(rng.randint(2, 6)):  # discs and bands of other classes
        cls = rng.randint(1, 151)
        if rng.rand() < 0.5:
            cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(3, max(4, min(w, h) / 2))
            mask = (x - cx) ** 2 + (y - cy) ** 2 < r * r
        else:
            y0 = rng.randint(0, h)
            mask = (y >= y0) & (y < y0 + rng.randint(2, max(3, h // 3)))
        labels[mask] = cls
        rgb[mask] = rng.uniform(0, 255, 3)
    rgb += 20 * np.sin(x / 5.0 + seed)[..., None] + rng.normal(0, 5, rgb.shape)
    # ignored pixels: "other objects" (0) along a border, 255 in a square
    labels[:, : max(1, w // 10)] = 0
    if seed % 2 == 0:
        labels[h // 3: h // 3 + 4, w // 2: w // 2 + 4] = 255
    if seed % 3 == 0:
        labels[-3:, -5:] = 200  # out of range after the reduction (199 >= 150)
    image = Image.fromarray(np.clip(np.rint(rgb), 0, 255).astype(np.uint8), "RGB")
    image_path = os.path.join(OUT, "images", f"{stem}.{ext}")
    if ext == "png":
        image.save(image_path)
    else:
        image.save(image_path, quality=90)
    Image.fromarray(labels, "L").save(os.path.join(OUT, "annotations", f"{stem}.png"))


def main():
    for sub in ("images", "annotations"):
        os.makedirs(os.path.join(OUT, sub), exist_ok=True)
    for seed, (stem, ext, w, h) in enumerate(SAMPLES):
        make(stem, ext, w, h, seed)
    print(f"{OUT}: {len(SAMPLES)} images")


if __name__ == "__main__":
    main()
