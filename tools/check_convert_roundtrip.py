#!/usr/bin/env python3
"""Proves that `upernet convert` writes what transformers' save_pretrained would:
builds a synthetic-weights UperNet-ConvNeXt (tools/synthetic.py), saves it as an
mmsegmentation checkpoint ({'meta', 'state_dict' with mmseg names, 'optimizer'}),
converts it with `upernet convert`, loads the result with
UperNetForSemanticSegmentation.from_pretrained and compares its logits with the
original model's (they must be identical: the weights are copied unchanged).
It also runs `upernet forward --weights` on the converted file and on the .pth,
and checks that a checkpoint given the wrong --model is refused naming its size.

Not a CI step (needs the Python venv and a few GB of disk for large sizes):
    python3 tools/check_convert_roundtrip.py --upernet BUILD/upernet [--size tiny]
"""
import argparse
import collections
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--upernet", required=True, help="path of the built upernet binary")
    ap.add_argument("--size", default="tiny", choices=["tiny", "small", "base", "large", "xlarge"])
    ap.add_argument("--height", type=int, default=96)
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--keep", help="directory to keep the files in (default: a temporary one)")
    args = ap.parse_args()

    from make_goldens import build_model, make_config
    from transformers import UperNetForSemanticSegmentation

    config = make_config(args.size)
    model = build_model(config)
    hf_sd = model.state_dict()

    to_mmseg = {}
    with open(os.path.join(HERE, "..", "data", "state_dict_keys.tsv")) as f:
        for line in f:
            size, hf, mmseg, _, _ = line.rstrip("\n").split("\t")
            if size == args.size:
                to_mmseg[hf] = mmseg
    missing = [k for k in hf_sd if k not in to_mmseg]
    assert not missing, f"no mmseg name for {missing[:3]}"
    mm_sd = collections.OrderedDict((to_mmseg[k], v.clone()) for k, v in hf_sd.items())

    work = args.keep or tempfile.mkdtemp(prefix="upernet-roundtrip-")
    os.makedirs(work, exist_ok=True)
    pth = os.path.join(work, f"upernet_convnext_{args.size}_synthetic.pth")
    torch.save({"meta": {"mmcv_version": "1.4.2", "iter": np.int64(160000), "CLASSES": ("wall", "building")},
                "state_dict": mm_sd, "optimizer": {"state": {}, "param_groups": [{"lr": 1e-4}]}}, pth)
    out_dir = os.path.join(work, "converted")
    run = subprocess.run([args.upernet, "convert", pth, out_dir, "--model", args.size], capture_output=True,
                         text=True)
    print("$ upernet convert", pth, out_dir, "--model", args.size)
    print(run.stdout.strip(), run.stderr.strip())
    assert run.returncode == 0, "convert failed"

    loaded = UperNetForSemanticSegmentation.from_pretrained(out_dir).eval()
    # transformers' own save_pretrained of the same model, as the reference
    ref_dir = os.path.join(work, "save_pretrained")
    model.save_pretrained(ref_dir)
    reference = UperNetForSemanticSegmentation.from_pretrained(ref_dir).eval()
    a, b = reference.state_dict(), loaded.state_dict()
    same_weights = set(a) == set(b) and all(torch.equal(a[k], b[k]) for k in a)
    print(f"state dict of from_pretrained(converted) == from_pretrained(save_pretrained): {same_weights}")
    torch.manual_seed(0)
    pixels = torch.randn(1, 3, args.height, args.width)
    with torch.no_grad():
        want = model(pixel_values=pixels).logits
        ref = reference(pixel_values=pixels).logits
        got = loaded(pixel_values=pixels).logits
    diff = (ref - got).abs().max().item()
    print(f"from_pretrained(converted) vs from_pretrained(save_pretrained): max |dlogit| = {diff:.3g} "
          f"over {tuple(want.shape)}")
    # (the in-memory original differs from both by float noise, from torch's memory layout)
    print(f"from_pretrained(converted) vs the in-memory original: max |dlogit| = "
          f"{(want - got).abs().max().item():.3g} (logits up to {want.abs().max().item():.3g})")
    ok = same_weights and diff == 0.0

    # the C forward on the converted file and on the original .pth
    np.save(os.path.join(work, "pixels.npy"), pixels.numpy())
    for weights in (os.path.join(out_dir, "model.safetensors"), pth):
        logits = os.path.join(work, "logits.npy")
        run = subprocess.run([args.upernet, "forward", "--model", args.size, "--weights", weights, "--input",
                              os.path.join(work, "pixels.npy"), "--logits", logits], capture_output=True, text=True)
        if run.returncode != 0:
            print(f"upernet forward --weights {weights} failed: {run.stderr.strip()}")
            ok = False
            continue
        c = torch.from_numpy(np.load(logits))
        d = (c - want).abs().max().item()
        print(f"upernet forward --weights {os.path.basename(weights)} vs transformers: max |dlogit| = {d:.3g}")
        ok = ok and d <= 1e-4 * max(1.0, want.abs().max().item())

    other = "small" if args.size != "small" else "tiny"
    run = subprocess.run([args.upernet, "forward", "--model", other, "--weights", pth, "--input",
                          os.path.join(work, "pixels.npy"), "--logits", os.path.join(work, "x.npy")],
                         capture_output=True, text=True)
    print(f"--model {other} with a {args.size} checkpoint: exit {run.returncode}: {run.stderr.strip()[:200]}")
    ok = ok and run.returncode == 1 and f"'{args.size}'" in run.stderr

    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
