/* Layer norm at the four ConvNeXt shapes (pixels x channels at 512x512 input),
 * for every variant of the layer norm family this host runs. Bytes count one
 * read and one write of the activations (gamma and beta stay in L1); %bw is
 * against the triad bandwidth of the cache level that holds them. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "bench/bench_common.h"
#include "bench/shim.h"
#include "kernels/dispatch.h"

struct layernorm_case {
    enum upernet_isa tier;
    upernet_f32_layernorm_fn fn;
    size_t pixels, channels;
};

static void run_layernorm(upernet_bench_state *s, const void *arg)
{
    const struct layernorm_case *c = arg;
    if (!bench_tier_runnable(s, c->tier))
        return;
    const size_t n = c->pixels * c->channels;
    float *x = bench_alloc_floats(n, 1.0f), *y = bench_alloc_floats(n, 0.0f);
    float *gamma = bench_alloc_floats(c->channels, 1.0f), *beta = bench_alloc_floats(c->channels, 0.0f);
    bench_fill_uniform(x, n);
    while (upernet_bench_keep_running(s))
        c->fn(c->pixels, c->channels, x, c->channels, y, c->channels, gamma, beta, 1e-6f);
    const double bytes = 2.0 * (double) n * sizeof(float);
    upernet_bench_set_bytes_per_iteration(s, bytes);
    bench_report_bytes(s, bytes, (size_t) bytes, 1);
    free(x), free(y), free(gamma), free(beta);
}

void bench_register_layernorm(void)
{
    static const size_t shapes[][2] = {{16384, 96}, {4096, 192}, {1024, 384}, {256, 768}};
    enum { N_SHAPES = sizeof shapes / sizeof shapes[0] };
#define UPERNET_LAYERNORM_UKERNEL(tier, production, fn, ctile)                                 \
    for (size_t i = 0; i < N_SHAPES && bench_tier_on_host(tier); i++) {                        \
        struct layernorm_case *c = bench_keep(sizeof *c);                                      \
        *c = (struct layernorm_case){tier, fn, shapes[i][0], shapes[i][1]};                    \
        char name[128];                                                                        \
        snprintf(name, sizeof name, "layernorm/%s/%zux%zu", upernet_isa_name(tier),           \
                 shapes[i][0], shapes[i][1]);                                                  \
        upernet_bench_register(name, run_layernorm, c);                                        \
    }
#include "kernels/f32-layernorm/f32-layernorm.inc"
#undef UPERNET_LAYERNORM_UKERNEL
}
