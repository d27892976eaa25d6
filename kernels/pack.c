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
