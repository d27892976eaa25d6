"""Deterministic synthetic weights for UperNet-ConvNeXt (scheme: tools/SYNTHETIC.md).

Bit-identical to src/model/synthetic.c: every value is computed with integer
arithmetic and IEEE operations that C performs the same way (see the notes in
SYNTHETIC.md). Used by tools/make_goldens.py; importable on its own:

    from synthetic import synthetic_tensor, synthetic_state_dict
"""
import math

import numpy as np

MASK64 = (1 << 64) - 1
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
GOLDEN = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB

# Gains for conv / linear weights: scale = gain * sqrt(3 / fan_in). The first
# substring of the key that matches wins; the default gain is 1. Must equal
# the table in src/model/synthetic.c.
WEIGHT_GAINS = (
    (".conv.weight", 1.4),        # ConvModule conv (-> BatchNorm -> ReLU)
    ("classifier.weight", 1.0),
)
DEFAULT_GAIN = 1.0

# (center, half-width) of the other kinds: value = center + half_width * u.
BIAS = (0.0, 0.1)
NORM_WEIGHT = (1.0, 0.2)          # LayerNorm and BatchNorm weight: 1 +- 0.2
RUNNING_MEAN = (0.0, 0.2)
RUNNING_VAR = (1.0, 0.5)          # [0.5, 1.5)
LAYER_SCALE = (0.55, 0.45)        # gamma in [0.1, 1.0)


def key_hash(key: str) -> int:
    """64-bit FNV-1a of the key's UTF-8 bytes."""
    h = FNV_OFFSET
    for b in key.encode("utf-8"):
        h ^= b
        h = (h * FNV_PRIME) & MASK64
    return h


