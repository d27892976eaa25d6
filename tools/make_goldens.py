#!/usr/bin/env python3
"""Golden data for the C forward pass, produced by transformers itself.

HOW TO COMPARE (for the C model tests; loader: tests/golden.{h,c})
* Every index stored here is NCHW, batch 0: a sample [c, y, x, value] of a
  tensor is tensor[0, c, y, x]. The C side keeps activations NHWC, so read
  element ((y * W) + x) * C + c of the C buffer.
* "stage1".."stage4" (and "stem") are the backbone feature maps AFTER
  hidden_states_norms (the LN'd maps handed to the decode head), one for each
  of the config's out_features. "fpn_bottleneck" is the output of
  decode_head.fpn_bottleneck (conv -> BatchNorm -> ReLU), "classifier" is the
  decode_head.classifier output (before the final upsample to H x W).
* Statistics (mean, std with ddof 0, min, max) are over the whole tensor,
  computed in float64 from the float32 values.
* "logits_slice" is logits[0, 0, :3, :3]; "logits_samples" are [c, y, x, v] of
  the final (1, num_labels, H, W) logits; "argmax" is argmax over classes of
  the final logits (first maximum on ties), uint8 row-major H x W, zlib'd and
  base64'd.
* The input is rebuilt, never stored: tools/synthetic.py synthetic_input() ==
  tests/golden.c golden_make_input() (formula id "tri-hash-v1"), weights are
  tools/synthetic.py == src/model/synthetic.c.

Regenerate (reproduces the committed files byte for byte on the same
versions; CI never runs it):
    python3 tools/make_goldens.py --out data/golden
(or `make goldens` in a build directory). Takes a few minutes on one thread.
"""
import argparse
import base64
import io
import json
import os
import platform
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synthetic import (INPUT_FORMULA, key_hash, massive_channels,  # noqa: E402
                       synthetic_input, synthetic_tensor, uniform)

FORMAT = "upernet-golden-1"
ZLIB_LEVEL = 9
NUM_LOGIT_SAMPLES = 300
NUM_TENSOR_SAMPLES = 50

# docs/SPECIFICATION.md §1.
SIZES = {
    "tiny": ([3, 3, 9, 3], [96, 192, 384, 768]),
    "small": ([3, 3, 27, 3], [96, 192, 384, 768]),
    "base": ([3, 3, 27, 3], [128, 256, 512, 1024]),
    "large": ([3, 3, 27, 3], [192, 384, 768, 1536]),
    "xlarge": ([3, 3, 27, 3], [256, 512, 1024, 2048]),
}
SMALL_CONFIG = "small-config"
# Configurations of other shapes than the Hub's, each written next to its
# goldens as <name>.json (what save_pretrained writes):
# * tester-config: transformers' own UperNetModelTester (tests/models/upernet):
#   three levels (stage2..stage4), hidden sizes 10..40, one block a stage,
#   3 labels;
# * one-level-config: no out_features, so ConvNextConfig's default (the last
#   stage only); the auxiliary head is off (it reads the third level);
# * two-level-config: out_features ["stage1", "stage4"], no auxiliary head;
# * no-layer-scale-config: layer_scale_init_value 0 (blocks without
#   layer_scale_parameter) and out_indices [0, 2, 3]: the stem's output as a
#   level, the last stage unused.
CUSTOM_CONFIGS = ("tester-config", "one-level-config", "two-level-config",
                  "no-layer-scale-config")

# (model, H, W)
CASES = [(size, 75, 103) for size in SIZES] + [
    ("tiny", 512, 512),
    ("tiny", 32, 32),
    ("tiny", 96, 64),
    ("tiny", 130, 47),
    (SMALL_CONFIG, 75, 103),
    (SMALL_CONFIG, 33, 61),
    ("tester-config", 32, 32),
    ("tester-config", 75, 103),
    ("one-level-config", 160, 224),
    ("two-level-config", 75, 103),
    ("no-layer-scale-config", 75, 103),
]

HEAD_TENSORS = ("fpn_bottleneck", "classifier")

