/* The 3x3 conv drivers at UperNet-ConvNeXt-tiny's head shapes, direct
 * (src/ops/conv.c, conv_sources.c) against Winograd F(2x2,3x3)
 * (src/ops/winograd.c), per tier this host runs, at 1 thread and all:
 *   fpn:  tiny's fpn_convs.0, 512 -> 512 at 128x128 (a 512x512 input);
 *   fuse: the fpn_bottleneck's concat-free conv over four 512-channel
 *         sources (64x64 in place, 32x32, 16x16, 8x8 upsampled) -> 512 at
 *         64x64: tiny's fuse conv for a 256x256 input (a quarter of the
 *         512x512 one, which takes seconds per iteration on one core).
 * Everything the driver does is timed (gathering, upsampling, transforms,
 * GEMMs). "GFLOP/s" counts the direct conv's 2*9*Cin*Cout flops per output
 * pixel for both algorithms (the usual "effective" rate of a Winograd
 * conv), so the two rows compare as times do and %peak shows how far the
 * reduced arithmetic goes past the FMA peak of the same tier and threads,
 * measured in this process. */
#include "config.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench_common.h"
#include "bench/shim.h"
#include "kernels/dispatch.h"
#include "kernels/pack.h"
#include "ops/ops.h"

struct conv3x3_shape {
    const char *label;
    size_t size;       /* output (and level-0 source) height = width */
    size_t n_sources;  /* 1: a plain conv; 4: the fuse path's pyramid */
    size_t source_c;   /* channels per source */
    size_t out_c;
};

static const struct conv3x3_shape shapes[] = {
    {"fpn_128x128x512to512", 128, 1, 512, 512},
    {"fuse_64x64x4x512to512", 64, 4, 512, 512},
};
#define N_SHAPES (sizeof shapes / sizeof shapes[0])

struct conv3x3_case {
    const struct conv3x3_shape *shape;
    enum upernet_isa tier;
    int winograd;
    int threads;
};

static void run_conv3x3(upernet_bench_state *s, const void *arg)
{
    const struct conv3x3_case *c = arg;
    const struct conv3x3_shape *sh = c->shape;
    const struct upernet_kernel_table *t = bench_select_tier(s, c->tier);
    if (t == NULL)
        return;
    upernet_error err;
    const size_t nr = t->igemm.nr, in_c = sh->n_sources * sh->source_c, out_c = sh->out_c;

    struct upernet_conv_source sources[4];
    float *data[4];
    for (size_t j = 0; j < sh->n_sources; j++) {
        const size_t side = sh->size >> j; /* level j of the pyramid */
        data[j] = bench_alloc_floats(side * side * sh->source_c, 0.0f);
        bench_fill_uniform(data[j], side * side * sh->source_c);
        sources[j] = (struct upernet_conv_source){data[j], side, side, sh->source_c, sh->source_c};
    }
    float *weight = bench_alloc_floats(out_c * in_c * 9, 0.0f);
    float *bias = bench_alloc_floats(out_c, 0.0f);
    bench_fill_uniform(weight, out_c * in_c * 9);
    bench_fill_uniform(bias, out_c);
    for (size_t i = 0; i < out_c * in_c * 9; i++)
        weight[i] *= 0.02f;
    const size_t floats = c->winograd ? upernet_pack_winograd23_floats(out_c, in_c, nr)
                                      : upernet_pack_conv_floats(out_c, in_c, 3, 3, nr);
    float *packed = bench_alloc_floats(floats, 0.0f);
    struct upernet_conv conv = {in_c, out_c, 3, 1, 1, nr, NULL, UPERNET_ACT_RELU, NULL};
    if (c->winograd) {
        upernet_pack_winograd23(out_c, in_c, nr, weight, bias, NULL, packed);
        conv.winograd = packed;
    } else {
        upernet_pack_conv(out_c, in_c, 3, 3, nr, weight, bias, NULL, packed);
        conv.packed = packed;
    }
    float *y = bench_alloc_floats(sh->size * sh->size * out_c, 0.0f);

    const int saved = omp_get_max_threads();
    omp_set_num_threads(c->threads);
    while (upernet_bench_keep_running(s)) {
        if (upernet_conv_run_sources(t, &conv, sh->size, sh->size, sources, sh->n_sources, y,
                                     out_c, NULL, NULL, 0, &err) != UPERNET_OK) {
            upernet_bench_skip(s, err.message);
            break;
        }
    }
    omp_set_num_threads(saved);
    const double pixels = (double) (sh->size * sh->size);
    bench_report_flops(s, 2.0 * 9.0 * (double) in_c * (double) out_c * pixels, c->tier,
                       c->threads);
    for (size_t j = 0; j < sh->n_sources; j++)
        free(data[j]);
    free(weight), free(bias), free(packed), free(y);
}

void bench_register_conv3x3(void)
{
    static const enum upernet_isa tiers[] = {UPERNET_ISA_SCALAR, UPERNET_ISA_AVX2,
                                             UPERNET_ISA_AVX512, UPERNET_ISA_NEON};
    const int all = bench_max_threads();
    /* Each call is 0.1-1 s: one call per repetition. */
    static const struct upernet_bench_options one_call = {1, 0.0};
    for (size_t i = 0; i < N_SHAPES; i++)
        for (size_t k = 0; k < sizeof tiers / sizeof tiers[0]; k++) {
            /* The scalar tier needs minutes per iteration here. */
            if (tiers[k] == UPERNET_ISA_SCALAR || !bench_tier_on_host(tiers[k]))
                continue;
            for (int winograd = 0; winograd <= 1; winograd++)
                for (int threads = 1; threads <= all; threads = threads == all ? all + 1 : all) {
                    struct conv3x3_case *c = bench_keep(sizeof *c);
                    *c = (struct conv3x3_case){&shapes[i], tiers[k], winograd, threads};
                    char name[128];
                    snprintf(name, sizeof name, "conv3x3/%s/%s/%s/threads:%d",
                             upernet_isa_name(tiers[k]), winograd ? "winograd" : "direct",
                             shapes[i].label, threads);
                    upernet_bench_register_with(name, run_conv3x3, c, &one_call);
                }
        }
}
