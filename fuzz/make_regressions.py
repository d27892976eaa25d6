#!/usr/bin/env python3
"""Writes the hand-made hostile inputs of data/regressions/ (crash inputs the
fuzzers found are saved there as they are, not generated here).

Names: TARGET-KIND-WHAT.bin, where TARGET is a fuzz entry (fuzz/fuzz_entries.c)
and KIND says what tests/test_regressions expects: "limit" = refused with
UPERNET_ERR_LIMIT before any large allocation, "bad" = any clean error.
Standard library only: python3 fuzz/make_regressions.py data/regressions
"""
import json
import os
import struct
import sys
import zipfile
import zlib


def png_chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def main(out):
    os.makedirs(out, exist_ok=True)

    def put(name, data):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)

    # Images whose headers claim more pixels than UPERNET_IMAGE_MAX_PIXELS (2^28).
    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0\0\0\0")
    put("png-limit-huge-dims.bin", b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) +
        png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b""))
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, 65535, 65535, 3) + \
        b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    put("jpeg-limit-huge-dims.bin", b"\xff\xd8" + sof + b"\xff\xd9")

    # .npy whose shape asks for 4e15 floats.
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    put("npy-limit-huge-shape.bin", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())

    # Pickles: lists nested 1000 deep; 300 nested MARKs; a memo index of 2^31.
    put("pickle-limit-deep-lists.bin", b"\x80\x02" + b"]" * 1000 + b"a" * 999 + b".")
    put("pickle-limit-deep-marks.bin", b"\x80\x02" + b"(" * 300 + b"N.")
    put("pickle-limit-memo-index.bin", b"\x80\x02Nr\xff\xff\xff\x7f.")

    # safetensors header length of 2^62 bytes.
    put("safetensors-limit-header-length.bin", struct.pack("<Q", 1 << 62) + b'{"a":1}')

    # A torch zip whose data.pkl is a deflate bomb: 80 MiB of zeros in ~80 KB,
    # more than the reader's copy budget for a file this small.
    path = os.path.join(out, "torch_zip-limit-deflate-bomb.bin")
    with zipfile.ZipFile(path, "w") as z:
        entry = zipfile.ZipInfo("archive/data.pkl", date_time=(2020, 1, 1, 0, 0, 0))
        entry.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(entry, b"\0" * (80 << 20), compresslevel=9)

    # A config.json whose values are each in range but multiply into
    # terabytes of weights.
    put("config-limit-huge-model.bin", json.dumps({
        "model_type": "upernet", "hidden_size": 4096, "num_labels": 150,
        "backbone_config": {"model_type": "convnext", "depths": [1024, 1024, 1024, 1024],
                            "hidden_sizes": [65536, 65536, 65536, 65536],
                            "out_features": ["stage1", "stage2", "stage3", "stage4"]}}).encode())

    # JSON nested deeper than jansson accepts.
    put("config-bad-deep-nesting.bin", b"[" * 5000 + b"]" * 5000)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "data/regressions")
