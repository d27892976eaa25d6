/* The operator layer: whole-tensor operations built on the micro-kernels of
 * the dispatch table, split over OpenMP threads.
 *
 * Conventions (every function below):
 *   - Tensors are float32 NHWC with batch 1: pixel (y, x) of an H x W map
 *     starts at base + (y*W + x) * pixel_stride, and its channels are
 *     contiguous. pixel_stride >= channels lets an op read or write a channel
 *     slice of a wider tensor (e.g. one part of a concatenation) in place.
 *   - `t` is the kernel table (upernet_kernels()); pass the same table to the
 *     packing calls and to the runs (packed weights depend on its igemm.nr).
 *   - Outputs never overlap inputs unless a function says otherwise.
 *   - Results are bitwise identical for any number of OpenMP threads: each
 *     output element is computed by one kernel call with a fixed reduction
 *     order, whatever thread runs it.
 *   - Functions returning enum upernet_status fail only on the conditions
 *     they name (allocation, mismatched packing, unsupported size); they
 *     never print. */
#ifndef UPERNET_OPS_OPS_H
#define UPERNET_OPS_OPS_H

#include <stdbool.h>
#include <stddef.h>

#include "kernels/dispatch.h"
#include "kernels/pack.h"
#include "upernet.h"

/* ------------------------------------------------------------ op costs */

/* What one call of an op computes and how its driver splits it over a team
 * of `threads` OpenMP threads, for the forward's step observer
 * (src/model/model.h) and the scaling model built on it
 * (bench/upernet-scaling.c). Each *_cost function below mirrors its
 * driver's own split (the same helpers compute both). */
struct upernet_op_cost {
    /* Multiply-adds really performed: a Winograd conv counts its 16 GEMMs
     * (16 per 2x2 output tile and channel pair), every other conv or Linear
     * its direct sum; 0 for ops without multiply-adds (norms, resizes). */
    double macs;
    double direct_macs; /* the same layer as a direct convolution */
    /* Independent work units of the loop that holds the op's work (row
     * tiles x weight panels, Winograd GEMM units, rows, pixels, cells). */
    size_t units;
    size_t loops; /* worksharing loops per call, each ending in a barrier */
};

/* ------------------------------------------------------------ convolution */

/* Output length of a convolution along one axis with PyTorch's floor
 * semantics: floor((n + 2*padding - kernel) / stride) + 1, or 0 when the
 * padded input is shorter than the kernel. */
size_t upernet_conv_out_size(size_t n, size_t kernel, size_t stride, size_t padding);

/* A dense 2-D convolution (groups = 1) with square kernel, stride and
 * padding, whose weights were packed by upernet_pack_conv for panel width
 * `nr` (kernel_h = kernel_w = kernel). Linear layers and 1x1 convs are
 * kernel = 1, stride = 1, padding = 0. `packed` is not owned. */
struct upernet_conv {
    size_t in_channels;
    size_t out_channels;
    size_t kernel;
    size_t stride;
    size_t padding;
    size_t nr;               /* panel width the weights were packed for */
    const float *packed;     /* upernet_pack_conv_floats(...) floats */
    enum upernet_activation activation;
    /* Non-NULL: a 3x3/stride 1/padding 1 conv packed by
     * upernet_pack_winograd23 instead (packed is then unused) and run by
     * Winograd F(2x2, 3x3) (src/ops/winograd.c): bias + ReLU epilogue only,
     * ~2.25x fewer multiply-adds, not bitwise equal to the direct path. */
    const float *winograd;
};

/* Largest kernel*kernel the conv driver accepts (its indirection buffer
 * lives on the stack). */
#define UPERNET_CONV_MAX_TAPS 64

/* The cost of upernet_conv_run (or, for the same conv, of
 * upernet_conv_run_sources) on an in_h x in_w input. */
struct upernet_op_cost upernet_conv_cost(const struct upernet_kernel_table *t,
                                         const struct upernet_conv *conv, size_t in_h,
                                         size_t in_w, size_t threads);

/* Runs conv on an in_h x in_w map x (pixel stride x_stride >= in_channels)
 * into y (out_h x out_w, out_* from upernet_conv_out_size; pixel stride
 * y_stride >= out_channels). y must not overlap x.
 *
 * Epilogue per output element, in this order: + packed bias, activation,
 * times scale[o] if scale != NULL (layer scale, out_channels floats), plus
 * residual[(pixel)*residual_stride + o] if residual != NULL. residual may
 * equal y with residual_stride == y_stride (in-place residual add).
 *
 * A conv with winograd weights runs the Winograd path (scale and residual
 * must then be NULL) with per-call band buffers. Zero padding reads a static
 * zero row; a wider one (in_channels > UPERNET_CONV_ZERO_FLOATS) is a
 * per-call buffer. Per-call buffers of every op come from the calling
 * thread's scratch pool when one is installed (src/ops/scratch.h: a
 * forward's workspace), else from the heap.
 * Fails with UPERNET_ERR_MISMATCH if conv->nr differs from t->igemm.nr,
 * UPERNET_ERR_ARGUMENT for kernel*kernel > UPERNET_CONV_MAX_TAPS or a zero
 * output size, UPERNET_ERR_NOMEM. */
#define UPERNET_CONV_ZERO_FLOATS 16384
enum upernet_status upernet_conv_run(const struct upernet_kernel_table *t,
                                     const struct upernet_conv *conv, size_t in_h, size_t in_w,
                                     const float *x, size_t x_stride, float *y, size_t y_stride,
                                     const float *scale, const float *residual,
                                     size_t residual_stride, upernet_error *err);

