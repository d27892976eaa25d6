/* Layer norm driver: threads take contiguous runs of pixels. */
#include "config.h"

#include "ops/ops.h"
#include "ops/threads.h"

struct upernet_op_cost upernet_layernorm_cost(size_t pixels)
{
    return (struct upernet_op_cost){.units = pixels, .loops = 1};
}

void upernet_layernorm_run(const struct upernet_kernel_table *t, size_t pixels, size_t channels,
                           const float *x, size_t x_stride, float *y, size_t y_stride,
                           const float *gamma, const float *beta, float eps)
{
    const upernet_f32_layernorm_fn layernorm = t->layernorm.fn;
#pragma omp parallel
    {
        size_t begin, end;
        upernet_thread_share(pixels, &begin, &end);
        if (begin < end)
            layernorm(end - begin, channels, x + begin * x_stride, x_stride, y + begin * y_stride,
                      y_stride, gamma, beta, eps);
    }
}
