#!/usr/bin/env python3
"""Writes the checkpoint-reader fixtures in data/fixtures/ with real torch.save
(and the safetensors library), plus manifest.json describing what a correct
reader must find in each: tensor names (HF names after renaming), dtypes,
shapes and checksums, or the error a hostile file must produce.

Not run by `make check` (the fixtures are committed). Regenerate with
    python3 tools/make_checkpoint_fixtures.py data/fixtures
and the checkpoint with unexpected keys (extra_keys.*) with
    python3 tools/make_checkpoint_fixtures.py --extra-keys data/fixtures
The weights are random but seeded, so reruns give the same tensors (torch's
zip files also embed a random serialization id, so bytes may differ).
"""
import collections
import io
import json
import os
import struct
import sys
import tarfile
import zipfile

import numpy as np
import torch
from safetensors.torch import save_file
from transformers import ConvNextConfig, UperNetConfig, UperNetForSemanticSegmentation

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS_TSV = os.path.join(HERE, "..", "data", "state_dict_keys.tsv")


def small_config():
    """A tiny UperNet-ConvNeXt: same key structure as the real ones, depth 1 per stage."""
    backbone = ConvNextConfig(depths=[1, 1, 1, 1], hidden_sizes=[4, 4, 8, 8],
                              out_features=["stage1", "stage2", "stage3", "stage4"])
    return UperNetConfig(backbone_config=backbone, hidden_size=4, auxiliary_in_channels=8,
                         auxiliary_channels=2, num_labels=3, pool_scales=[1, 2, 3, 6])


def small_state_dict():
    torch.manual_seed(1234)
    model = UperNetForSemanticSegmentation(small_config()).eval()
    sd = collections.OrderedDict()
    g = torch.Generator().manual_seed(42)
    for k, v in model.state_dict().items():
        if v.dtype == torch.int64:
            sd[k] = torch.randint(0, 1000, v.shape, generator=g, dtype=torch.int64)
        elif k.endswith("running_var"):  # must stay positive
            sd[k] = torch.rand(v.shape, generator=g, dtype=torch.float32) * 0.5 + 0.5
        else:
            sd[k] = torch.randn(v.shape, generator=g, dtype=torch.float32) * 0.1
    model.load_state_dict(sd, strict=True)
    return model, sd


