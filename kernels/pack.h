/* Weight packing: PyTorch layouts -> the layouts the micro-kernels read.
 * Done once at load; generic C (no ISA flags).
 *
 * igemm panels (kernels/microkernels.h, upernet_f32_igemm_fn): output
 * channels are cut into ceil(out_c / nr) panels of nr columns. Panel p holds
 *   nr bias floats (bias[p*nr + j]),
 *   then ks*kc rows of nr floats, row s*kc + k, s = ky*kernel_w + kx (the
 *   tap), k = input channel: W[p*nr + j][k][ky][kx] (times out_scale).
 * Columns past out_c are zero in both bias and weights. A panel is
 * nr*(1 + ks*kc) floats; panel p starts at p*nr*(1 + ks*kc). */
#ifndef UPERNET_KERNELS_PACK_H
#define UPERNET_KERNELS_PACK_H

#include <stddef.h>

/* Floats in one packed igemm panel / in all panels of a conv. */
size_t upernet_pack_conv_panel_floats(size_t in_c, size_t kernel_h, size_t kernel_w, size_t nr);
size_t upernet_pack_conv_floats(size_t out_c, size_t in_c, size_t kernel_h, size_t kernel_w,
                                size_t nr);

/* Packs a conv or Linear weight in PyTorch layout [out_c][in_c][kernel_h]
 * [kernel_w] (Linear: kernel 1x1) and its bias into igemm panels of width nr.
 * bias may be NULL (zeros). out_scale may be NULL; otherwise each weight of
 * output channel o is multiplied by out_scale[o] in float (BatchNorm folding:
 * pass alpha as out_scale and the BN shift as bias; see
 * upernet_fold_batchnorm). packed must hold upernet_pack_conv_floats(...). */
void upernet_pack_conv(size_t out_c, size_t in_c, size_t kernel_h, size_t kernel_w, size_t nr,
                       const float *weight, const float *bias, const float *out_scale,
                       float *packed);

/* Winograd F(2x2, 3x3) weights of a 3x3 conv (stride 1, padding 1), for
 * upernet_conv_run's Winograd path (src/ops/winograd.c). For each position
 * xi = 4*i + j (0..15), U_xi = (G g G^T)[i][j] with
 *   G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
 * is a 1x1 conv weight [out_c][in_c], cut along the input channels into
 * chunks of at most UPERNET_WINOGRAD_KC and along the output channels into
 * panels of nr. Each (chunk, panel) piece is a complete igemm panel: nr zero
 * "bias" floats, then its rows of nr (so the driver runs one chunk per
 * kernel call, the piece staying in L1 across row tiles). Within a position
 * the pieces go chunk by chunk, the panels of a chunk consecutive, so the
 * driver, which sweeps all panels of one chunk before the next chunk,
 * streams the weights in address order. Piece (q, p) of position xi is at
 *   xi * upernet_pack_winograd23_position_floats(out_c, in_c, nr)
 *      + upernet_winograd23_piece_offset(in_c, out_c, nr, q, p),
 * and the out_c biases follow the 16 positions (they are added after the
 * output transform). g is weight times out_scale[o] in float (as
 * upernet_pack_conv); the transform is computed in double, rounded once. */
#define UPERNET_WINOGRAD_KC 256
size_t upernet_pack_winograd23_position_floats(size_t out_c, size_t in_c, size_t nr);
size_t upernet_pack_winograd23_floats(size_t out_c, size_t in_c, size_t nr);
void upernet_pack_winograd23(size_t out_c, size_t in_c, size_t nr, const float *weight,
                             const float *bias, const float *out_scale, float *packed);

static inline size_t upernet_winograd23_piece_offset(size_t in_c, size_t out_c, size_t nr,
                                                     size_t q, size_t p)
{
    const size_t panels = (out_c + nr - 1) / nr, k0 = q * UPERNET_WINOGRAD_KC;
    const size_t kc = in_c - k0 < UPERNET_WINOGRAD_KC ? in_c - k0 : UPERNET_WINOGRAD_KC;
    return nr * (panels * q * (1 + UPERNET_WINOGRAD_KC) + p * (1 + kc));
}

/* BatchNorm eval as PyTorch's CPU kernel computes it, per channel in float:
 *   alpha[c] = (1/sqrt(var[c] + eps)) * gamma[c],  shift[c] = beta[c] - mean[c]*alpha[c]
 * (docs/SPECIFICATION.md §4.5; eps = 1e-5 for UperNet). */
void upernet_fold_batchnorm(size_t channels, const float *gamma, const float *beta,
                            const float *mean, const float *var, float eps, float *alpha,
                            float *shift);

/* Packs a depthwise 7x7 weight [channels][1][7][7] into [49][channels]
 * (tap ky*7 + kx at packed + (ky*7 + kx)*channels). */
void upernet_pack_dwconv7x7(size_t channels, const float *weight, float *packed);

#endif