# Float64 goldens (format FORMAT_F64): the trained-like recipe, the model run
# in float64 and in float32; (model, H, W).
FORMAT_F64 = "upernet-golden-f64-1"
F64_RECIPE = "trained"
F64_CASES = [("tiny", 75, 103), ("tiny", 256, 320), ("base", 75, 103), ("base", 128, 160)]
NUM_F64_LOGIT_SAMPLES = 1500
NUM_F64_TENSOR_SAMPLES = 100
# Every layer whose output upernet's forward taps (src/model/forward.c):
# tap name -> module path in UperNetForSemanticSegmentation.
F64_TAPS = [("stage%d" % i, "backbone.hidden_states_norms.stage%d" % i) for i in range(1, 5)] + [
    ("ppm_bottleneck", "decode_head.bottleneck")] + [
    ("lateral%d" % i, "decode_head.lateral_convs.%d" % i) for i in range(3)] + [
    ("fpn%d" % i, "decode_head.fpn_convs.%d" % i) for i in range(3)] + [
    ("fpn_bottleneck", "decode_head.fpn_bottleneck"), ("classifier", "decode_head.classifier")]


class F64(float):
    """A float64 value written with all 17 significant digits."""


def make_config(model):
    from transformers import ConvNextConfig, UperNetConfig

    stages = ["stage1", "stage2", "stage3", "stage4"]
    if model == SMALL_CONFIG:
        backbone = ConvNextConfig(depths=[1, 1, 2, 1], hidden_sizes=[16, 24, 32, 48],
                                  out_features=stages)
        return UperNetConfig(backbone_config=backbone, hidden_size=32, pool_scales=[1, 2, 3, 6],
                             num_labels=7, use_auxiliary_head=True, auxiliary_in_channels=32,
                             auxiliary_channels=16)
    if model == "tester-config":
        backbone = ConvNextConfig(num_channels=3, num_stages=4, hidden_sizes=[10, 20, 30, 40],
                                  depths=[1, 1, 1, 1], hidden_act="gelu",
                                  out_features=["stage2", "stage3", "stage4"])
        return UperNetConfig(backbone_config=backbone, hidden_size=64, pool_scales=[1, 2, 3, 6],
                             use_auxiliary_head=True, auxiliary_loss_weight=0.4,
                             auxiliary_in_channels=40, auxiliary_channels=32,
                             auxiliary_num_convs=1, auxiliary_concat_input=False,
                             loss_ignore_index=255, num_labels=3)
    if model == "one-level-config":
        backbone = ConvNextConfig(depths=[1, 1, 2, 1], hidden_sizes=[16, 24, 32, 48])
        return UperNetConfig(backbone_config=backbone, hidden_size=32, pool_scales=[1, 2, 3, 6],
                             num_labels=7, use_auxiliary_head=False)
    if model == "two-level-config":
        backbone = ConvNextConfig(depths=[1, 1, 2, 1], hidden_sizes=[16, 24, 32, 48],
                                  out_features=["stage1", "stage4"])
        return UperNetConfig(backbone_config=backbone, hidden_size=32, pool_scales=[1, 2, 3, 6],
                             num_labels=6, use_auxiliary_head=False)
    if model == "no-layer-scale-config":
        backbone = ConvNextConfig(depths=[1, 2, 1, 1], hidden_sizes=[16, 24, 32, 48],
                                  layer_scale_init_value=0.0, out_indices=[0, 2, 3])
        return UperNetConfig(backbone_config=backbone, hidden_size=32, pool_scales=[1, 2, 3, 6],
                             num_labels=5, use_auxiliary_head=True, auxiliary_in_channels=32,
                             auxiliary_channels=16)
    depths, hidden = SIZES[model]
    backbone = ConvNextConfig(depths=depths, hidden_sizes=hidden, out_features=stages)
    return UperNetConfig(backbone_config=backbone, hidden_size=512, pool_scales=[1, 2, 3, 6],
                         num_labels=150, use_auxiliary_head=True,
                         auxiliary_in_channels=hidden[2], auxiliary_channels=256)


def build_model(config, recipe="default"):
    import torch
    from transformers import UperNetForSemanticSegmentation

    from synthetic import synthetic_state_dict
    with torch.device("meta"):
        model = UperNetForSemanticSegmentation(config)
    model.load_state_dict(synthetic_state_dict(config, recipe), strict=True, assign=True)
    model.eval()
    return model


