/* f32 layer norm, scalar reference (the variant every SIMD one is tested against).
 *
 * Contract (shared by all variants, see kernels/microkernels.h):
 *   layout   NHWC rows: `pixels` rows of `channels` floats, row p at x + p*x_stride,
 *            output row p at y + p*y_stride; y == x allowed (in place).
 *   math     mean and biased variance over the row, then
 *            y = (x - mean) / sqrt(var + eps) * gamma + beta.
 *   tails    any channels >= 1; any pixels >= 0.
 *   reads    exactly the row's `channels` floats, gamma[0..channels), beta[0..channels).
 *
 * The sums are taken in double so this reference is as close to the exact value
 * as a float result can be; SIMD variants sum in float lanes and are held to a
 * tolerance against it (tests/test_layernorm.c). */
#include "config.h"

#include <math.h>

#include "kernels/microkernels.h"

void upernet_f32_layernorm_ukernel__scalar(size_t pixels, size_t channels, const float *x,
                                           size_t x_stride, float *y, size_t y_stride,
                                           const float *gamma, const float *beta, float eps)
{
    for (size_t p = 0; p < pixels; p++) {
        const float *in = x + p * x_stride;
        float *out = y + p * y_stride;
        double sum = 0.0;
        for (size_t c = 0; c < channels; c++)
            sum += in[c];
        const double mean = sum / (double) channels;
        double squares = 0.0;
        for (size_t c = 0; c < channels; c++) {
            const double d = in[c] - mean;
            squares += d * d;
        }
        const float rstd = (float) (1.0 / sqrt(squares / (double) channels + eps));
        const float mean_f = (float) mean;
        for (size_t c = 0; c < channels; c++)
            out[c] = (in[c] - mean_f) * rstd * gamma[c] + beta[c];
    }
}