def uniform(h: int, index: np.ndarray) -> np.ndarray:
    """Uniform float32 in [-1, 1), multiples of 2^-23, for element indices `index`."""
    with np.errstate(over="ignore"):
        x = np.uint64(h) + (index.astype(np.uint64) + np.uint64(1)) * np.uint64(GOLDEN)
        z = (x ^ (x >> np.uint64(30))) * np.uint64(MIX1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
        z = z ^ (z >> np.uint64(31))
    top24 = (z >> np.uint64(40)).astype(np.int64) - (1 << 23)
    return top24.astype(np.float32) * np.float32(2.0 ** -23)


def kind_of(key: str, shape) -> tuple:
    """(kind name, center as double, half-width as float32) of a state-dict tensor."""
    ndim = len(shape)
    if key.endswith("num_batches_tracked"):
        return ("zero", 0.0, np.float32(0.0))
    if key.endswith(".running_mean"):
        return ("running_mean", RUNNING_MEAN[0], np.float32(RUNNING_MEAN[1]))
    if key.endswith(".running_var"):
        return ("running_var", RUNNING_VAR[0], np.float32(RUNNING_VAR[1]))
    if key.endswith("layer_scale_parameter"):
        return ("layer_scale", LAYER_SCALE[0], np.float32(LAYER_SCALE[1]))
    if key.endswith(".bias"):
        return ("bias", BIAS[0], np.float32(BIAS[1]))
    if key.endswith(".weight") and ndim >= 2:
        fan_in = 1
        for d in shape[1:]:
            fan_in *= int(d)
        gain = DEFAULT_GAIN
        for sub, g in WEIGHT_GAINS:
            if sub in key:
                gain = g
                break
        return ("conv_weight", 0.0, np.float32(gain * math.sqrt(3.0 / fan_in)))
    # 1-D weights are LayerNorm / BatchNorm scales; anything else: same rule.
    return ("norm_weight", NORM_WEIGHT[0], np.float32(NORM_WEIGHT[1]))


# Recipe "trained": the default kinds, except for these (SYNTHETIC.md,
# "Trained-like recipe"); must equal src/model/synthetic.c.
RECIPES = ("default", "trained")
TRAINED_LAYER_SCALE = (1.75, 1.25)     # gamma in [0.5, 3.0)
TRAINED_BN_WEIGHT = (1.5, 0.3)         # BatchNorm weight in [1.2, 1.8)
TRAINED_MASSIVE_BIAS = (50.0, 30.0)    # two pwconv2 bias channels per block, [20, 80)


def massive_channels(h: int, channels: int) -> tuple:
    """The two "massive activation" channels of a pwconv2 bias with key hash h."""
    first = h % channels
    second = (first + 1 + (h >> 32) % (channels - 1)) % channels
    return first, second


def synthetic_tensor(key: str, shape, recipe: str = "default") -> np.ndarray:
    """float32 array of `shape` (PyTorch layout, row-major) for HF key `key`
    under `recipe` ("default" or "trained")."""
    if recipe not in RECIPES:
        raise ValueError("unknown synthetic recipe %r" % recipe)
    shape = tuple(int(d) for d in shape)
    numel = 1
    for d in shape:
        numel *= d
    kind, center, half = kind_of(key, shape)
    if kind == "zero":
        return np.zeros(shape, dtype=np.float32)
    centers = np.full(numel, np.float64(center))
    halves = np.full(numel, np.float64(half))
    if recipe == "trained":
        if kind == "layer_scale":
            centers[:] = TRAINED_LAYER_SCALE[0]
            halves[:] = np.float64(np.float32(TRAINED_LAYER_SCALE[1]))
        elif kind == "norm_weight" and key.endswith(".batch_norm.weight"):
            centers[:] = TRAINED_BN_WEIGHT[0]
            halves[:] = np.float64(np.float32(TRAINED_BN_WEIGHT[1]))
        elif kind == "bias" and key.endswith(".pwconv2.bias") and numel >= 2:
            for c in massive_channels(key_hash(key), numel):
                centers[c] = TRAINED_MASSIVE_BIAS[0]
                halves[c] = np.float64(np.float32(TRAINED_MASSIVE_BIAS[1]))
    u = uniform(key_hash(key), np.arange(numel, dtype=np.uint64))
    # The product of two float32 values is exact in double, so this is one
    # rounding (double add) then float32 rounding, also under FMA contraction.
    v = centers + halves * u.astype(np.float64)
    return v.astype(np.float32).reshape(shape)


def synthetic_state_dict(config, recipe: str = "default"):
    """Full HF state dict (name -> torch.Tensor) of UperNetForSemanticSegmentation(config)."""
    import torch
    from transformers import UperNetForSemanticSegmentation

    with torch.device("meta"):
        model = UperNetForSemanticSegmentation(config)
    sd = {}
    for name, t in model.state_dict().items():
        if t.dtype == torch.int64:
            sd[name] = torch.zeros(tuple(t.shape), dtype=torch.int64)
        else:
            sd[name] = torch.from_numpy(synthetic_tensor(name, tuple(t.shape), recipe))
    return sd


INPUT_FORMULA = "tri-hash-v1"


def synthetic_input(height: int, width: int) -> np.ndarray:
    """Deterministic pixel tensor (1, 3, H, W) float32 in [-2, 2) (formula "tri-hash-v1").

    For channel c, row y, column x (all integers >= 0):
        p1 = (3x + 2y + 40c) mod 128,  t1 = |p1 - 64| - 32          (diagonal bands)
        p2 = (x + 95y + 32c) mod 96,   t2 = |p2 - 48| - 24          (other diagonal)
        u  = uniform(key_hash("input"), (c << 40) | (y << 20) | x)   (hash noise, [-1, 1))
        value = float32((t1 + t2) / 32 + u / 4)
    Every term is a short dyadic fraction, so the sum is exact in double and
    only the final float32 rounding happens (tests/golden.c does the same).
    """
    c = np.arange(3, dtype=np.int64)[:, None, None]
    y = np.arange(height, dtype=np.int64)[None, :, None]
    x = np.arange(width, dtype=np.int64)[None, None, :]
    t1 = np.abs((3 * x + 2 * y + 40 * c) % 128 - 64) - 32
    t2 = np.abs((x + 95 * y + 32 * c) % 96 - 48) - 24
    idx = np.broadcast_to((c << 40) | (y << 20) | x, (3, height, width))
    u = uniform(key_hash("input"), idx.astype(np.uint64).ravel()).reshape(3, height, width)
    v = (t1 + t2).astype(np.float64) / 32.0 + u.astype(np.float64) * 0.25
    return v.astype(np.float32)[None]