# ---- deterministic JSON: sorted keys, no spaces, floats as %.9g ----------
def dump(obj, out):
    if isinstance(obj, dict):
        out.write("{")
        for i, k in enumerate(sorted(obj)):
            if i:
                out.write(",")
            out.write(json.dumps(k))
            out.write(":")
            dump(obj[k], out)
        out.write("}")
    elif isinstance(obj, (list, tuple)):
        out.write("[")
        for i, v in enumerate(obj):
            if i:
                out.write(",")
            dump(v, out)
        out.write("]")
    elif isinstance(obj, (bool, np.bool_)):
        out.write("true" if obj else "false")
    elif isinstance(obj, (int, np.integer)):
        out.write("%d" % int(obj))
    elif isinstance(obj, F64):
        if not np.isfinite(obj):
            raise ValueError("non-finite value in golden data")
        out.write("%.17g" % float(obj))
    elif isinstance(obj, (float, np.floating)):
        v = float(obj)
        if not np.isfinite(v):
            raise ValueError("non-finite value in golden data")
        out.write("%.9g" % v)
    elif isinstance(obj, str):
        out.write(json.dumps(obj))
    else:
        raise TypeError(type(obj))


def to_bytes(obj):
    buf = io.StringIO()
    dump(obj, buf)
    buf.write("\n")
    return buf.getvalue().encode("utf-8")


# ---- sampling: hash-chosen positions, so no RNG version matters ----------
def pick(tag, n, bound):
    """n indices in [0, bound) from the synthetic hash of `tag`."""
    u = uniform(key_hash(tag), np.arange(n, dtype=np.uint64)).astype(np.float64)
    return np.minimum(((u + 1.0) * 0.5 * bound).astype(np.int64), bound - 1)


def samples(tensor, tag, n, channels_round_robin):
    """[[c, y, x, value], ...] of a (1, C, H, W) float32 array: the four corners
    of channel 0 first, then n hash-chosen points."""
    _, C, H, W = tensor.shape
    pts = [(0, 0, 0), (0, 0, W - 1), (0, H - 1, 0), (0, H - 1, W - 1)]
    ys = pick(tag + ":y", n, H)
    xs = pick(tag + ":x", n, W)
    cs = np.arange(n) % C if channels_round_robin else pick(tag + ":c", n, C)
    pts += [(int(c), int(y), int(x)) for c, y, x in zip(cs, ys, xs)]
    return [[c, y, x, float(tensor[0, c, y, x])] for c, y, x in pts]


def stats(t):
    d = t.astype(np.float64)
    return {"mean": float(d.mean()), "std": float(d.std()), "min": float(d.min()),
            "max": float(d.max())}


def versions():
    import torch
    import transformers
    return {"numpy": np.__version__, "python": platform.python_version(),
            "torch": torch.__version__, "transformers": transformers.__version__,
            "zlib": zlib.ZLIB_VERSION}


def config_summary(model, config):
    bb = config.backbone_config
    summary = {"name": model, "depths": list(bb.depths), "hidden_sizes": list(bb.hidden_sizes),
               "hidden_size": config.hidden_size, "pool_scales": list(config.pool_scales),
               "num_labels": config.num_labels,
               # 0: unset (None), as when the auxiliary head is off
               "auxiliary_in_channels": config.auxiliary_in_channels or 0,
               "auxiliary_channels": config.auxiliary_channels}
    if model in CUSTOM_CONFIGS:  # (the older files stay byte for byte as they were)
        summary["out_features"] = list(bb.out_features)
        summary["layer_scale_init_value"] = float(bb.layer_scale_init_value)
    return summary


