/* Weight packing for the igemm and dwconv7x7 micro-kernels (layouts in
 * kernels/pack.h). Runs once at load. */
#include "config.h"

#include "kernels/pack.h"

#include <math.h>
#include <string.h>

size_t upernet_pack_conv_panel_floats(size_t in_c, size_t kernel_h, size_t kernel_w, size_t nr)
{
    return nr * (1 + kernel_h * kernel_w * in_c);
}

size_t upernet_pack_conv_floats(size_t out_c, size_t in_c, size_t kernel_h, size_t kernel_w,
                                size_t nr)
{
    const size_t panels = (out_c + nr - 1) / nr;
    return panels * upernet_pack_conv_panel_floats(in_c, kernel_h, kernel_w, nr);
}

void upernet_pack_conv(size_t out_c, size_t in_c, size_t kernel_h, size_t kernel_w, size_t nr,
                       const float *weight, const float *bias, const float *out_scale,
                       float *packed)
{
    const size_t taps = kernel_h * kernel_w;
    const size_t panels = (out_c + nr - 1) / nr;
    const size_t panel_floats = upernet_pack_conv_panel_floats(in_c, kernel_h, kernel_w, nr);
    for (size_t p = 0; p < panels; p++) {
        float *panel = packed + p * panel_floats;
        memset(panel, 0, panel_floats * sizeof *panel);
        for (size_t j = 0; j < nr && p * nr + j < out_c; j++) {
            const size_t o = p * nr + j;
            panel[j] = bias != NULL ? bias[o] : 0.0f;
            const float *wo = weight + o * in_c * taps; /* [in_c][kh][kw] of output o */
            for (size_t s = 0; s < taps; s++) {
                for (size_t k = 0; k < in_c; k++) {
                    float v = wo[k * taps + s];
                    if (out_scale != NULL)
                        v *= out_scale[o];
                    panel[nr + (s * in_c + k) * nr + j] = v;
                }
            }
        }
    }
}

size_t upernet_pack_winograd23_position_floats(size_t out_c, size_t in_c, size_t nr)
{
    const size_t chunks = (in_c + UPERNET_WINOGRAD_KC - 1) / UPERNET_WINOGRAD_KC;
    return (out_c + nr - 1) / nr * nr * (in_c + chunks);
}

size_t upernet_pack_winograd23_floats(size_t out_c, size_t in_c, size_t nr)
{
    return 16 * upernet_pack_winograd23_position_floats(out_c, in_c, nr) + out_c;
}

void upernet_pack_winograd23(size_t out_c, size_t in_c, size_t nr, const float *weight,
                             const float *bias, const float *out_scale, float *packed)
{
    static const double G[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
    const size_t position_floats = upernet_pack_winograd23_position_floats(out_c, in_c, nr);
    memset(packed, 0, 16 * position_floats * sizeof *packed);
    for (size_t o = 0; o < out_c; o++) {
        const size_t p = o / nr, j = o % nr;
        for (size_t k = 0; k < in_c; k++) {
            /* Row k is row k % KC of chunk k / KC, after the piece's zero row. */
            const size_t q = k / UPERNET_WINOGRAD_KC;
            float *piece = packed + upernet_winograd23_piece_offset(in_c, out_c, nr, q, p);
            float *dst = piece + (1 + k % UPERNET_WINOGRAD_KC) * nr + j;
            const float *w = weight + (o * in_c + k) * 9;
            double g[3][3], gt[4][3]; /* gt = G g */
            for (size_t s = 0; s < 9; s++)
                g[s / 3][s % 3] = out_scale != NULL ? (double) (w[s] * out_scale[o]) : w[s];
            for (size_t a = 0; a < 4; a++)
                for (size_t b = 0; b < 3; b++)
                    gt[a][b] = G[a][0] * g[0][b] + G[a][1] * g[1][b] + G[a][2] * g[2][b];
            for (size_t a = 0; a < 4; a++)
                for (size_t b = 0; b < 4; b++) {
                    const double u = gt[a][0] * G[b][0] + gt[a][1] * G[b][1] + gt[a][2] * G[b][2];
                    dst[(4 * a + b) * position_floats] = (float) u;
                }
        }
        packed[16 * position_floats + o] = bias != NULL ? bias[o] : 0.0f;
    }
}

void upernet_fold_batchnorm(size_t channels, const float *gamma, const float *beta,
                            const float *mean, const float *var, float eps, float *alpha,
                            float *shift)
{
    for (size_t c = 0; c < channels; c++) {
        /* PyTorch's order: invstd first, then times weight. */
        const float invstd = 1.0f / sqrtf(var[c] + eps);
        const float a = invstd * gamma[c];
        alpha[c] = a;
        shift[c] = beta[c] - mean[c] * a;
    }
}

void upernet_pack_dwconv7x7(size_t channels, const float *weight, float *packed)
{
    for (size_t c = 0; c < channels; c++)
        for (size_t t = 0; t < 49; t++)
            packed[t * channels + c] = weight[c * 49 + t];
}
