/* Strided channel copy: one slice of a channel concatenation. */
#include "config.h"

#include <string.h>

#include "ops/ops.h"

void upernet_copy_channels(size_t pixels, size_t channels, const float *x, size_t x_stride,
                           float *y, size_t y_stride)
{
#pragma omp parallel for schedule(static)
    for (size_t p = 0; p < pixels; p++)
        memcpy(y + p * y_stride, x + p * x_stride, channels * sizeof *y);
}