/* One input of a conv over a channel concatenation (upernet_conv_run_sources):
 * an NHWC map of height x width pixels (pixel stride pixel_stride >=
 * channels). If its size differs from the conv input size it is resized
 * bilinearly (align_corners = False, exactly upernet_resize_bilinear) on the
 * fly. */
struct upernet_conv_source {
    const float *data;
    size_t height, width;
    size_t channels;
    size_t pixel_stride;
};

/* conv over the channel concatenation of n_sources sources (in order), none
 * of which is copied: the fuse path (level 0 as is, levels 1-3 upsampled)
 * and the PPM bottleneck. The weights are packed for the concatenated input
 * as usual (in_channels = the sum of the sources' channels). Output,
 * epilogue and limits as upernet_conv_run; in_h x in_w is the conv input
 * size. Equal to upernet_conv_run on the materialised concatenation (bitwise
 * with the scalar kernel; see src/ops/conv_sources.c). Takes per call
 * (scratch pool or heap, as upernet_conv_run) the resampling tables and per
 * thread a pointer array and a buffer of at most kernel^2 * MR interpolated
 * pixels. Fails with UPERNET_ERR_MISMATCH
 * when the channels do not add up or the packing nr differs. */
enum upernet_status upernet_conv_run_sources(const struct upernet_kernel_table *t,
                                             const struct upernet_conv *conv, size_t in_h,
                                             size_t in_w,
                                             const struct upernet_conv_source *sources,
                                             size_t n_sources, float *y, size_t y_stride,
                                             const float *scale, const float *residual,
                                             size_t residual_stride, upernet_error *err);

/* ------------------------------------------------------ depthwise conv 7x7 */

/* 7x7 depthwise conv, stride 1, zero padding 3, with bias, on a dense NHWC
 * height x width x channels map (pixel stride = channels). w is packed by
 * upernet_pack_dwconv7x7 ([49][channels]); bias has `channels` floats.
 * y must not overlap x. Threads split output rows. */
void upernet_dwconv7x7_run(const struct upernet_kernel_table *t, size_t height, size_t width,
                           size_t channels, const float *x, const float *w, const float *bias,
                           float *y);

struct upernet_op_cost upernet_dwconv7x7_cost(size_t height, size_t width, size_t channels);

/* ------------------------------------------------------------- layer norm */

/* Layer norm over the channels of each of `pixels` rows (biased variance,
 * docs/SPECIFICATION.md §4.3): y = (x - mean)/sqrt(var + eps)*gamma + beta. y may equal x (in
 * place, same stride). Threads split pixels. */
void upernet_layernorm_run(const struct upernet_kernel_table *t, size_t pixels, size_t channels,
                           const float *x, size_t x_stride, float *y, size_t y_stride,
                           const float *gamma, const float *beta, float eps);

struct upernet_op_cost upernet_layernorm_cost(size_t pixels);

/* ------------------------------------------------------ bilinear resizing */

/* Bilinear resize, align_corners = False, explicit output size, with
 * exactly PyTorch's source index and weight computation (docs/SPECIFICATION.md §4.7):
 * in_h x in_w x channels (pixel stride x_stride) -> out_h x out_w (pixel
 * stride y_stride). accumulate = false writes y = up(x); accumulate = true
 * computes y += up(x) (the top-down path). y must not overlap x.
 * Fails only with UPERNET_ERR_NOMEM (per-axis tables, per call, from the
 * scratch pool or the heap as upernet_conv_run). */
enum upernet_status upernet_resize_bilinear(size_t in_h, size_t in_w, size_t channels,
                                            const float *x, size_t x_stride, size_t out_h,
                                            size_t out_w, float *y, size_t y_stride,
                                            bool accumulate, upernet_error *err);

/* The same resize, writing channel planes (NCHW with batch 1, the logits
 * layout): y[c*out_h*out_w + oy*out_w + ox], through t's bilinear_h and
 * bilinear_v kernels. */
enum upernet_status upernet_resize_bilinear_to_planes(const struct upernet_kernel_table *t,
                                                      size_t in_h, size_t in_w, size_t channels,
                                                      const float *x, size_t x_stride,
                                                      size_t out_h, size_t out_w, float *y,
                                                      upernet_error *err);

struct upernet_op_cost upernet_resize_bilinear_cost(size_t out_h, size_t out_w);
struct upernet_op_cost upernet_resize_bilinear_to_planes_cost(size_t out_h);

/* ------------------------------------------------------------------ pooling */

/* Adaptive average pooling to size x size with PyTorch's integer bins
 * (docs/SPECIFICATION.md §4.6; bins may overlap): in_h x in_w x channels (pixel stride
 * x_stride) -> size x size x channels (pixel stride y_stride). Sums are
 * taken in double. */
void upernet_adaptive_avg_pool(size_t in_h, size_t in_w, size_t channels, const float *x,
                               size_t x_stride, size_t size, float *y, size_t y_stride);

struct upernet_op_cost upernet_adaptive_avg_pool_cost(size_t size, size_t channels);

/* ------------------------------------------------------------ elementwise */

/* Copies `channels` floats of each of `pixels` pixels from x (pixel stride
 * x_stride) to y (pixel stride y_stride): materialises one slice of a
 * channel concatenation. */
void upernet_copy_channels(size_t pixels, size_t channels, const float *x, size_t x_stride,
                           float *y, size_t y_stride);

#endif
