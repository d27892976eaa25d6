/* Kernel function types and the prototypes of every compiled micro-kernel.
 *
 * Each kernel family has one X-macro list, kernels/<family>/<family>.inc, with
 * one line per compiled variant: its tier, whether it is the tier's
 * production variant (UPERNET_PROD, the one dispatch hands out) or not
 * (UPERNET_NON_PROD: tested and benchmarked only), its function and its tile
 * sizes. That list is expanded here into prototypes, in dispatch.c into the
 * table filler, in tests/ into Check test cases and in bench/ into
 * benchmarks, so a new variant is a new source file plus one line. Only
 * variants whose tier was built (config.h UPERNET_BUILD_*) appear in the
 * lists. Each tier has at most one production variant per family (dispatch
 * refuses a tier with two, tests/test_dispatch.c checks every built tier). */
#ifndef UPERNET_KERNELS_MICROKERNELS_H
#define UPERNET_KERNELS_MICROKERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "upernet.h"

/* The production flag of a .inc line. */
#define UPERNET_PROD 1
#define UPERNET_NON_PROD 0

/* On a kernel whose contract is a rounded product followed by a separately
 * rounded sum (the bilinear steps): GCC fuses a multiply feeding an add into
 * one FMA wherever the target has FMA (the AVX2 and AVX-512 tier sources,
 * every AArch64 source), which changes the rounding and would make the
 * tiers disagree with the scalar reference. */
#if defined(__GNUC__) && !defined(__clang__)
#define UPERNET_NO_FP_CONTRACT __attribute__((optimize("fp-contract=off")))
#else
#define UPERNET_NO_FP_CONTRACT /* clang fuses only within one expression */
#endif

/* ---- f32 layer norm over the channels of each pixel (NHWC) ----
 * For each of `pixels` rows of `channels` floats at x + p*x_stride:
 *   y = (x - mean) / sqrt(var + eps) * gamma + beta   (biased variance)
 * written to y + p*y_stride. y may equal x (in place); otherwise the rows must
 * not overlap. Strides are in floats. Any channels >= 1, any pixels >= 0. */
typedef void (*upernet_f32_layernorm_fn)(size_t pixels, size_t channels,
                                         const float *x, size_t x_stride,
                                         float *y, size_t y_stride,
                                         const float *gamma, const float *beta, float eps);

#define UPERNET_LAYERNORM_UKERNEL(tier, production, fn, channel_tile)                \
    void fn(size_t pixels, size_t channels, const float *x, size_t x_stride, float *y, \
            size_t y_stride, const float *gamma, const float *beta, float eps);
#include "kernels/f32-layernorm/f32-layernorm.inc"
#undef UPERNET_LAYERNORM_UKERNEL

/* ---- f32 indirect GEMM with a fused epilogue (1x1 convs, Linear, k x k convs) ----
 * Computes one mr x nc tile (mr <= MR, nc <= NR of the variant):
 *   acc[i][j] = sum_{s<ks} sum_{k<kc} a[s*mr + i][k] * W[s][k][j] + bias[j]
 *   c[i*c_stride + j] = epilogue(acc[i][j])          for i < mr, j < nc
 * blocks  the ks*kc products, in (s, k) order, are summed in blocks of
 *         UPERNET_IGEMM_KBLOCK (the last one shorter; a block may span taps):
 *         each block from zero, each block's sum added to the running total,
 *         and the bias last. Long sums (the fuse conv's 18432 products, a
 *         trained checkpoint's massive biases) then lose as little as
 *         PyTorch's blocked GEMMs (tests/test_accuracy.c).
 * a       ks*mr row pointers: a[s*mr + i] points to the kc floats pixel i reads
 *         for step s (a kernel tap, or the one row of a plain GEMM); padding
 *         taps point to a zeroed buffer. Exactly kc floats are read per pointer.
 * w       one packed panel (see kernels/pack.h): NR bias floats, then ks*kc rows
 *         of NR floats, row s*kc + k; columns >= nc are zero. The kernel may read
 *         the whole panel (NR wide) but writes only the nc columns of mr rows.
 * epilogue, in this order: activation; times scale[j] if scale != NULL; plus
 *         residual[i*residual_stride + j] if residual != NULL. scale and residual
 *         point at the tile's first column/row; residual may equal c (in place,
 *         then residual_stride == c_stride): read each residual element before
 *         writing that c element. ep is never NULL.
 * sizes   1 <= mr <= MR, 1 <= nc <= NR, kc >= 1, ks >= 1. The a array has exactly
 *         ks*mr entries: for rows i >= mr a kernel may recompute a real row
 *         (e.g. row mr-1) but must not index a[] past s*mr + mr - 1.
 * order   any fixed summation order (tests allow a tolerance growing with
 *         ks*kc), but the result of an element must depend only on the inputs,
 *         never on timing: the drivers rely on it for thread-count-independent
 *         bits. */
