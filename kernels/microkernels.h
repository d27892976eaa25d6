/* Kernel function types and the prototypes of every compiled micro-kernel.
 *
 * Each kernel family has one X-macro list, kernels/<family>/<family>.inc, with
 * one line per shipped variant: its tier, its function and its tile sizes.
 * That list is expanded here into prototypes, in dispatch.c into the table
 * filler, in tests/ into Check test cases and in bench/ into benchmarks, so a
 * new variant is a new source file plus one line. Only variants whose tier was
 * built (config.h UPERNET_BUILD_*) appear in the lists. */
#ifndef UPERNET_KERNELS_MICROKERNELS_H
#define UPERNET_KERNELS_MICROKERNELS_H

#include <stddef.h>

#include "upernet.h"

/* ---- f32 layer norm over the channels of each pixel (NHWC) ----
 * For each of `pixels` rows of `channels` floats at x + p*x_stride:
 *   y = (x - mean) / sqrt(var + eps) * gamma + beta   (biased variance)
 * written to y + p*y_stride. y may equal x (in place); otherwise the rows must
 * not overlap. Strides are in floats. Any channels >= 1, any pixels >= 0. */
typedef void (*upernet_f32_layernorm_fn)(size_t pixels, size_t channels,
                                         const float *x, size_t x_stride,
                                         float *y, size_t y_stride,
                                         const float *gamma, const float *beta, float eps);

#define UPERNET_LAYERNORM_UKERNEL(tier, fn, channel_tile)                            \
    void fn(size_t pixels, size_t channels, const float *x, size_t x_stride, float *y, \
            size_t y_stride, const float *gamma, const float *beta, float eps);
#include "kernels/f32-layernorm/f32-layernorm.inc"
#undef UPERNET_LAYERNORM_UKERNEL

#endif
