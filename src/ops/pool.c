/* Adaptive average pooling, NHWC, with PyTorch's integer bins
 * (aten/src/ATen/native/AdaptivePooling.h start_index / end_index):
 *   start(i) = (i/S)*n + ((i%S)*n)/S,  end(i) = 1 + ((i+1)*n - 1)/S
 * Bins may overlap. Sums in double, each channel's in the same order
 * whatever thread takes it. */
#include "config.h"

#include "ops/ops.h"

static size_t bin_start(size_t i, size_t size, size_t n)
{
    return (i / size) * n + ((i % size) * n) / size;
}

static size_t bin_end(size_t i, size_t size, size_t n)
{
    return 1 + ((i + 1) * n - 1) / size;
}

/* Work units: output cells x runs of CHANNEL_RUN channels, so the 1x1 and
 * 2x2 scales (1 and 4 cells) still spread over 16 threads or more (48 and
 * 192 units at 768 channels). */
#define CHANNEL_RUN 16

struct upernet_op_cost upernet_adaptive_avg_pool_cost(size_t size, size_t channels)
{
    return (struct upernet_op_cost){
        .units = size * size * ((channels + CHANNEL_RUN - 1) / CHANNEL_RUN), .loops = 1};
}

void upernet_adaptive_avg_pool(size_t in_h, size_t in_w, size_t channels, const float *x,
                               size_t x_stride, size_t size, float *y, size_t y_stride)
{
    const size_t runs = (channels + CHANNEL_RUN - 1) / CHANNEL_RUN;
#pragma omp parallel for schedule(static)
    for (size_t unit = 0; unit < size * size * runs; unit++) {
        const size_t cell = unit / runs, c0 = unit % runs * CHANNEL_RUN;
        const size_t c1 = c0 + CHANNEL_RUN < channels ? c0 + CHANNEL_RUN : channels;
        const size_t oy = cell / size, ox = cell % size;
        const size_t y0 = bin_start(oy, size, in_h), y1 = bin_end(oy, size, in_h);
        const size_t x0 = bin_start(ox, size, in_w), x1 = bin_end(ox, size, in_w);
        const double count = (double) ((y1 - y0) * (x1 - x0));
        float *out = y + cell * y_stride;
        for (size_t c = c0; c < c1; c++) {
            double sum = 0.0;
            for (size_t iy = y0; iy < y1; iy++)
                for (size_t ix = x0; ix < x1; ix++)
                    sum += x[(iy * in_w + ix) * x_stride + c];
            out[c] = (float) (sum / count);
        }
    }
}
