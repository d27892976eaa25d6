#!/usr/bin/env python3
"""Expected logits[0, 0, :3, :3] for `upernet verify` with the synthetic
weights (no --weights): transformers' UperNetForSemanticSegmentation with
tools/synthetic.py's weights, on data/images/jpeg-683x512.jpg preprocessed by
SegformerImageProcessorPil at 512x512 -- the same path the conversion script
checks with the real weights and ADE_val_00000001.jpg. Prints the C table
that src/cli/cmd_verify.c embeds, plus the sizes' full-tensor statistics.

    python3 tools/make_verify_slices.py [SIZE...]
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_goldens import SIZES, build_model, make_config  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGE = os.path.join(ROOT, "data", "images", "jpeg-683x512.jpg")


def main():
    from PIL import Image
    from transformers import SegformerImageProcessorPil
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    pixels = SegformerImageProcessorPil()(images=Image.open(IMAGE).convert("RGB"),
                                          return_tensors="pt").pixel_values
    for size in sys.argv[1:] or list(SIZES):
        model = build_model(make_config(size))
        with torch.no_grad():
            logits = model(pixel_values=pixels).logits
        s = logits[0, 0, :3, :3].numpy().astype(np.float32)
        vals = ", ".join("%.9gf" % v for v in s.reshape(-1))
        print("    {\"%s\", {%s}}," % (size, vals), flush=True)


if __name__ == "__main__":
    main()
