/* 7x7 depthwise conv driver: threads take contiguous bands of output rows and
 * call the tier's kernel once per band. */
#include "config.h"

#include "ops/ops.h"
#include "ops/threads.h"

struct upernet_op_cost upernet_dwconv7x7_cost(size_t height, size_t width, size_t channels)
{
    const double macs = 49.0 * (double) (height * width) * (double) channels;
    return (struct upernet_op_cost){.macs = macs, .direct_macs = macs, .units = height, .loops = 1};
}

void upernet_dwconv7x7_run(const struct upernet_kernel_table *t, size_t height, size_t width,
                           size_t channels, const float *x, const float *w, const float *bias,
                           float *y)
{
    const upernet_f32_dwconv7x7_fn dwconv = t->dwconv7x7.fn;
#pragma omp parallel
    {
        size_t begin, end;
        upernet_thread_share(height, &begin, &end);
        if (begin < end)
            dwconv(height, width, channels, begin, end, x, w, bias, y);
    }
}