#define UPERNET_IGEMM_KBLOCK 256
enum upernet_activation { UPERNET_ACT_NONE = 0, UPERNET_ACT_RELU, UPERNET_ACT_GELU };

struct upernet_gemm_epilogue {
    enum upernet_activation activation;
    const float *scale;
    const float *residual;
    size_t residual_stride;
};

typedef void (*upernet_f32_igemm_fn)(size_t mr, size_t nc, size_t kc, size_t ks,
                                     const float *const *a, const float *w, float *c,
                                     size_t c_stride, const struct upernet_gemm_epilogue *ep);

#define UPERNET_IGEMM_UKERNEL(tier, production, fn, mr_tile, nr_tile)                    \
    void fn(size_t mr, size_t nc, size_t kc, size_t ks, const float *const *a,            \
            const float *w, float *c, size_t c_stride, const struct upernet_gemm_epilogue *ep);
#include "kernels/f32-igemm/f32-igemm.inc"
#undef UPERNET_IGEMM_UKERNEL

/* ---- f32 7x7 depthwise convolution, NHWC, stride 1, zero padding 3, with bias ----
 * x and y are height*width*channels floats (dense NHWC); y must not overlap x.
 * Computes output rows [row_begin, row_end) only (threads split rows).
 * w is packed [49][channels]: tap (ky, kx) at w + (ky*7 + kx)*channels.
 *   y[h][w][c] = bias[c] + sum_{ky,kx} w[ky*7+kx][c] * x[h+ky-3][w+kx-3][c]
 * Any channels >= 1, any height, width >= 1. */
typedef void (*upernet_f32_dwconv7x7_fn)(size_t height, size_t width, size_t channels,
                                         size_t row_begin, size_t row_end, const float *x,
                                         const float *w, const float *bias, float *y);

#define UPERNET_DWCONV7X7_UKERNEL(tier, production, fn, channel_tile)                      \
    void fn(size_t height, size_t width, size_t channels, size_t row_begin, size_t row_end, \
            const float *x, const float *w, const float *bias, float *y);
#include "kernels/f32-dwconv7x7/f32-dwconv7x7.inc"
#undef UPERNET_DWCONV7X7_UKERNEL

/* ---- f32 Winograd F(2x2, 3x3) transforms (3x3 convs, stride 1, pad 1) ----
 * A 3x3 conv is computed per 2x2 output tile from the 4x4 input patch d
 * around it: Y = A^T [ (G g G^T) .* (B^T d B) ] A, the product .* being 16
 * GEMMs over the channels (one per position xi = 4*i + j), done by the igemm
 * kernel. With the standard matrices
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  A^T = [1 1 1 0; 0 1 -1 -1]
 * the input and output transforms are additions and subtractions only, in
 * the fixed order the scalar references write out, so every variant gives
 * the same bits (no FMA contraction is possible).
 *
 * Input transform, for each channel c < channels:
 *   d[r][q] = x[r*x_row_stride + q*x_pixel_stride + c]     (r, q < 4)
 *   v[(4*i + j)*v_stride + c] = (B^T d B)[i][j]
 * Reads exactly the 16 patch pixels' `channels` floats, writes 16 rows of
 * `channels` floats. Any channels >= 1. */
typedef void (*upernet_f32_winograd23_input_fn)(size_t channels, const float *x,
                                                size_t x_row_stride, size_t x_pixel_stride,
                                                float *v, size_t v_stride);

#define UPERNET_WINOGRAD23_INPUT_UKERNEL(tier, production, fn, channel_tile)                       \
    void fn(size_t channels, const float *x, size_t x_row_stride, size_t x_pixel_stride, float *v, \
            size_t v_stride);
#include "kernels/f32-winograd23/f32-winograd23-input.inc"
#undef UPERNET_WINOGRAD23_INPUT_UKERNEL

/* Output transform, for each channel c < channels:
 *   M[i][j] = m[(4*i + j)*m_stride + c]
 *   out = (A^T M A)[r][q] + bias[c], then the activation (NONE or RELU)
 *   y[r*y_row_stride + q*y_pixel_stride + c] = out      for r < rows, q < cols
 * rows, cols in {1, 2} clip the tile at the map's bottom/right border;
 * nothing else of y is written. Any channels >= 1. */
typedef void (*upernet_f32_winograd23_output_fn)(size_t channels, const float *m, size_t m_stride,
                                                 const float *bias, enum upernet_activation act,
                                                 float *y, size_t y_row_stride,
                                                 size_t y_pixel_stride, size_t rows, size_t cols);

#define UPERNET_WINOGRAD23_OUTPUT_UKERNEL(tier, production, fn, channel_tile)                 \
    void fn(size_t channels, const float *m, size_t m_stride, const float *bias,              \
            enum upernet_activation act, float *y, size_t y_row_stride, size_t y_pixel_stride, \
            size_t rows, size_t cols);
#include "kernels/f32-winograd23/f32-winograd23-output.inc"
#undef UPERNET_WINOGRAD23_OUTPUT_UKERNEL

