/* Adaptive average pooling, NHWC, with PyTorch's integer bins
 * (aten/src/ATen/native/AdaptivePooling.h start_index / end_index):
 *   start(i) = (i/S)*n + ((i%S)*n)/S,  end(i) = 1 + ((i+1)*n - 1)/S
 * Bins may overlap. Sums in double, one output cell per loop iteration. */
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

void upernet_adaptive_avg_pool(size_t in_h, size_t in_w, size_t channels, const float *x,
                               size_t x_stride, size_t size, float *y, size_t y_stride)
{
#pragma omp parallel for schedule(static)
    for (size_t cell = 0; cell < size * size; cell++) {
        const size_t oy = cell / size, ox = cell % size;
        const size_t y0 = bin_start(oy, size, in_h), y1 = bin_end(oy, size, in_h);
        const size_t x0 = bin_start(ox, size, in_w), x1 = bin_end(ox, size, in_w);
        const double count = (double) ((y1 - y0) * (x1 - x0));
        float *out = y + cell * y_stride;
        for (size_t c = 0; c < channels; c++) {
            double sum = 0.0;
            for (size_t iy = y0; iy < y1; iy++)
                for (size_t ix = x0; ix < x1; ix++)
                    sum += x[(iy * in_w + ix) * x_stride + c];
            out[c] = (float) (sum / count);
        }
    }
}
