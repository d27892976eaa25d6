#!/usr/bin/env python3
"""Goldens for slide inference (src/eval/slide.c): mmseg's slide_inference
written out in PyTorch (the window grid, each window through the model at
its own size, logits summed and divided by the per-pixel window count) over
transformers' UperNet-ConvNeXt tiny with the synthetic weights
(tools/synthetic.py) on the synthetic input (tools/synthetic.py
synthetic_input == tests/golden.c golden_make_input), plus mmseg's window
grid for many image sizes.

Output: data/golden/slide.json.z (zlib'd JSON): per case the sizes, the
windows, logit samples [c, y, x, value], and the argmax (uint8, zlib +
base64).

    python3 tools/make_slide_goldens.py
"""
import base64
import json
import os
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_goldens import build_model, make_config, pick  # noqa: E402
from synthetic import synthetic_input  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(ROOT, "data", "golden", "slide.json.z")

# (height, width, crop, stride): a grid of 2x3 windows, and an image lower
# than the crop (one row of windows of the image's height).
CASES = [(70, 150, 64, 43), (40, 100, 64, 43)]
GRID_CROPS = [(512, 341), (640, 426), (64, 43), (33, 20)]
N_SAMPLES = 400


def mmseg_windows(h_img, w_img, crop, stride):
    """mmseg 1.x EncoderDecoder.slide_inference's loop, verbatim in logic."""
    h_crop = w_crop = crop
    h_stride = w_stride = stride
    h_grids = max(h_img - h_crop + h_stride - 1, 0) // h_stride + 1
    w_grids = max(w_img - w_crop + w_stride - 1, 0) // w_stride + 1
    out = []
    for h_idx in range(h_grids):
        for w_idx in range(w_grids):
            y1 = h_idx * h_stride
            x1 = w_idx * w_stride
            y2 = min(y1 + h_crop, h_img)
            x2 = min(x1 + w_crop, w_img)
            y1 = max(y2 - h_crop, 0)
            x1 = max(x2 - w_crop, 0)
            out.append([y1, y2, x1, x2])
    return out


def slide_logits(model, inputs, crop, stride):
    import torch
    _, _, h_img, w_img = inputs.shape
    num_classes = model.config.num_labels
    preds = inputs.new_zeros((1, num_classes, h_img, w_img))
    count_mat = inputs.new_zeros((1, 1, h_img, w_img))
    for y1, y2, x1, x2 in mmseg_windows(h_img, w_img, crop, stride):
        crop_img = inputs[:, :, y1:y2, x1:x2]
        with torch.no_grad():
            crop_seg_logit = model(pixel_values=crop_img).logits
        preds += torch.nn.functional.pad(crop_seg_logit,
                                         (int(x1), int(preds.shape[3] - x2), int(y1),
                                          int(preds.shape[2] - y2)))
        count_mat[:, :, y1:y2, x1:x2] += 1
    return preds / count_mat


def main():
    import torch
    torch.set_num_threads(2)
    model = build_model(make_config("tiny"))
    cases = []
    for h, w, crop, stride in CASES:
        inputs = torch.from_numpy(synthetic_input(h, w))
        logits = slide_logits(model, inputs, crop, stride).numpy()
        tag = f"slide-{h}x{w}"
        ys, xs, cs = pick(tag + ":y", N_SAMPLES, h), pick(tag + ":x", N_SAMPLES, w), \
            pick(tag + ":c", N_SAMPLES, logits.shape[1])
        argmax = logits[0].argmax(axis=0).astype(np.uint8)
        cases.append({"height": h, "width": w, "crop": crop, "stride": stride,
                      "windows": mmseg_windows(h, w, crop, stride),
                      "samples": [[int(c), int(y), int(x), float(logits[0, c, y, x])]
                                  for c, y, x in zip(cs, ys, xs)],
                      "argmax": base64.b64encode(zlib.compress(argmax.tobytes(), 9)).decode()})
    grids = []
    for crop, stride in GRID_CROPS:
        for h in sorted({1, crop - 1, crop, crop + 1, crop + stride, 2 * crop + 7, 3 * crop - 1,
                         5 * stride + 3, 31, 999}):
            for w in (h, crop + 1, 4 * crop + 13, 17):
                grids.append({"height": h, "width": w, "crop": crop, "stride": stride,
                              "windows": mmseg_windows(h, w, crop, stride)})
    doc = {"generator": "tools/make_slide_goldens.py", "model": "tiny (synthetic weights)",
           "versions": f"torch {torch.__version__} numpy {np.__version__}",
           "cases": cases, "grids": grids}
    with open(GOLDEN, "wb") as f:
        f.write(zlib.compress(json.dumps(doc, separators=(",", ":")).encode(), 9))
    print(f"{GOLDEN}: {len(cases)} slide cases, {len(grids)} grids")


if __name__ == "__main__":
    main()
