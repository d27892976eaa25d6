/* Deterministic synthetic weights for any UperNet-ConvNeXt configuration, so
 * full-size models exist without a weights file. The same values come out of
 * tools/synthetic.py bit for bit (scheme: tools/SYNTHETIC.md); the golden
 * data in data/golden/ was produced by transformers with those weights. */
#ifndef UPERNET_MODEL_SYNTHETIC_H
#define UPERNET_MODEL_SYNTHETIC_H

#include <stddef.h>
#include <stdint.h>

#include "upernet.h" /* enum upernet_synthetic_recipe */

/* Fills dst[0..numel) with the synthetic values under `recipe` (DEFAULT keeps
 * activations and logits O(1); TRAINED has a trained checkpoint's scales:
 * layer scales up to 3, two "massive activation" channels per ConvNeXt
 * block, BatchNorm weights x1.5) of the HF state-dict tensor `hf_key`
 * whose PyTorch shape is shape[0..ndim) (numel = product of the shape, 1 for ndim 0).
 * Element i is the tensor's row-major (PyTorch contiguous) element i.
 * Deterministic, platform independent. The int64 `num_batches_tracked` keys are
 * not floats; asked for anyway, they are filled with zeros. */
void upernet_synthetic_fill_recipe(enum upernet_synthetic_recipe recipe, const char *hf_key,
                                   const size_t *shape, size_t ndim, float *dst);

/* The DEFAULT recipe. */
void upernet_synthetic_fill(const char *hf_key, const size_t *shape, size_t ndim, float *dst);

/* The building blocks, exposed for tests. */

/* 64-bit FNV-1a of the key's bytes (no terminator). */
uint64_t upernet_synthetic_key_hash(const char *hf_key);

/* Uniform value in [-1, 1) of element `index` of the tensor whose key hashes to
 * key_hash: a multiple of 2^-23, exact in float32. */
float upernet_synthetic_uniform(uint64_t key_hash, uint64_t index);

#endif
