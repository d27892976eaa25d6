/* The model's bilinear resizes (src/ops/resize.c), at tiny's 512x512
 * shapes, at 1 thread and all threads. Both are memory-bound, so the
 * counters are "GB/s" (bytes each call must move: every input float read
 * once, every output float written once, plus the read of the sum for the
 * accumulating one) and "%bw" of the triad bandwidth measured in this run at
 * the cache level of the working set:
 *   logits:  the final 4x resize of the 150 class scores, 128x128 NHWC ->
 *            150 planes of 512x512 (157 MB written, the largest write of a
 *            forward; streaming stores);
 *   topdown: the FPN's top-down step, level 1 (64x64x512) upsampled and
 *            added into level 0 (128x128x512) in place. */
#include "config.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench_common.h"
#include "bench/shim.h"
#include "ops/ops.h"

struct resize_case {
    const char *label;
    size_t in_side, out_side, channels;
    bool to_planes; /* the logits resize; else the accumulating NHWC one */
    int threads;
};

static void run_resize(upernet_bench_state *s, const void *arg)
{
    const struct resize_case *c = arg;
    const size_t in_floats = c->in_side * c->in_side * c->channels;
    const size_t out_floats = c->out_side * c->out_side * c->channels;
    float *x = bench_alloc_floats(in_floats, 0.0f), *y = bench_alloc_floats(out_floats, 0.0f);
    bench_fill_uniform(x, in_floats);
    bench_fill_uniform(y, out_floats);
    upernet_error err;
    const int saved = omp_get_max_threads();
    omp_set_num_threads(c->threads);
    while (upernet_bench_keep_running(s)) {
        const enum upernet_status st =
            c->to_planes
                ? upernet_resize_bilinear_to_planes(upernet_kernels(), c->in_side, c->in_side,
                                                    c->channels, x, c->channels, c->out_side,
                                                    c->out_side, y, &err)
                : upernet_resize_bilinear(c->in_side, c->in_side, c->channels, x, c->channels,
                                          c->out_side, c->out_side, y, c->channels, true, &err);
        if (st != UPERNET_OK) {
            upernet_bench_skip(s, err.message);
            break;
        }
    }
    omp_set_num_threads(saved);
    const double bytes =
        (double) sizeof(float) * ((double) in_floats + (c->to_planes ? 1.0 : 2.0) * out_floats);
    upernet_bench_set_bytes_per_iteration(s, bytes);
    bench_report_bytes(s, bytes, (in_floats + out_floats) * sizeof(float), c->threads);
    free(x), free(y);
}

void bench_register_resize(void)
{
    static const struct resize_case shapes[] = {
        {"logits_128x128x150_to_planes_512x512", 128, 512, 150, true, 1},
        {"topdown_64x64x512_add_to_128x128", 64, 128, 512, false, 1},
    };
    const int all = bench_max_threads();
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int threads = 1; threads <= all; threads = threads == all ? all + 1 : all) {
            struct resize_case *c = bench_keep(sizeof *c);
            *c = shapes[i];
            c->threads = threads;
            char name[128];
            snprintf(name, sizeof name, "resize/%s/threads:%d", c->label, threads);
            upernet_bench_register(name, run_resize, c);
        }
}
