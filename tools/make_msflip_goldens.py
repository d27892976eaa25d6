#!/usr/bin/env python3
"""Golden for mmseg's multi-scale + flip test-time augmentation
(`upernet evaluate --mode slide --aug ms-flip`, src/eval/predict.c), written
out in PyTorch from docs/SPECIFICATION.md section 9.3 (mmseg 0.x's
MultiScaleFlipAug and EncoderDecoder.aug_test):

* for each ratio r in 0.5, 0.75, 1.0, 1.25, 1.5, 1.75 the rescale scale is
  (int(long * r), int(short * r)); the image is rescaled keep-ratio to it
  (mmcv rescale_size: int(side * s + 0.5)) with OpenCV's INTER_LINEAR;
* each rescaled image is used as is and mirrored left-right, normalised
  with mmseg's mean and std, and run through slide inference
  (tools/make_slide_goldens.py slide_logits);
* each view's logits are resized bilinearly (align_corners=False) to the
  image's size, softmaxed over the classes, mirrored back where the view
  was, and the 12 views' probabilities averaged; the class map is their
  argmax.

The model is transformers' UperNet-ConvNeXt tiny with the synthetic weights
(tools/synthetic.py), the same as upernet_model_open("tiny", NULL). The
resizes run in Debian's /usr/bin/python3 with python3-opencv (OpenCV 4.6,
the version src/image/resize_opencv.c is checked against), in a subprocess,
since the torch interpreter has no OpenCV.

Output: data/golden/msflip.json.z (zlib'd JSON): the image (RGB uint8, zlib
+ base64), the slide parameters, each view's rescaled size and window
count, the averaged probabilities as samples [c, y, x, value] plus, for
every pixel, the largest of them ("max_prob", row-major), the smallest gap
between a pixel's two largest ("min_top2_margin"), and the argmax (uint8,
zlib + base64).

    /work/venv/bin/python tools/make_msflip_goldens.py   # any python with torch + transformers
"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_goldens import build_model, make_config, pick  # noqa: E402
from make_slide_goldens import mmseg_windows, slide_logits  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(ROOT, "data", "golden", "msflip.json.z")
OPENCV_PYTHON = "/usr/bin/python3"

# A 40x56 image at scale (128, 64), crop 64, stride 48: the x0.5 view is
# 32x45 (one window smaller than the crop, the least upernet's model takes),
# the x1.75 view 112x157 (2x3 windows).
HEIGHT, WIDTH = 40, 56
SCALE = (128, 64)
CROP, STRIDE = 64, 48
RATIOS = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]
N_SAMPLES = 1500

RESIZE_SCRIPT = """
import sys, cv2, numpy as np
image = np.load(sys.argv[1])
sizes = [tuple(int(v) for v in s.split("x")) for s in sys.argv[3:]]
out = {f"v{i}": cv2.resize(image, (w, h), interpolation=cv2.INTER_LINEAR)
       for i, (h, w) in enumerate(sizes)}
np.savez(sys.argv[2], opencv=np.array(cv2.__version__), **out)
"""


def make_image(h, w):
    """A deterministic RGB image: ramps, a quadratic term that makes it
    asymmetric left-right, and stripes."""
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack([(x * 9 + y * 4) % 256,
                    ((x * x) // 3 + y * 7) % 256,
                    (255 - x * 5 + (y // 4) * 30) % 256], axis=-1)
    return rgb.astype(np.uint8)


def rescale_size(h, w, scale):
    """mmcv rescale_size with a (long, short) scale: (height, width)."""
    long_edge, short_edge = max(scale), min(scale)
    s = min(long_edge / max(h, w), short_edge / min(h, w))
    return int(h * s + 0.5), int(w * s + 0.5)


def opencv_resize(image, sizes):
    """cv2.resize(image, (w, h), INTER_LINEAR) for each (h, w), run by
    Debian's interpreter; returns the images and OpenCV's version."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "image.npy"), os.path.join(tmp, "views.npz")
        np.save(src, image)
        subprocess.run([OPENCV_PYTHON, "-c", RESIZE_SCRIPT, src, dst] +
                       [f"{h}x{w}" for h, w in sizes], check=True)
        with np.load(dst) as views:
            return [views[f"v{i}"] for i in range(len(sizes))], str(views["opencv"])


def view_probabilities(model, rescaled, flip, height, width):
    """One view's softmax probabilities at (height, width), unflipped."""
    import torch
    pixels = rescaled[:, ::-1] if flip else rescaled
    t = torch.from_numpy(np.ascontiguousarray(pixels)).permute(2, 0, 1)[None].float()
    t = (t - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    logits = slide_logits(model, t, CROP, STRIDE)
    logits = torch.nn.functional.interpolate(logits, size=(height, width), mode="bilinear",
                                             align_corners=False)
    probs = torch.softmax(logits, dim=1)
    return probs.flip(dims=(3,)) if flip else probs


def main():
    import torch
    torch.set_num_threads(2)
    model = build_model(make_config("tiny"))
    image = make_image(HEIGHT, WIDTH)
    sizes = [rescale_size(HEIGHT, WIDTH, (int(SCALE[0] * r), int(SCALE[1] * r))) for r in RATIOS]
    rescaled, opencv = opencv_resize(image, sizes)
    total = None
    for view in rescaled:
        for flip in (False, True):
            probs = view_probabilities(model, view, flip, HEIGHT, WIDTH)
            total = probs if total is None else total + probs
    probs = (total / (2 * len(RATIOS)))[0].numpy()
    argmax = probs.argmax(axis=0).astype(np.uint8)
    top2 = np.sort(probs, axis=0)[-2:]
    margin = float((top2[1] - top2[0]).min())
    ys, xs, cs = (pick("msflip:y", N_SAMPLES, HEIGHT), pick("msflip:x", N_SAMPLES, WIDTH),
                  pick("msflip:c", N_SAMPLES, probs.shape[0]))
    doc = {"generator": "tools/make_msflip_goldens.py", "model": "tiny (synthetic weights)",
           "versions": f"torch {torch.__version__} numpy {np.__version__} opencv {opencv}",
           "height": HEIGHT, "width": WIDTH, "scale": list(SCALE), "crop": CROP,
           "stride": STRIDE, "ratios": RATIOS,
           "image": base64.b64encode(zlib.compress(image.tobytes(), 9)).decode(),
           "views": [{"height": h, "width": w,
                      "windows": len(mmseg_windows(h, w, CROP, STRIDE))} for h, w in sizes],
           "samples": [[int(c), int(y), int(x), float(probs[c, y, x])]
                       for c, y, x in zip(cs, ys, xs)],
           "max_prob": [float(v) for v in probs.max(axis=0).reshape(-1)],
           "min_top2_margin": margin,
           "argmax": base64.b64encode(zlib.compress(argmax.tobytes(), 9)).decode()}
    with open(GOLDEN, "wb") as f:
        f.write(zlib.compress(json.dumps(doc, separators=(",", ":")).encode(), 9))
    print(f"{GOLDEN}: views {[(v['height'], v['width'], v['windows']) for v in doc['views']]}, "
          f"{len(np.unique(argmax))} classes in the argmax, max prob "
          f"{probs.max(axis=0).min():.4f}..{probs.max():.4f}, top-2 margin >= {margin:.3g}")


if __name__ == "__main__":
    main()
