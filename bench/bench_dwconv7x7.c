/* 7x7 depthwise conv micro-kernels, one thread, at the four ConvNeXt-tiny
 * stage shapes for a 512x512 input (128x128x96, 64x64x192, 32x32x384,
 * 16x16x768), all rows in one call. Reports GFLOP/s (2*49 flops per output
 * value, padding taps included, as the usual convention counts them) with
 * "%peak" against the tier's FMA peak measured in this process, and bytes/s
 * for one read of x and one write of y (the bytes the op must move). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "bench/bench_common.h"
#include "bench/shim.h"
#include "kernels/dispatch.h"

struct dwconv_case {
    enum upernet_isa tier;
    upernet_f32_dwconv7x7_fn fn;
    size_t size, channels; /* size x size pixels */
};

static void run_dwconv(upernet_bench_state *s, const void *arg)
{
    const struct dwconv_case *c = arg;
    if (!bench_tier_runnable(s, c->tier))
        return;
    const size_t h = c->size, w = c->size, ch = c->channels, n = h * w * ch;
    float *x = bench_alloc_floats(n, 0.0f), *y = bench_alloc_floats(n, 0.0f);
    float *weight = bench_alloc_floats(49 * ch, 0.0f), *bias = bench_alloc_floats(ch, 0.0f);
    bench_fill_uniform(x, n);
    bench_fill_uniform(weight, 49 * ch);
    bench_fill_uniform(bias, ch);
    while (upernet_bench_keep_running(s))
        c->fn(h, w, ch, 0, h, x, weight, bias, y);
    const double bytes = 2.0 * (double) n * sizeof(float);
    upernet_bench_set_bytes_per_iteration(s, bytes);
    bench_report_flops(s, 2.0 * 49.0 * (double) n, c->tier, 1);
    free(x), free(y), free(weight), free(bias);
}

void bench_register_dwconv7x7(void)
{
    static const size_t shapes[][2] = {{128, 96}, {64, 192}, {32, 384}, {16, 768}};
    enum { N_SHAPES = sizeof shapes / sizeof shapes[0] };
#define UPERNET_DWCONV7X7_UKERNEL(tier, production, function, ctile)                         \
    for (size_t i = 0; i < N_SHAPES && bench_tier_on_host(tier); i++) {                   \
        struct dwconv_case *c = bench_keep(sizeof *c);                                    \
        *c = (struct dwconv_case){tier, function, shapes[i][0], shapes[i][1]};            \
        char name[128];                                                                   \
        snprintf(name, sizeof name, "dwconv7x7/%s/%zux%zux%zu", upernet_isa_name(tier),   \
                 shapes[i][0], shapes[i][0], shapes[i][1]);                               \
        upernet_bench_register(name, run_dwconv, c);                                      \
    }
#include "kernels/f32-dwconv7x7/f32-dwconv7x7.inc"
#undef UPERNET_DWCONV7X7_UKERNEL
}