def run_case(model_name, model, config, height, width):
    import torch

    captured = {}

    def hook(name):
        def store(module, inputs, output):
            captured[name] = output.detach().numpy().copy()
        return store

    levels = list(config.backbone_config.out_features)
    handles = [model.backbone.hidden_states_norms[name].register_forward_hook(hook(name))
               for name in levels]
    handles.append(model.decode_head.fpn_bottleneck.register_forward_hook(hook("fpn_bottleneck")))
    handles.append(model.decode_head.classifier.register_forward_hook(hook("classifier")))
    pixels = torch.from_numpy(synthetic_input(height, width))
    with torch.no_grad():
        logits = model(pixel_values=pixels).logits.numpy()
    for h in handles:
        h.remove()

    assert logits.shape == (1, config.num_labels, height, width), logits.shape
    assert np.isfinite(logits).all()
    tag = "%s-%dx%d" % (model_name, height, width)
    argmax = logits[0].argmax(axis=0).astype(np.uint8)
    # The synthetic scales must keep the model well conditioned (SYNTHETIC.md).
    assert np.abs(logits).max() < 50.0 and logits.std() > 0.3, "degenerate logits"
    assert np.unique(argmax).size >= min(5, config.num_labels - 2), "degenerate argmax"
    golden = {
        "format": FORMAT,
        "config": config_summary(model_name, config),
        "input": {"height": height, "width": width, "formula": INPUT_FORMULA},
        "versions": versions(),
        "logits_shape": list(logits.shape),
        "logits_slice": [[float(v) for v in row] for row in logits[0, 0, :3, :3]],
        "logits_stats": stats(logits),
        "logits_samples": samples(logits, tag + ":logits", NUM_LOGIT_SAMPLES, True),
        "tensors": {},
        "argmax": {"encoding": "base64(zlib(uint8[H][W]))",
                   "data": base64.b64encode(zlib.compress(argmax.tobytes(), ZLIB_LEVEL)).decode(),
                   "classes_present": int(np.unique(argmax).size)},
    }
    for name in levels + list(HEAD_TENSORS):
        t = captured[name]
        entry = stats(t)
        entry["shape"] = list(t.shape)
        entry["samples"] = samples(t, tag + ":" + name, NUM_TENSOR_SAMPLES, False)
        golden["tensors"][name] = entry
    return tag, golden


def forward_with_taps(model, pixels):
    """(logits, {tap name: output}) as float64 numpy arrays, in the model's dtype."""
    import torch

    captured = {}
    handles = []
    for name, path in F64_TAPS:
        def store(module, inputs, output, name=name):
            captured[name] = output.detach().double().numpy().copy()
        handles.append(model.get_submodule(path).register_forward_hook(store))
    with torch.no_grad():
        logits = model(pixel_values=pixels).logits.double().numpy()
    for h in handles:
        h.remove()
    return logits, captured


def f64_samples(t64, t32, tag, n):
    """[[c, y, x, float64 value, PyTorch float32 value], ...]: hash-chosen points."""
    _, C, H, W = t64.shape
    cs, ys, xs = pick(tag + ":c", n, C), pick(tag + ":y", n, H), pick(tag + ":x", n, W)
    return [[int(c), int(y), int(x), F64(t64[0, c, y, x]), float(t32[0, c, y, x])]
            for c, y, x in zip(cs, ys, xs)]


def f64_entry(t64, t32, tag, n):
    """Samples, float64 statistics and PyTorch float32's errors of one tensor."""
    err = np.abs(t32 - t64)
    picked = f64_samples(t64, t32, tag, n)
    entry = {key: F64(v) for key, v in stats(t64).items()}
    entry.update({
        "shape": list(t64.shape),
        "samples": picked,
        # Over the whole tensor, and over the samples (what the tests compare).
        "pytorch_f32_max_error": F64(err.max()),
        "pytorch_f32_max_error_samples": F64(max(abs(p[4] - p[3]) for p in picked)),
        "max_abs": F64(np.abs(t64).max()),
    })
    return entry


def run_f64_case(model_name, model, config, height, width):
    """Float64 golden of one case: `model` is the float32 model (left float32)."""
    import copy

    import torch

    pixels = synthetic_input(height, width)
    logits32, taps32 = forward_with_taps(model, torch.from_numpy(pixels))
    model64 = copy.deepcopy(model).double()
    logits64, taps64 = forward_with_taps(model64, torch.from_numpy(pixels).double())
    del model64
    assert np.isfinite(logits64).all()
    tag = "%s-%s-%dx%d" % (model_name, F64_RECIPE, height, width)
    golden = {
        "format": FORMAT_F64,
        "config": config_summary(model_name, config),
        "recipe": F64_RECIPE,
        "input": {"height": height, "width": width, "formula": INPUT_FORMULA},
        "versions": versions(),
        "cpu": platform.processor() or platform.machine(),
        "torch_threads": torch.get_num_threads(),
        "logits": f64_entry(logits64, logits32, "f64:" + tag + ":logits", NUM_F64_LOGIT_SAMPLES),
        "tensors": {name: f64_entry(taps64[name], taps32[name], "f64:" + tag + ":" + name,
                                    NUM_F64_TENSOR_SAMPLES) for name, _ in F64_TAPS},
    }
    return tag, golden