def golden_logits(model):
    """Logits of the fixture weights on a fixed input, which the C test recomputes."""
    n = 3 * 32 * 32
    x = ((torch.arange(n, dtype=torch.float32) % 17) - 8) / 8
    with torch.no_grad():
        y = model(pixel_values=x.reshape(1, 3, 32, 32)).logits.to(torch.float64).reshape(-1)
    step = max(1, y.numel() // 48)
    return {"input": "x[i] = ((i % 17) - 8) / 8, i over (1, 3, 32, 32) in C order",
            "shape": [1, model.config.num_labels, 32, 32], "sum": float(y.sum()), "abs_sum": float(y.abs().sum()),
            "samples": [[i, float(y[i])] for i in range(0, y.numel(), step)]}


def hf_to_mmseg():
    """HF name -> mmseg name, from the key table (tiny covers every pattern)."""
    table = {}
    with open(KEYS_TSV) as f:
        for line in f:
            size, hf, mmseg, _, _ = line.rstrip("\n").split("\t")
            if size == "tiny":
                table[hf] = mmseg
    return table


def describe(t):
    """What the manifest records of one tensor: as the C reader hands it out."""
    if t.dtype.is_floating_point:
        v = t.detach().to(torch.float32).to(torch.float64).reshape(-1)
        kind = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64"}[t.dtype]
        return {"dtype": kind, "shape": list(t.shape), "sum": float(v.sum()), "abs_sum": float(v.abs().sum()),
                "first": [float(x) for x in v[:2]]}
    kind = {torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
            torch.bool: "BOOL"}[t.dtype]
    v = t.to(torch.int64).reshape(-1)
    return {"dtype": kind, "shape": list(t.shape), "int_values": [int(x) for x in v]}


def main(out):
    os.makedirs(out, exist_ok=True)
    manifest = {"fixtures": [], "hostile": []}
    model, sd = small_state_dict()
    with open(os.path.join(out, "small_config.json"), "w") as f:
        f.write(model.config.to_json_string())
    manifest["small_model"] = {"config": "small_config.json", "logits": golden_logits(model)}

    def good(name, fmt, naming, tensors, renamed=None):
        renamed = renamed or {}
        entry = {"file": name, "format": fmt, "naming": naming, "tensors": {}}
        for k, t in tensors.items():
            entry["tensors"][renamed.get(k, k)] = describe(t)
        manifest["fixtures"].append(entry)
        size = os.path.getsize(os.path.join(out, name))
        assert size < 100_000, (name, size)

    def hostile(name, status, contains):
        manifest["hostile"].append({"file": name, "status": status, "message_contains": contains})

    # --- HF naming: zip to a path (archive folder = file stem) and to a file object ("archive/")
    torch.save(sd, os.path.join(out, "hf_zip_path.pt"))
    good("hf_zip_path.pt", "torch zip", "hf", sd)
    buf = io.BytesIO()
    torch.save(sd, buf)
    with open(os.path.join(out, "hf_zip_fileobj.bin"), "wb") as f:
        f.write(buf.getvalue())
    good("hf_zip_fileobj.bin", "torch zip", "hf", sd)
    # --- legacy (non-zip) format
    torch.save(sd, os.path.join(out, "hf_legacy.bin"), _use_new_zipfile_serialization=False)
    good("hf_legacy.bin", "torch legacy", "hf", sd)
    # --- safetensors by the safetensors library
    save_file(sd, os.path.join(out, "hf.safetensors"), metadata={"format": "pt"})
    good("hf.safetensors", "safetensors", "hf", sd)

    # --- mmseg naming inside mmcv's checkpoint dict
    to_mmseg = hf_to_mmseg()
    mm_sd = collections.OrderedDict((to_mmseg[k], v) for k, v in sd.items())
    back = {to_mmseg[k]: k for k in sd}
    meta = {
        "mmcv_version": "1.4.2", "time": "Thu Jan 13 10:00:00 2022", "epoch": np.int64(160),
        "iter": np.int64(160000), "lr": np.float64(1e-4), "seed": np.int32(0), "exp_name": "upernet.py",
        "CLASSES": ("wall", "building", "sky"), "PALETTE": [[120, 120, 120], [180, 120, 120], [6, 230, 230]],
        "hook_msgs": {"last_ckpt": "work_dirs/iter_160000.pth", "best": {"mIoU": np.float32(0.46)}},
        "env_info": "sys.platform: linux\nPython: 3.7", "config": "model = dict(type='EncoderDecoder')\n",
        "shape": np.zeros((2, 2), dtype=np.float32),
    }
    first = next(iter(mm_sd.values()))
    optimizer = {"state": {0: {"step": torch.tensor(3.0), "exp_avg": torch.zeros_like(first)}},
                 "param_groups": [{"lr": 1e-4, "betas": (0.9, 0.999), "params": [0]}]}
    ckpt = {"meta": meta, "state_dict": mm_sd, "optimizer": optimizer}
    torch.save(ckpt, os.path.join(out, "mmseg.pth"))
    good("mmseg.pth", "torch zip", "mmseg", mm_sd, back)
    torch.save({"meta": meta, "state_dict": mm_sd}, os.path.join(out, "mmseg_legacy.pth"),
               _use_new_zipfile_serialization=False)
    good("mmseg_legacy.pth", "torch legacy", "mmseg", mm_sd, back)

    # --- storage sharing, strided views and other dtypes (names of neither convention)
    base = torch.arange(48, dtype=torch.float32).reshape(6, 8) * 0.5 - 3
    views = collections.OrderedDict([
        ("shared.rows", base[2:4]),             # offset into a shared storage
        ("shared.column", base[:, 3]),          # strided 1-d view
        ("shared.transposed", base.t()),        # non-contiguous 2-d view
        ("shared.whole", base),
        ("half", (torch.randn(3, 5, generator=torch.Generator().manual_seed(5)) * 3).half()),
        ("bfloat", (torch.randn(7, generator=torch.Generator().manual_seed(6)) * 3).bfloat16()),
        ("double", torch.randn(2, 3, generator=torch.Generator().manual_seed(7), dtype=torch.float64)),
        ("half.transposed", torch.arange(12, dtype=torch.float16).reshape(3, 4).t()),
        ("count", torch.tensor(12345, dtype=torch.int64)),
        ("ints", torch.tensor([-3, 0, 7], dtype=torch.int32)),
        ("flags", torch.tensor([True, False, True])),
        ("empty", torch.zeros(0, 4)),
        ("scalar", torch.tensor(2.5)),
    ])
    torch.save(views, os.path.join(out, "views.pt"))
    good("views.pt", "torch zip", "unknown", views)
    torch.save(views, os.path.join(out, "views_legacy.pt"), _use_new_zipfile_serialization=False)
    good("views_legacy.pt", "torch legacy", "unknown", views)
    contiguous = collections.OrderedDict((k, v.contiguous()) for k, v in views.items()
                                         if not k.startswith("shared.") or k == "shared.whole")
    save_file(contiguous, os.path.join(out, "dtypes.safetensors"))
    good("dtypes.safetensors", "safetensors", "unknown", contiguous)
    # a big-endian checkpoint (byteorder record "big"): torch's own pickle, records byte-swapped
    be = collections.OrderedDict([("x", torch.tensor([1.5, -2.0, 3.25])), ("h", torch.tensor([0.5, -1.0]).half()),
                                  ("n", torch.tensor(-7, dtype=torch.int64)), ("xt", torch.arange(6.0).reshape(2, 3).t())])
    buf = io.BytesIO()
    torch.save(be, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    item = {"0": 4, "1": 2, "2": 8, "3": 4}  # storage keys in order of first use
    with zipfile.ZipFile(os.path.join(out, "big_endian.pt"), "w", zipfile.ZIP_STORED) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            rel = info.filename.split("/", 1)[1]
            if rel == "byteorder":
                data = b"big"
            elif rel.startswith("data/"):
                n = item[rel[5:]]
                data = b"".join(data[i:i + n][::-1] for i in range(0, len(data), n))
            z.writestr(info.filename, data)
    good("big_endian.pt", "torch zip", "unknown", be)
    # older HF revisions: numeric hidden_states_norms.{i}
    alias, back_alias = collections.OrderedDict(), {}
    for k, v in sd.items():
        if "hidden_states_norms.stage" in k:
            i = int(k.split("hidden_states_norms.stage")[1].split(".")[0])
            old = k.replace(f"hidden_states_norms.stage{i}.", f"hidden_states_norms.{i - 1}.")
            back_alias[old] = k
            k = old
        alias[k] = v
    save_file(alias, os.path.join(out, "hf_alias.safetensors"))
    good("hf_alias.safetensors", "safetensors", "hf", alias, back_alias)

    # --- refused: TorchScript, tar, not weights
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), os.path.join(out, "torchscript.pt"))
    hostile("torchscript.pt", "unsupported", "TorchScript")
    tar_path = os.path.join(out, "old_tar.tar")
    with tarfile.open(tar_path, "w", format=tarfile.USTAR_FORMAT) as tf:
        info = tarfile.TarInfo("sys_info")
        payload = b"\x80\x02}q\x00."
        info.size = len(payload)
        tf.addfile(info, io.BytesIO(payload))
    hostile("old_tar.tar", "unsupported", "tar archive")
    with open(os.path.join(out, "not_weights.txt"), "w") as f:
        f.write("this is a text file, not weights\n")
    hostile("not_weights.txt", "format", "not a weights file")

    # --- hostile torch zips
    with open(os.path.join(out, "views.pt"), "rb") as f:
        good_zip = f.read()
    with open(os.path.join(out, "truncated_zip.pt"), "wb") as f:
        f.write(good_zip[: len(good_zip) // 2])
    hostile("truncated_zip.pt", "format", "not a valid zip archive: truncated")

    def write_zip(name, entries):
        with zipfile.ZipFile(os.path.join(out, name), "w", zipfile.ZIP_STORED) as z:
            for n, data in entries:
                z.writestr(n, data)

    def tensor_pickle(storage_numel, size, stride, offset=0, storage="FloatStorage"):
        """data.pkl of {'w': tensor} written opcode by opcode."""
        def tup(xs):
            return b"(" + b"".join(b"J" + struct.pack("<i", x) for x in xs) + b"t"
        return (b"\x80\x02}(X\x01\x00\x00\x00wctorch._utils\n_rebuild_tensor_v2\n(("
                b"X\x07\x00\x00\x00storagectorch\n" + storage.encode() + b"\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpu"
                + b"\x8a\x08" + struct.pack("<q", storage_numel) + b"tQ" + b"J" + struct.pack("<i", offset)
                + tup(size) + tup(stride) + b"\x89ccollections\nOrderedDict\n)RtRu.")

    write_zip("huge_numel.pt", [("huge_numel/data.pkl", tensor_pickle(1 << 40, [1 << 20, 1 << 20], [1 << 20, 1])),
                                ("huge_numel/data/0", b"\0" * 16)])
    hostile("huge_numel.pt", "format", "declares 1099511627776 elements")
    write_zip("view_out_of_bounds.pt", [("vob/data.pkl", tensor_pickle(4, [2, 3], [3, 1])),
                                        ("vob/data/0", b"\0" * 16)])
    hostile("view_out_of_bounds.pt", "format", "reaches element")
    write_zip("missing_record.pt", [("mr/data.pkl", tensor_pickle(4, [4], [1]))])
    hostile("missing_record.pt", "format", "is missing")
    deep = b"\x80\x02" + b"]" * 5000 + b"a" * 4999 + b"."
    write_zip("deep_nesting.pt", [("deep/data.pkl", deep)])
    hostile("deep_nesting.pt", "limit", "nested deeper")
    marks = b"\x80\x02" + b"(" * 5000 + b"."
    write_zip("deep_marks.pt", [("marks/data.pkl", marks)])
    hostile("deep_marks.pt", "limit", "MARKs nested deeper")
    evil = b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00idq\x00\x85R."
    write_zip("calls_os_system.pt", [("evil/data.pkl", evil)])
    hostile("calls_os_system.pt", "format", "not a dict")
    write_zip("big_memo.pt", [("memo/data.pkl", b"\x80\x02}r\xff\xff\xff\x7f.")])
    hostile("big_memo.pt", "limit", "memo index")
    write_zip("long_string.pt", [("ls/data.pkl", b"\x80\x02X\xff\xff\xff\x0fab.")])
    hostile("long_string.pt", "format", "truncated")
    # an entry whose central-directory sizes are patched to 3.9 GB
    data = bytearray(good_zip)
    cd = data.find(b"PK\x01\x02")
    struct.pack_into("<II", data, cd + 20, 0xF0000000, 0xF0000000)
    with open(os.path.join(out, "zip_huge_entry.pt"), "wb") as f:
        f.write(data)
    hostile("zip_huge_entry.pt", "format", "")

    # --- hostile safetensors
    def st_file(name, header, payload):
        text = json.dumps(header).encode()
        with open(os.path.join(out, name), "wb") as f:
            f.write(struct.pack("<Q", len(text)) + text + payload)

    st_file("st_gap.safetensors", {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                   "b": {"dtype": "F32", "shape": [1], "data_offsets": [12, 16]}}, b"\0" * 16)
    hostile("st_gap.safetensors", "format", "without gaps or overlaps")
    st_file("st_overlap.safetensors", {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                       "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12)
    hostile("st_overlap.safetensors", "format", "without gaps or overlaps")
    st_file("st_past_end.safetensors", {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, b"\0" * 8)
    hostile("st_past_end.safetensors", "format", "cover 16 bytes")
    st_file("st_bad_size.safetensors", {"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8)
    hostile("st_bad_size.safetensors", "format", "data_offsets span")
    st_file("st_huge_shape.safetensors",
            {"a": {"dtype": "F32", "shape": [1 << 31, 1 << 31, 1 << 31], "data_offsets": [0, 8]}}, b"\0" * 8)
    hostile("st_huge_shape.safetensors", "format", "data_offsets span")
    st_file("st_bad_dtype.safetensors", {"a": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}, b"\0" * 8)
    hostile("st_bad_dtype.safetensors", "unsupported", "unsupported dtype C64")
    with open(os.path.join(out, "st_huge_header.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", 99_000_000) + b"{}")
    hostile("st_huge_header.safetensors", "format", "header of 99000000 bytes")
    with open(os.path.join(out, "st_bad_json.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", 8) + b'{"a": [}')
    hostile("st_bad_json.safetensors", "format", "invalid safetensors header JSON")
    with open(os.path.join(out, "st_duplicate.safetensors"), "wb") as f:
        text = (b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                b'"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}')
        f.write(struct.pack("<Q", len(text)) + text + b"\0" * 8)
    hostile("st_duplicate.safetensors", "format", "duplicate")
    # mmseg + HF names mixed; two mmseg names renaming to one HF name
    mixed = {"backbone.stages.0.0.gamma": torch.ones(2), "backbone.encoder.stages.0.layers.0.dwconv.bias": torch.ones(2)}
    save_file(mixed, os.path.join(out, "mixed_naming.safetensors"))
    hostile("mixed_naming.safetensors", "format", "mixes mmseg names")
    clash = {"decode_head.conv_seg.weight": torch.ones(2), "decode_head.classifier.weight": torch.ones(2)}
    torch.save(clash, os.path.join(out, "rename_clash.pt"))
    hostile("rename_clash.pt", "format", "mixes mmseg names")
    clash = {"backbone.hidden_states_norms.0.weight": torch.ones(2),
             "backbone.hidden_states_norms.stage1.weight": torch.ones(2)}
    save_file(clash, os.path.join(out, "alias_clash.safetensors"))
    hostile("alias_clash.safetensors", "format", "both map to the name")

    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, sort_keys=True, separators=(",", ":"))
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(out, n)) for n in os.listdir(out))
    print(f"wrote {len(manifest['fixtures'])} fixtures, {len(manifest['hostile'])} hostile files, "
          f"{total} bytes in {out}")


# Keys a checkpoint may carry that UperNetForSemanticSegmentation does not
# have (a head of another task, an extra norm, a counter): from_pretrained
# loads the rest and warns.
EXTRA_KEYS = {"decode_head.extra_proj.weight": (3, 4, 1, 1),
              "backbone.encoder.extra_norm.weight": (8,),
              "decode_head.extra_proj.num_batches_tracked": ()}


def extra_keys_fixture(out):
    """extra_keys.safetensors: the small model's weights plus EXTRA_KEYS, as
    save_pretrained would write them; extra_keys.json: the keys
    from_pretrained reports unused and its logits (golden_logits' input)."""
    import tempfile
    from transformers.utils import logging as hf_logging

    model, _ = small_state_dict()
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        path = os.path.join(tmp, "model.safetensors")
        from safetensors.torch import load_file
        sd = load_file(path)
        g = torch.Generator().manual_seed(7)
        for key, shape in EXTRA_KEYS.items():
            sd[key] = (torch.randn(shape, generator=g) if shape else torch.tensor(5, dtype=torch.int64))
        save_file(sd, path, metadata={"format": "pt"})
        save_file(sd, os.path.join(out, "extra_keys.safetensors"), metadata={"format": "pt"})
        hf_logging.set_verbosity_error()
        loaded, info = UperNetForSemanticSegmentation.from_pretrained(tmp, output_loading_info=True)
    loaded.eval()
    assert not info["missing_keys"], info
    unused = sorted(info["unexpected_keys"])
    assert unused == sorted(EXTRA_KEYS), unused
    golden = {"weights": "extra_keys.safetensors", "config": "small_config.json",
              "unexpected_keys": unused, "logits": golden_logits(loaded)}
    with open(os.path.join(out, "extra_keys.json"), "w") as f:
        json.dump(golden, f, sort_keys=True, separators=(",", ":"))
        f.write("\n")
    print("wrote extra_keys.safetensors and extra_keys.json")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--extra-keys":
        extra_keys_fixture(sys.argv[2] if len(sys.argv) > 2 else
                           os.path.join(HERE, "..", "data", "fixtures"))
    else:
        main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "data", "fixtures"))
