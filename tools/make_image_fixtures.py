#!/usr/bin/python3
"""Makes the image test fixtures (data/images/) and their goldens
(data/golden/images.json): the RGB bytes Pillow decodes and the pixel_values
SegformerImageProcessor (Pillow path, docs/SPECIFICATION.md §2.2) produces, as
SHA-256 hashes plus samples.

Run with Debian's /usr/bin/python3 and python3-pil: that Pillow links the
system libjpeg-turbo, the same library the C build decodes JPEGs with, which
is what makes JPEG pixels comparable bit for bit (a PyPI Pillow wheel bundles
its own libjpeg-turbo).

    /usr/bin/python3 tools/make_image_fixtures.py            # write fixtures + goldens
    python3 tools/make_image_fixtures.py --crosscheck
        # checks the goldens against transformers' SegformerImageProcessorPil
        # and reports whether that Pillow decodes every image identically
    python3 tools/make_image_fixtures.py --pillow13-goldens
        # data/golden/images-pillow13.json: pixel_values straight from
        # transformers' SegformerImageProcessorPil on Pillow 13, whose resize
        # runs the vertical pass first for some shapes

The fixtures are deterministic (seeded numpy); the script rewrites them only
when asked to (default), so the committed files and goldens always agree.
"""
import argparse
import ctypes
import ctypes.util
import hashlib
import io
import json
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image, features

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGE_DIR = os.path.join(ROOT, "data", "images")
GOLDEN = os.path.join(ROOT, "data", "golden", "images.json")

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
N_SAMPLES = 12