def write_f64_goldens(out_dir, only):
    by_model = {}
    for model_name, h, w in F64_CASES:
        by_model.setdefault(model_name, []).append((h, w))
    for model_name, shapes in by_model.items():
        todo = [(h, w) for h, w in shapes
                if only is None or "%s-%s-%dx%d" % (model_name, F64_RECIPE, h, w) in only]
        if not todo:
            continue
        config = make_config(model_name)
        model = build_model(config, F64_RECIPE)
        for h, w in todo:
            tag, golden = run_f64_case(model_name, model, config, h, w)
            path = os.path.join(out_dir, tag + ".f64.json.z")
            with open(path, "wb") as f:
                f.write(zlib.compress(to_bytes(golden), ZLIB_LEVEL))
            print("%s: %d bytes, PyTorch f32 max error %.3g (logits up to %.1f)" % (
                path, os.path.getsize(path), golden["logits"]["pytorch_f32_max_error"],
                golden["logits"]["max_abs"]), flush=True)
        del model


def write_config(name, config, out_dir):
    """config.json as save_pretrained writes it (defaults left out)."""
    config.architectures = ["UperNetForSemanticSegmentation"]
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        f.write(config.to_json_string())


def state_dict_shapes(config):
    import torch
    from transformers import UperNetForSemanticSegmentation
    with torch.device("meta"):
        model = UperNetForSemanticSegmentation(config)
    return [(k, tuple(int(d) for d in t.shape)) for k, t in model.state_dict().items()]


def bits(v):
    return "%08x" % int(np.float32(v).view(np.uint32))


def write_synthetic_table(out_dir):
    """Reference values for tests/test_synthetic.c: key hashes, weights and
    input pixels as float32 bit patterns."""
    lines = ["# Written by tools/make_goldens.py; checked by tests/test_synthetic.c.",
             "# h KEY HASH64 | w KEY SHAPE INDEX F32BITS | i H W C Y X F32BITS (hash, bits hex; rest decimal)",
             "# t KEY SHAPE INDEX F32BITS: recipe \"trained\" where it differs from the default"]
    keys = state_dict_shapes(make_config(SMALL_CONFIG))
    xl_prefixes = ("backbone.embeddings.", "backbone.encoder.stages.3.downsampling_layer.",
                   "backbone.encoder.stages.2.layers.26.", "backbone.hidden_states_norms.stage4.",
                   "decode_head.psp_modules.3.", "decode_head.bottleneck.",
                   "decode_head.fpn_bottleneck.", "decode_head.classifier.",
                   "decode_head.lateral_convs.0.", "auxiliary_head.")
    keys += [(k, s) for k, s in state_dict_shapes(make_config("xlarge"))
             if k.startswith(xl_prefixes)]
    for key, shape in keys:
        lines.append("h\t%s\t%016x" % (key, key_hash(key)))
        values = synthetic_tensor(key, shape).ravel()
        numel = values.size
        for index in sorted({0, numel - 1, int(pick("table:" + key, 1, numel)[0])}):
            lines.append("w\t%s\t%s\t%d\t%s" % (key, "x".join(map(str, shape)) or "-",
                                                    index, bits(values[index])))
    for key, shape in keys:
        if not key.endswith(("layer_scale_parameter", ".batch_norm.weight", ".pwconv2.bias")):
            continue
        values = synthetic_tensor(key, shape, "trained").ravel()
        numel = values.size
        indices = {0, numel - 1, int(pick("table:trained:" + key, 1, numel)[0])}
        if key.endswith(".pwconv2.bias"):
            indices |= set(massive_channels(key_hash(key), numel))
        for index in sorted(indices):
            lines.append("t\t%s\t%s\t%d\t%s" % (key, "x".join(map(str, shape)), index,
                                                    bits(values[index])))
    for h, w in ((32, 32), (75, 103), (512, 512), (130, 47)):
        img = synthetic_input(h, w)
        tag = "table:input-%dx%d" % (h, w)
        pts = [(0, 0, 0), (2, h - 1, w - 1)] + list(zip(
            (int(v) for v in pick(tag + ":c", 20, 3)), (int(v) for v in pick(tag + ":y", 20, h)),
            (int(v) for v in pick(tag + ":x", 20, w))))
        for c, y, x in pts:
            lines.append("i\t%d\t%d\t%d\t%d\t%d\t%s" % (h, w, c, y, x, bits(img[0, c, y, x])))
    with open(os.path.join(out_dir, "synthetic-table.tsv"), "w") as f:
        f.write("\n".join(lines) + "\n")


