#!/usr/bin/env python3
"""Goldens for the IoU counting and metrics (src/eval/iou.c), from an
independent numpy implementation of mmseg's IoUMetric: fixed predictions
and raw labels (random, with ignored pixels, zero labels, out-of-range
labels and classes absent from both), their summed counts and the metrics,
with reduce_zero_label on and off. NaN metrics are written as null.

    python3 tools/make_iou_goldens.py   # -> data/golden/iou.json
"""
import json
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(ROOT, "data", "golden", "iou.json")


def reduce_zero_label(raw):
    label = raw.astype(np.uint8).copy()
    label[label == 0] = 255
    label = label - 1  # uint8 wraps: 255 - 1 = 254 stays below
    label[label == 254] = 255
    return label


def counts_of(pred, label, num_classes):
    mask = label != 255
    pred, label = pred[mask].astype(np.int64), label[mask].astype(np.int64)
    # mmseg histograms over 0..num_classes-1, which drops out-of-range
    # labels (and hence their intersections); predictions are all in range.
    in_range = label < num_classes
    inter = pred[pred == label]
    area_intersect = np.bincount(inter[inter < num_classes], minlength=num_classes)
    area_pred = np.bincount(pred, minlength=num_classes)
    area_label = np.bincount(label[in_range], minlength=num_classes)
    return (area_intersect, area_pred, area_label, int((~in_range).sum()))


def metrics_of(i, u, p, l):
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = i / u
        acc = i / l
        aacc = i.sum() / l.sum() if l.sum() else float("nan")
    return iou, acc, aacc, np.nanmean(iou) if (~np.isnan(iou)).any() else float("nan"), \
        np.nanmean(acc) if (~np.isnan(acc)).any() else float("nan")


def nan_to_none(v):
    return None if np.isnan(v) else float(v)


def make_case(name, num_classes, reduce, shapes, seed, absent):
    rng = np.random.RandomState(seed)
    images = []
    totals = [np.zeros(num_classes, np.int64) for _ in range(3)]
    oor = 0
    for h, w in shapes:
        # labels: mostly classes present, some ignored, a few out of range
        label_top = num_classes + 1 if reduce else num_classes
        raw = rng.randint(0, label_top, size=(h, w))
        raw[rng.rand(h, w) < 0.1] = 255
        raw[rng.rand(h, w) < 0.03] = rng.randint(label_top, 255)
        if not reduce:
            raw[rng.rand(h, w) < 0.05] = 0
        pred = np.where(rng.rand(h, w) < 0.6, raw - (1 if reduce else 0),
                        rng.randint(0, num_classes, size=(h, w)))
        pred = np.clip(pred, 0, num_classes - 1)
        for c in absent:  # classes never predicted and never labelled
            pred[pred == c] = (c + 1) % num_classes
            k = c + 1 if reduce else c
            raw[raw == k] = 255
        label = reduce_zero_label(raw) if reduce else raw.astype(np.uint8)
        i, p, l, o = counts_of(pred, label, num_classes)
        totals[0] += i
        totals[1] += p
        totals[2] += l
        oor += o
        images.append({"height": h, "width": w, "pred": pred.reshape(-1).tolist(),
                       "labels": raw.reshape(-1).tolist()})
    i, p, l = totals
    u = p + l - i
    iou, acc, aacc, miou, macc = metrics_of(i, u, p, l)
    return {"name": name, "num_classes": num_classes, "reduce_zero_label": reduce,
            "images": images,
            "area_intersect": i.tolist(), "area_union": u.tolist(), "area_pred": p.tolist(),
            "area_label": l.tolist(), "out_of_range_labels": oor,
            "IoU": [nan_to_none(v) for v in iou], "Acc": [nan_to_none(v) for v in acc],
            "aAcc": nan_to_none(aacc), "mIoU": nan_to_none(miou), "mAcc": nan_to_none(macc)}


def main():
    cases = [
        make_case("reduce-zero-label", 7, True, [(9, 13), (17, 5), (1, 1), (12, 12)], 1, [3]),
        make_case("no-reduction", 7, False, [(9, 13), (20, 7)], 2, [0, 5]),
        make_case("ade20k-150", 150, True, [(31, 47), (40, 40)], 3, [7, 99, 149]),
    ]
    # Every label ignored: nothing counts, all metrics NaN.
    rng = np.random.RandomState(4)
    raw = np.where(rng.rand(6, 6) < 0.5, 0, 255)
    pred = rng.randint(0, 5, size=(6, 6))
    z = np.zeros(5, np.int64)
    cases.append({"name": "all-ignored", "num_classes": 5, "reduce_zero_label": True,
                  "images": [{"height": 6, "width": 6, "pred": pred.reshape(-1).tolist(),
                              "labels": raw.reshape(-1).tolist()}],
                  "area_intersect": z.tolist(), "area_union": z.tolist(),
                  "area_pred": z.tolist(), "area_label": z.tolist(),
                  "out_of_range_labels": 0, "IoU": [None] * 5, "Acc": [None] * 5,
                  "aAcc": None, "mIoU": None, "mAcc": None})
    with open(GOLDEN, "w") as f:
        json.dump({"generator": "tools/make_iou_goldens.py", "numpy": np.__version__,
                   "cases": cases}, f, separators=(",", ":"))
        f.write("\n")
    print(f"{GOLDEN}: {len(cases)} cases")


if __name__ == "__main__":
    main()