# --------------------------------------------------------------- content
def smooth_rgb(w, h, seed):
    """A photo-like image: gradients, a few discs, mild noise."""
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.zeros((h, w, 3))
    for c in range(3):
        fx, fy, ph = rng.uniform(0.5, 3.0), rng.uniform(0.5, 3.0), rng.uniform(0, 6.28)
        img[..., c] = 127 + 100 * np.sin(fx * 6.28 * x / max(w, 1) + ph) * np.cos(fy * 6.28 * y / max(h, 1))
    for _ in range(3):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(2, max(3, min(w, h) / 3))
        col = rng.uniform(0, 255, 3)
        mask = (x - cx) ** 2 + (y - cy) ** 2 < r * r
        img[mask] = col
    img += rng.normal(0, 6, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def smooth_gray(w, h, seed):
    return smooth_rgb(w, h, seed)[..., 1]


# ------------------------------------------------- a minimal PNG writer
# Pillow cannot write every PNG colour type / depth (2- and 4-bit gray,
# 16-bit gray+alpha, Adam7 interlacing), so this writes them directly.
def _chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def _pack_rows(samples, bits):
    """samples: (h, w*channels) ints -> list of row byte strings."""
    rows = []
    for row in samples:
        if bits == 16:
            rows.append(b"".join(struct.pack(">H", int(v)) for v in row))
        elif bits == 8:
            rows.append(bytes(int(v) for v in row))
        else:
            per = 8 // bits
            out = bytearray((len(row) * bits + 7) // 8)
            for i, v in enumerate(row):
                out[i // per] |= int(v) << (8 - bits * (i % per + 1))
            rows.append(bytes(out))
    return rows


def write_png(path, samples, bits, color_type, plte=None, trns=None, interlace=False):
    """samples: (h, w, channels) array of raw sample values."""
    h, w, ch = samples.shape
    raw = b""
    if not interlace:
        for row in _pack_rows(samples.reshape(h, w * ch), bits):
            raw += b"\x00" + row
    else:
        passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        for x0, y0, dx, dy in passes:
            sub = samples[y0::dy, x0::dx]
            if sub.size == 0:
                continue
            sh, sw = sub.shape[:2]
            for row in _pack_rows(sub.reshape(sh, sw * ch), bits):
                raw += b"\x00" + row
    png = b"\x89PNG\r\n\x1a\n"
    png += _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bits, color_type, 0, 0, 1 if interlace else 0))
    if plte is not None:
        png += _chunk(b"PLTE", bytes(np.asarray(plte, dtype=np.uint8).reshape(-1)))
    if trns is not None:
        png += _chunk(b"tRNS", trns)
    png += _chunk(b"IDAT", zlib.compress(raw, 9))
    png += _chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def write_ycck_jpeg(path, cmyk):
    """A YCCK JPEG (what TurboJPEG writes from CMYK pixels by default);
    Pillow can only write plain CMYK JPEGs."""
    lib = ctypes.CDLL(ctypes.util.find_library("turbojpeg") or "libturbojpeg.so.0")
    lib.tjInitCompress.restype = ctypes.c_void_p
    handle = lib.tjInitCompress()
    h, w, _ = cmyk.shape
    buf = ctypes.POINTER(ctypes.c_ubyte)()
    size = ctypes.c_ulong(0)
    src = np.ascontiguousarray(cmyk).ctypes.data_as(ctypes.POINTER(ctypes.c_ubyte))
    TJPF_CMYK, TJSAMP_420 = 11, 2
    rc = lib.tjCompress2(ctypes.c_void_p(handle), src, w, 0, h, TJPF_CMYK, ctypes.byref(buf),
                         ctypes.byref(size), TJSAMP_420, 90, 0)
    if rc != 0:
        raise RuntimeError("tjCompress2 failed")
    data = ctypes.string_at(buf, size.value)
    lib.tjFree(buf)
    lib.tjDestroy(ctypes.c_void_p(handle))
    with open(path, "wb") as f:
        f.write(data)


# --------------------------------------------------------------- fixtures
def make_fixtures():
    os.makedirs(IMAGE_DIR, exist_ok=True)
    made = []

    def jpeg(name, arr, mode="RGB", **kw):
        Image.fromarray(arr, mode).save(os.path.join(IMAGE_DIR, name), "JPEG", **kw)
        made.append(name)

    jpeg("jpeg-420-37x23.jpg", smooth_rgb(37, 23, 1), quality=90, subsampling=2)
    jpeg("jpeg-422-64x48.jpg", smooth_rgb(64, 48, 2), quality=90, subsampling=1)
    jpeg("jpeg-444-33x31.jpg", smooth_rgb(33, 31, 3), quality=92, subsampling=0)
    jpeg("jpeg-progressive-80x60.jpg", smooth_rgb(80, 60, 4), quality=85, progressive=True)
    jpeg("jpeg-gray-45x29.jpg", smooth_gray(45, 29, 5), mode="L", quality=90)
    jpeg("jpeg-1x1.jpg", smooth_rgb(1, 1, 6), quality=90)
    jpeg("jpeg-3x200.jpg", smooth_rgb(3, 200, 7), quality=90)
    jpeg("jpeg-200x3.jpg", smooth_rgb(200, 3, 8), quality=90)
    jpeg("jpeg-683x512.jpg", smooth_rgb(683, 512, 9), quality=60)
    jpeg("jpeg-3x400.jpg", smooth_rgb(3, 400, 14), quality=90)
    cmyk = np.concatenate([smooth_rgb(24, 20, 10), smooth_gray(24, 20, 11)[..., None] // 2], axis=2)
    jpeg("jpeg-cmyk-24x20.jpg", cmyk, mode="CMYK", quality=90)
    write_ycck_jpeg(os.path.join(IMAGE_DIR, "jpeg-ycck-26x18.jpg"),
                    np.concatenate([smooth_rgb(26, 18, 12), smooth_gray(26, 18, 13)[..., None]], axis=2))
    made.append("jpeg-ycck-26x18.jpg")

    def png(name, samples, bits, color_type, **kw):
        write_png(os.path.join(IMAGE_DIR, name), samples, bits, color_type, **kw)
        made.append(name)

    g = smooth_gray(31, 17, 20)
    png("png-gray1-31x17.png", (g > 127).astype(np.uint8)[..., None], 1, 0)
    png("png-gray2-31x17.png", (g >> 6)[..., None], 2, 0)
    png("png-gray4-31x17.png", (g >> 4)[..., None], 4, 0)
    png("png-gray8-31x17.png", g[..., None], 8, 0, trns=struct.pack(">H", 77))
    # 16-bit gray, mostly above 255 (Pillow clamps those to white) and some below.
    g16 = smooth_gray(29, 19, 21).astype(np.uint32) * 257
    g16[:, :9] //= 300
    png("png-gray16-29x19.png", g16[..., None], 16, 0)
    ga = np.stack([smooth_gray(23, 21, 22), smooth_gray(23, 21, 23)], axis=2)
    png("png-gray-alpha8-23x21.png", ga, 8, 4)
    png("png-gray-alpha16-23x21.png", ga.astype(np.uint32) * 257 + 3, 16, 4)
    rgb = smooth_rgb(27, 25, 24)
    png("png-rgb16-27x25.png", rgb.astype(np.uint32) * 256 + smooth_rgb(27, 25, 25), 16, 2)
    rgba = np.concatenate([smooth_rgb(21, 26, 26), smooth_gray(21, 26, 27)[..., None]], axis=2)
    png("png-rgba16-21x26.png", rgba.astype(np.uint32) * 257, 16, 6)
    png("png-rgb-interlaced-19x13.png", smooth_rgb(19, 13, 28), 8, 2, interlace=True)
    pal = np.random.RandomState(29).randint(0, 256, (16, 3))
    idx = (smooth_gray(30, 22, 30) >> 4).astype(np.uint8)
    png("png-palette4-30x22.png", idx[..., None], 4, 3, plte=pal)
    png("png-palette1-17x9.png", (idx[:9, :17] & 1)[..., None], 1, 3, plte=pal[:2])
    png("png-palette8-trns-30x22.png", idx[..., None], 8, 3, plte=pal,
        trns=bytes(range(0, 256, 16)))
    # Palette (Pillow writer) and RGB/RGBA through Pillow's own filters.
    Image.fromarray(smooth_rgb(40, 30, 31)).convert("P", palette=Image.ADAPTIVE, colors=50).save(
        os.path.join(IMAGE_DIR, "png-palette8-40x30.png"))
    made.append("png-palette8-40x30.png")
    for name, arr, mode in [("png-rgb8-41x37.png", smooth_rgb(41, 37, 32), "RGB"),
                            ("png-rgba8-35x20.png", np.concatenate(
                                [smooth_rgb(35, 20, 33), smooth_gray(35, 20, 34)[..., None]], axis=2), "RGBA"),
                            ("png-1x1.png", smooth_rgb(1, 1, 35), "RGB"),
                            ("png-200x3.png", smooth_rgb(200, 3, 36), "RGB"),
                            ("png-3x200.png", smooth_rgb(3, 200, 37), "RGB")]:
        Image.fromarray(arr, mode).save(os.path.join(IMAGE_DIR, name))
        made.append(name)
    # 512x512: the copy path (no resampling at the default size).
    y, x = np.mgrid[0:512, 0:512]
    Image.fromarray(((x * 3 + y * 5) // 8 % 256).astype(np.uint8), "L").save(
        os.path.join(IMAGE_DIR, "png-gray8-512x512.png"))
    made.append("png-gray8-512x512.png")
    return sorted(made)


# --------------------------------------------------------------- goldens
def sample_positions(n_total, seed):
    rng = np.random.RandomState(seed)
    picks = list(rng.randint(0, n_total, N_SAMPLES - 2)) + [0, n_total - 1]
    return sorted(set(int(p) for p in picks))


def pixel_values_reference(rgb_image, height, width):
    """SegformerImageProcessor, Pillow path (docs/SPECIFICATION.md §2.2), by hand."""
    resized = rgb_image.resize((width, height), Image.BILINEAR)
    a = (np.asarray(resized).astype(np.float64) * (1 / 255)).astype(np.float32)
    a = (a - np.array(MEAN, dtype=np.float32)) / np.array(STD, dtype=np.float32)
    return np.ascontiguousarray(a.transpose(2, 0, 1)[None].astype("<f4"))


def target_sizes(name, w, h):
    sizes = [(512, 512)]
    if name == "jpeg-683x512.jpg":
        sizes += [(64, 48), (300, 700)]
    if name == "jpeg-3x400.jpg":
        sizes += [(32, 32)]
    if name == "png-rgb8-41x37.png":
        sizes += [(17, 100), (41, 20), (10, 37)]
    if name == "jpeg-progressive-80x60.jpg":
        sizes += [(7, 5)]
    return sizes


def golden_entry(name, path):
    im = Image.open(path)
    rgb = im.convert("RGB")
    arr = np.asarray(rgb)
    h, w = arr.shape[:2]
    flat = arr.reshape(-1)
    entry = {
        "file": name,
        "width": w,
        "height": h,
        "pillow_mode": im.mode,
        "rgb_sha256": hashlib.sha256(arr.tobytes()).hexdigest(),
        # [flat index into the HxWx3 bytes, value]
        "rgb_samples": [[p, int(flat[p])] for p in sample_positions(flat.size, len(name))],
        "pixel_values": [],
    }
    for (th, tw) in target_sizes(name, w, h):
        pv = pixel_values_reference(rgb, th, tw)
        pflat = pv.reshape(-1)
        entry["pixel_values"].append({
            "height": th,
            "width": tw,
            "sha256": hashlib.sha256(pv.tobytes()).hexdigest(),
            # [flat NCHW index, value] (repr of the float32 value, exact)
            "samples": [[p, float(pflat[p])] for p in sample_positions(pflat.size, th * 7 + tw)],
        })
    return entry, rgb


def make_goldens(names):
    try:
        turbo = features.check_feature("libjpeg_turbo")
    except Exception:
        turbo = None
    jpeg_lib = "unknown"
    try:
        import PIL._imaging as imaging
        with open("/proc/self/maps") as maps:
            for line in maps:
                if "libjpeg" in line:
                    jpeg_lib = os.path.realpath(line.split()[-1])
                    break
        del imaging
    except Exception:
        pass
    golden = {
        "generator": "tools/make_image_fixtures.py",
        "pillow": Image.__version__ if hasattr(Image, "__version__") else __import__("PIL").__version__,
        "numpy": np.__version__,
        "libjpeg": {"turbo": turbo, "library": jpeg_lib,
                    "note": "Debian python3-pil linking the system libjpeg-turbo 2.1.5 (libjpeg62-turbo)"},
        "pipeline": "Image.open(f).convert('RGB'); resize((w,h), BILINEAR); "
                    "float32(float64(v)*(1/255)); (x-mean)/std in float32; NCHW",
        "images": [],
    }
    for name in names:
        entry, _ = golden_entry(name, os.path.join(IMAGE_DIR, name))
        golden["images"].append(entry)
    os.makedirs(os.path.dirname(GOLDEN), exist_ok=True)
    with open(GOLDEN, "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")
    return golden


# ----------------------------------------------------------- cross-check
def crosscheck():
    """Run under the venv: compares transformers' SegformerImageProcessorPil
    with the goldens, image by image, and the venv Pillow's decoding with the
    golden decoding."""
    from transformers import SegformerImageProcessorPil
    processor = SegformerImageProcessorPil()
    with open(GOLDEN) as f:
        golden = json.load(f)
    print("venv Pillow", __import__("PIL").__version__, "libjpeg-turbo",
          features.version("libjpeg_turbo"), "| goldens from Pillow", golden["pillow"])
    bad = 0
    decode_diff = []
    for entry in golden["images"]:
        rgb = Image.open(os.path.join(IMAGE_DIR, entry["file"])).convert("RGB")
        arr = np.asarray(rgb)
        same_decode = hashlib.sha256(arr.tobytes()).hexdigest() == entry["rgb_sha256"]
        if not same_decode:
            decode_diff.append(entry["file"])
        for pv in entry["pixel_values"]:
            ours = pixel_values_reference(rgb, pv["height"], pv["width"])
            theirs = processor(images=rgb, size={"height": pv["height"], "width": pv["width"]},
                               return_tensors="np").pixel_values.astype("<f4")
            n_diff = int(np.sum(ours != theirs))
            hash_ok = hashlib.sha256(theirs.tobytes()).hexdigest() == pv["sha256"]
            status = "ok" if n_diff == 0 else "DIFFER"
            if n_diff:
                bad += 1
            print("%-30s %4dx%-4d processor vs reference: %d differing values (%s); "
                  "processor == golden hash: %s" % (entry["file"], pv["width"], pv["height"], n_diff,
                                                     status, hash_ok))
    print("venv Pillow decodes identically to the golden Pillow:",
          "all images" if not decode_diff else "except " + ", ".join(decode_diff))
    return 1 if bad else 0


def pillow13_goldens():
    """pixel_values from transformers' own processor on the venv's Pillow
    (13.x), for every image and size of the main goldens."""
    from transformers import SegformerImageProcessorPil
    import transformers
    processor = SegformerImageProcessorPil()
    with open(GOLDEN) as f:
        golden = json.load(f)
    out = {
        "generator": "tools/make_image_fixtures.py --pillow13-goldens",
        "pillow": __import__("PIL").__version__,
        "libjpeg_turbo": features.version("libjpeg_turbo"),
        "transformers": transformers.__version__,
        "pipeline": "SegformerImageProcessorPil()(Image.open(f).convert('RGB'), size=...)",
        "images": [],
    }
    for entry in golden["images"]:
        rgb = Image.open(os.path.join(IMAGE_DIR, entry["file"])).convert("RGB")
        if hashlib.sha256(np.asarray(rgb).tobytes()).hexdigest() != entry["rgb_sha256"]:
            raise SystemExit("%s: this Pillow decodes differently" % entry["file"])
        e = {"file": entry["file"], "pixel_values": []}
        for pv in entry["pixel_values"]:
            h, w = pv["height"], pv["width"]
            arr = processor(images=rgb, size={"height": h, "width": w},
                            return_tensors="np").pixel_values.astype("<f4")
            flat = arr.reshape(-1)
            e["pixel_values"].append({
                "height": h, "width": w,
                "sha256": hashlib.sha256(arr.tobytes()).hexdigest(),
                "same_as_classic": hashlib.sha256(arr.tobytes()).hexdigest() == pv["sha256"],
                "samples": [[p, float(flat[p])] for p in sample_positions(flat.size, h * 7 + w)],
            })
        out["images"].append(e)
    path = os.path.join(os.path.dirname(GOLDEN), "images-pillow13.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", path)
    return 0


# Non-default preprocessor_config.json files (written to data/golden/) and the
# fixture each is applied to: another size and mean/std, no resize with
# scalar mean/std, no rescale, no normalisation.
PROCESSOR_CASES = [
    ("processor-half.json", "png-rgb8-41x37.png",
     {"image_processor_type": "SegformerImageProcessor", "size": {"height": 40, "width": 56},
      "resample": 2, "do_resize": True, "do_rescale": True, "rescale_factor": 1 / 127.5,
      "do_normalize": True, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}),
    ("processor-noresize.json", "png-rgba8-35x20.png",
     {"do_resize": False, "image_mean": 0.3, "image_std": 0.2}),
    ("processor-norescale.json", "png-palette8-40x30.png",
     {"size": {"height": 33, "width": 47}, "do_rescale": False,
      "image_mean": [100.0, 110.0, 120.0], "image_std": [50.0, 60.0, 70.0]}),
    ("processor-rescale-only.json", "png-rgb16-27x25.png",
     {"size": {"height": 36, "width": 36}, "do_normalize": False, "rescale_factor": 0.01}),
]


def processor_goldens():
    """pixel_values of transformers' SegformerImageProcessorPil built from
    each non-default preprocessor_config.json (from_pretrained of a folder
    holding it), on PNG fixtures (decoded the same by every Pillow)."""
    import shutil
    import tempfile
    import transformers
    from transformers import SegformerImageProcessorPil
    out_dir = os.path.dirname(GOLDEN)
    out = {"generator": "tools/make_image_fixtures.py --processor-goldens",
           "pillow": __import__("PIL").__version__, "transformers": transformers.__version__,
           "pipeline": "SegformerImageProcessorPil.from_pretrained(dir)(Image.open(f).convert('RGB'))",
           "cases": []}
    for config_name, image_name, config in PROCESSOR_CASES:
        path = os.path.join(out_dir, config_name)
        with open(path, "w") as f:
            json.dump(config, f, indent=2)
            f.write("\n")
        tmp = tempfile.mkdtemp()
        try:
            shutil.copy(path, os.path.join(tmp, "preprocessor_config.json"))
            processor = SegformerImageProcessorPil.from_pretrained(tmp)
        finally:
            shutil.rmtree(tmp)
        rgb = Image.open(os.path.join(IMAGE_DIR, image_name)).convert("RGB")
        arr = np.asarray(processor(images=rgb, return_tensors="np").pixel_values).astype("<f4")
        flat = arr.reshape(-1)
        out["cases"].append({
            "config": config_name, "file": image_name,
            "height": int(arr.shape[2]), "width": int(arr.shape[3]),
            "sha256": hashlib.sha256(arr.tobytes()).hexdigest(),
            "samples": [[p, float(flat[p])] for p in sample_positions(flat.size, arr.shape[2] * 7 + arr.shape[3])],
        })
    path = os.path.join(out_dir, "processor-configs.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", path)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--crosscheck", action="store_true")
    ap.add_argument("--pillow13-goldens", action="store_true")
    ap.add_argument("--processor-goldens", action="store_true")
    args = ap.parse_args()
    if args.processor_goldens:
        return processor_goldens()
    if args.crosscheck:
        return crosscheck()
    if args.pillow13_goldens:
        return pillow13_goldens()
    names = make_fixtures()
    golden = make_goldens(names)
    total = sum(os.path.getsize(os.path.join(IMAGE_DIR, n)) for n in names)
    print("%d images, %d bytes; goldens from Pillow %s (%s)" % (len(names), total, golden["pillow"],
                                                              golden["libjpeg"]["library"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