# (classes, height, width, target height, target width): logits resized up,
# down, to a photo-like size with 150 classes, and kept at their size.
POSTPROCESS_CASES = [(7, 17, 23, 75, 103), (5, 64, 48, 30, 41), (150, 32, 32, 171, 128),
                     (3, 20, 20, 20, 20)]


def postprocess_key(classes, height, width):
    """State-dict-like key whose synthetic tensor are the case's logits."""
    return "postprocess.logits_%dx%dx%d.weight" % (classes, height, width)


def write_postprocess_goldens(out_dir):
    """transformers' post_process_semantic_segmentation(target_sizes=...) on
    synthetic logits (rebuilt in C with upernet_synthetic_fill of the key):
    the class map at the target size, for tests/test_postprocess.c."""
    import torch
    from types import SimpleNamespace
    from transformers import SegformerImageProcessorPil

    processor = SegformerImageProcessorPil()
    cases = []
    for classes, h, w, th, tw in POSTPROCESS_CASES:
        key = postprocess_key(classes, h, w)
        logits = torch.from_numpy(synthetic_tensor(key, (classes, h, w)).copy())[None]
        seg = processor.post_process_semantic_segmentation(
            SimpleNamespace(logits=logits), target_sizes=[(th, tw)])[0]
        seg = seg["segmentation"] if not isinstance(seg, torch.Tensor) else seg
        classes_map = seg.numpy().astype(np.uint8)
        assert classes_map.shape == (th, tw)
        cases.append({"key": key, "classes": classes, "height": h, "width": w,
                      "target_height": th, "target_width": tw,
                      "argmax": base64.b64encode(zlib.compress(classes_map.tobytes(),
                                                               ZLIB_LEVEL)).decode(),
                      "classes_present": int(np.unique(classes_map).size)})
    golden = {"format": "upernet-postprocess-1", "versions": versions(),
              "encoding": "base64(zlib(uint8[target_height][target_width]))", "cases": cases}
    path = os.path.join(out_dir, "postprocess.json.z")
    with open(path, "wb") as f:
        f.write(zlib.compress(to_bytes(golden), ZLIB_LEVEL))
    print("%s: %d bytes" % (path, os.path.getsize(path)), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="data/golden", help="output folder (default data/golden)")
    ap.add_argument("--only", default=None,
                    help="comma-separated case tags (e.g. tiny-75x103, postprocess)")
    args = ap.parse_args()

    import torch
    torch.set_num_threads(1)
    torch.manual_seed(0)
    os.makedirs(args.out, exist_ok=True)
    only = set(args.only.split(",")) if args.only else None
    if only is None:
        write_synthetic_table(args.out)
    if only is None or "postprocess" in only:
        write_postprocess_goldens(args.out)

    by_model = {}
    for model_name, h, w in CASES:
        by_model.setdefault(model_name, []).append((h, w))
    for model_name, shapes in by_model.items():
        todo = [(h, w) for h, w in shapes
                if only is None or "%s-%dx%d" % (model_name, h, w) in only]
        if not todo:
            continue
        config = make_config(model_name)
        if model_name == SMALL_CONFIG or model_name in CUSTOM_CONFIGS:
            write_config(model_name, config, args.out)
        model = build_model(config)
        for h, w in todo:
            tag, golden = run_case(model_name, model, config, h, w)
            path = os.path.join(args.out, tag + ".json.z")
            with open(path, "wb") as f:
                f.write(zlib.compress(to_bytes(golden), ZLIB_LEVEL))
            print("%s: %d bytes, %d argmax classes" % (
                path, os.path.getsize(path), golden["argmax"]["classes_present"]), flush=True)
        del model
    write_f64_goldens(args.out, only)


if __name__ == "__main__":
    main()