/* ---- f32 bilinear resize into channel planes (the final logits resize) ----
 * The two steps of upernet_resize_bilinear_to_planes (src/ops/resize.c).
 * One axis tap: output sample o reads input samples i0 and i1 with weights
 * l0 and l1 (built by upernet_bilinear_axis, src/ops/bilinear.h). */
struct upernet_bilinear_tap {
    size_t i0, i1;
    float l0, l1;
};

/* Horizontal step: one source row of NHWC pixels (pixel p's channels at
 * x + p*x_stride) interpolated to out_w pixels, written planar:
 *   h[c*out_w + ox] = taps[ox].l0*x[taps[ox].i0][c] + taps[ox].l1*x[taps[ox].i1][c]
 * two products and one sum in that order, so that the vertical step
 * reproduces PyTorch's nesting. Any channels >= 1, out_w >= 1. */
typedef void (*upernet_f32_bilinear_h_fn)(size_t channels, const float *x, size_t x_stride,
                                          const struct upernet_bilinear_tap *taps, size_t out_w,
                                          float *h);

#define UPERNET_BILINEAR_H_UKERNEL(tier, production, fn)                                  \
    void fn(size_t channels, const float *x, size_t x_stride,                          \
            const struct upernet_bilinear_tap *taps, size_t out_w, float *h);
#include "kernels/f32-bilinear/f32-bilinear-h.inc"
#undef UPERNET_BILINEAR_H_UKERNEL

/* Vertical step: two planar rows (channels rows of width floats) blended
 * into one output row of each channel plane:
 *   y[c*y_plane_stride + j] = l0*h0[c*width + j] + l1*h1[c*width + j]
 * two products and one sum in that order. y must not overlap h0 or h1; any
 * alignment, any channels >= 1, width >= 1. Every store is complete (ordered)
 * when the kernel returns. */
typedef void (*upernet_f32_bilinear_v_fn)(size_t channels, size_t width, const float *h0,
                                          const float *h1, float l0, float l1, float *y,
                                          size_t y_plane_stride);

#define UPERNET_BILINEAR_V_UKERNEL(tier, production, fn)                                   \
    void fn(size_t channels, size_t width, const float *h0, const float *h1, float l0, float l1, \
            float *y, size_t y_plane_stride);
#include "kernels/f32-bilinear/f32-bilinear-v.inc"
#undef UPERNET_BILINEAR_V_UKERNEL

/* Horizontal step from planar rows (the segmentation post-processing,
 * src/image/postprocess.c): channel c's source row of in_w floats at
 * x + c*channel_stride, interpolated to out_w pixels, written planar:
 *   h[c*out_w + ox] = taps[ox].l0*x[c][taps[ox].i0] + taps[ox].l1*x[c][taps[ox].i1]
 * two products and one sum in that order, never fused. scratch: 4*in_w +
 * 8*out_w floats, 16-byte aligned, the kernel may use. Any channels, in_w,
 * out_w >= 1. */
typedef void (*upernet_f32_bilinear_hp_fn)(size_t channels, const float *x,
                                           size_t channel_stride, size_t in_w,
                                           const struct upernet_bilinear_tap *taps, size_t out_w,
                                           float *h, float *scratch);

#define UPERNET_BILINEAR_HP_UKERNEL(tier, production, fn)                                      \
    void fn(size_t channels, const float *x, size_t channel_stride, size_t in_w,              \
            const struct upernet_bilinear_tap *taps, size_t out_w, float *h, float *scratch);
#include "kernels/f32-bilinear/f32-bilinear-hp.inc"
#undef UPERNET_BILINEAR_HP_UKERNEL

/* ---- f32 bilinear vertical step fused with the argmax over classes ----
 * The segmentation post-processing (src/image/postprocess.c): h0 and h1 hold
 * two source rows of every class, already interpolated horizontally to the
 * output width (row k at k*class_stride); for each output pixel x
 *   out[x] = argmax over k of l0*h0[k*class_stride + x] + l1*h1[k*class_stride + x]
 * with two rounded products and one rounded sum (never fused), ties to the
 * lowest class, a NaN winning over numbers and the first NaN kept (as
 * torch.argmax). Any classes in [1, 65536], width >= 1. */
typedef void (*upernet_f32_bilinear_argmax_fn)(size_t classes, size_t width, const float *h0,
                                               const float *h1, size_t class_stride, float l0,
                                               float l1, uint16_t *out);

#define UPERNET_BILINEAR_ARGMAX_UKERNEL(tier, production, fn, pixel_tile)                    \
    void fn(size_t classes, size_t width, const float *h0, const float *h1,                  \
            size_t class_stride, float l0, float l1, uint16_t *out);
#include "kernels/f32-bilinear-argmax/f32-bilinear-argmax.inc"
#undef UPERNET_BILINEAR_ARGMAX_UKERNEL

#endif
