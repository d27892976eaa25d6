/* Every convolution and Linear layer of UperNet-ConvNeXt-tiny at a 512x512
 * input, at its real shape and with its real epilogue, through the same
 * driver call src/model/forward.c makes (upernet_conv_run, or
 * upernet_conv_run_sources for the concat-free PPM and fuse convs), one
 * thread, per SIMD tier this host runs. Where bench/bench_igemm.c times the
 * micro-kernel alone at a few shapes, this is the whole layer: indirection,
 * upsampling on the fly, Winograd transforms and all, so the table says how
 * close each layer of the model runs to the FMA peak measured in the same
 * process. The shapes come from the built-in "tiny" configuration:
 *   stem          4x4 stride 4, 3 -> C0, 512x512 -> 128x128
 *   downsampleS   2x2 stride 2, C(S-1) -> C(S) (S = 1..3)
 *   fc1/fc2 stage S   the MLP's Linear layers on one pixel chunk of the
 *                 stage (upernet_plan_mlp_chunk: the call forward.c makes),
 *                 fc1 with GELU, fc2 with layer scale + residual in place
 *   lateralS      1x1 C(S) -> 512, BN folded, ReLU (S = 0..2)
 *   ppm_bottleneck 3x3 over [F3, up(4 pooled maps)] (768 + 4x512) -> 512 at
 *                 16x16, direct (the pooled maps' 1x1 convs are < 0.1 ms)
 *   fpnS          3x3 512 -> 512 at each level's size, Winograd, ReLU
 *   fuse          3x3 over [O0, up(O1..O3)] (4x512) -> 512 at 128x128,
 *                 Winograd, ReLU (seconds per call: one call per repetition)
 *   classifier    1x1 512 -> 150 at 128x128
 * "GFLOP/s" counts 2 x the direct layer's multiply-adds (the "effective"
 * rate for the Winograd layers, as bench/bench_conv3x3.c). The scalar tier
 * is left out: it is the correctness reference and takes minutes here. */
#include "config.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench_common.h"
#include "bench/shim.h"
#include "kernels/dispatch.h"
#include "kernels/pack.h"
#include "model/model.h"
#include "ops/ops.h"

#define INPUT_SIZE 512
#define MAX_SOURCES (1 + UPERNET_MAX_POOL_SCALES)

struct layer {
    char label[64];
    size_t out_h, out_w, in_h, in_w;
    size_t n_sources;            /* 1: a plain map; more: a concat-free conv */
    size_t source_h[MAX_SOURCES], source_w[MAX_SOURCES], source_c[MAX_SOURCES];
    size_t in_c, out_c, kernel, stride, padding;
    enum upernet_activation activation;
    bool scale_residual; /* fc2: y = x + gamma * (...), in place on x */
    bool winograd;
};

struct layer_case {
    const struct layer *layer;
    enum upernet_isa tier;
};

/* 2 x the direct layer's multiply-adds. */
static double layer_flops(const struct layer *l)
{
    return 2.0 * (double) (l->out_h * l->out_w) *
           (double) (l->out_c * l->in_c * l->kernel * l->kernel);
}

static void run_layer(upernet_bench_state *s, const void *arg)
{
    const struct layer_case *c = arg;
    const struct layer *l = c->layer;
    const struct upernet_kernel_table *t = bench_select_tier(s, c->tier);
    if (t == NULL)
        return;
    upernet_error err;
    const size_t nr = t->igemm.nr, k = l->kernel;

    struct upernet_conv_source sources[MAX_SOURCES];
    float *data[MAX_SOURCES];
    for (size_t j = 0; j < l->n_sources; j++) {
        const size_t floats = l->source_h[j] * l->source_w[j] * l->source_c[j];
        data[j] = bench_alloc_floats(floats, 0.0f);
        bench_fill_uniform(data[j], floats);
        sources[j] = (struct upernet_conv_source){data[j], l->source_h[j], l->source_w[j],
                                                  l->source_c[j], l->source_c[j]};
    }
    const size_t weights = l->out_c * l->in_c * k * k;
    float *weight = bench_alloc_floats(weights, 0.0f), *bias = bench_alloc_floats(l->out_c, 0.0f);
    bench_fill_uniform(weight, weights);
    bench_fill_uniform(bias, l->out_c);
    for (size_t i = 0; i < weights; i++)
        weight[i] *= 0.02f;
    struct upernet_conv conv = {l->in_c, l->out_c, k, l->stride, l->padding, nr,
                                NULL,    l->activation, NULL};
    float *packed;
    if (l->winograd) {
        packed = bench_alloc_floats(upernet_pack_winograd23_floats(l->out_c, l->in_c, nr), 0.0f);
        upernet_pack_winograd23(l->out_c, l->in_c, nr, weight, bias, NULL, packed);
        conv.winograd = packed;
    } else {
        packed = bench_alloc_floats(upernet_pack_conv_floats(l->out_c, l->in_c, k, k, nr), 0.0f);
        upernet_pack_conv(l->out_c, l->in_c, k, k, nr, weight, bias, NULL, packed);
        conv.packed = packed;
    }
    const size_t out_pixels = l->out_h * l->out_w;
    float *y = bench_alloc_floats(out_pixels * l->out_c, 0.0f);
    /* fc2 adds to its residual (the block's input) in place: y is both. */
    if (l->scale_residual)
        bench_fill_uniform(y, out_pixels * l->out_c);
    float *scale = bench_alloc_floats(l->out_c, 1e-6f);

    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    while (upernet_bench_keep_running(s)) {
        enum upernet_status st;
        if (l->n_sources > 1)
            st = upernet_conv_run_sources(t, &conv, l->in_h, l->in_w, sources, l->n_sources, y,
                                          l->out_c, NULL, NULL, 0, &err);
        else
            st = upernet_conv_run(t, &conv, l->in_h, l->in_w, data[0], l->in_c, y, l->out_c,
                                  l->scale_residual ? scale : NULL,
                                  l->scale_residual ? y : NULL, l->out_c, &err);
        if (st != UPERNET_OK) {
            upernet_bench_skip(s, err.message);
            break;
        }
    }
    omp_set_num_threads(saved);
    bench_report_flops(s, layer_flops(l), c->tier, 1);
    for (size_t j = 0; j < l->n_sources; j++)
        free(data[j]);
    free(weight), free(bias), free(packed), free(y), free(scale);
}

static struct layer *add_layer(struct layer *layers, size_t *n, const char *label, size_t in_h,
                               size_t in_w, size_t in_c, size_t out_c, size_t kernel, size_t stride,
                               size_t padding, enum upernet_activation activation)
{
    struct layer *l = &layers[(*n)++];
    *l = (struct layer){.in_h = in_h, .in_w = in_w, .n_sources = 1, .in_c = in_c,
                        .out_c = out_c, .kernel = kernel, .stride = stride, .padding = padding,
                        .activation = activation};
    snprintf(l->label, sizeof l->label, "%s", label);
    l->source_h[0] = in_h, l->source_w[0] = in_w, l->source_c[0] = in_c;
    l->out_h = upernet_conv_out_size(in_h, kernel, stride, padding);
    l->out_w = upernet_conv_out_size(in_w, kernel, stride, padding);
    return l;
}

/* Adds a source (of the concat-free convs) after the first. */
static void add_source(struct layer *l, size_t h, size_t w, size_t c)
{
    l->source_h[l->n_sources] = h, l->source_w[l->n_sources] = w;
    l->source_c[l->n_sources] = c;
    l->n_sources++;
    l->in_c += c;
}

void bench_register_layers(void)
{
    struct upernet_config cfg;
    upernet_error err;
    if (upernet_config_builtin("tiny", &cfg, &err) != UPERNET_OK) {
        fprintf(stderr, "bench: %s\n", err.message);
        return;
    }
    static struct layer layers[64];
    size_t n = 0;
    char label[64];
    size_t C[UPERNET_STAGES], side[UPERNET_STAGES];
    for (int s = 0; s < UPERNET_STAGES; s++) {
        C[s] = (size_t) cfg.hidden_sizes[s];
        side[s] = INPUT_SIZE / 4 >> s;
    }
    const size_t K = (size_t) cfg.hidden_size, labels = (size_t) cfg.num_labels;

    snprintf(label, sizeof label, "stem_4x4s4_%dx%dx3to%zu", INPUT_SIZE, INPUT_SIZE, C[0]);
    add_layer(layers, &n, label, INPUT_SIZE, INPUT_SIZE, 3, C[0], 4, 4, 0, UPERNET_ACT_NONE);
    for (int s = 0; s < UPERNET_STAGES; s++) {
        if (s > 0) {
            snprintf(label, sizeof label, "downsample%d_2x2s2_%zux%zux%zuto%zu", s, side[s - 1],
                     side[s - 1], C[s - 1], C[s]);
            add_layer(layers, &n, label, side[s - 1], side[s - 1], C[s - 1], C[s], 2, 2, 0,
                      UPERNET_ACT_NONE);
        }
        const size_t chunk = upernet_plan_mlp_chunk(&cfg, s, side[s] * side[s]);
        snprintf(label, sizeof label, "fc1_stage%d_%zux%zuto%zu_gelu", s + 1, chunk, C[s],
                 4 * C[s]);
        add_layer(layers, &n, label, 1, chunk, C[s], 4 * C[s], 1, 1, 0, UPERNET_ACT_GELU);
        snprintf(label, sizeof label, "fc2_stage%d_%zux%zuto%zu_scale_res", s + 1, chunk,
                 4 * C[s], C[s]);
        add_layer(layers, &n, label, 1, chunk, 4 * C[s], C[s], 1, 1, 0, UPERNET_ACT_NONE)
            ->scale_residual = true;
    }
    for (int s = 0; s < UPERNET_STAGES - 1; s++) {
        snprintf(label, sizeof label, "lateral%d_%zux%zux%zuto%zu_relu", s, side[s], side[s],
                 C[s], K);
        add_layer(layers, &n, label, side[s], side[s], C[s], K, 1, 1, 0, UPERNET_ACT_RELU);
    }
    {
        struct layer *ppm = add_layer(layers, &n, "", side[3], side[3], C[3], K, 3, 1, 1,
                                      UPERNET_ACT_RELU);
        for (int j = 0; j < cfg.num_pool_scales; j++)
            add_source(ppm, (size_t) cfg.pool_scales[j], (size_t) cfg.pool_scales[j], K);
        snprintf(ppm->label, sizeof ppm->label, "ppm_bottleneck_%zux%zux%zuto%zu_relu", side[3],
                 side[3], ppm->in_c, K);
    }
    for (int s = 0; s < UPERNET_STAGES - 1; s++) {
        snprintf(label, sizeof label, "fpn%d_%zux%zux%zuto%zu_relu_winograd", s, side[s],
                 side[s], K, K);
        add_layer(layers, &n, label, side[s], side[s], K, K, 3, 1, 1, UPERNET_ACT_RELU)->winograd =
            true;
    }
    {
        struct layer *fuse = add_layer(layers, &n, "", side[0], side[0], K, K, 3, 1, 1,
                                       UPERNET_ACT_RELU);
        for (int s = 1; s < UPERNET_STAGES; s++)
            add_source(fuse, side[s], side[s], K);
        fuse->winograd = true;
        snprintf(fuse->label, sizeof fuse->label, "fuse_%zux%zux%zux%zuto%zu_relu_winograd",
                 side[0], side[0], (size_t) UPERNET_STAGES, K, K);
    }
    snprintf(label, sizeof label, "classifier_%zux%zux%zuto%zu", side[0], side[0], K, labels);
    add_layer(layers, &n, label, side[0], side[0], K, labels, 1, 1, 0, UPERNET_ACT_NONE);

    static const enum upernet_isa tiers[] = {UPERNET_ISA_AVX2, UPERNET_ISA_AVX512,
                                             UPERNET_ISA_NEON};
    static const struct upernet_bench_options one_call = {1, 0.0};
    for (size_t k = 0; k < sizeof tiers / sizeof tiers[0]; k++) {
        if (!bench_tier_on_host(tiers[k]))
            continue;
        for (size_t i = 0; i < n; i++) {
            struct layer_case *c = bench_keep(sizeof *c);
            *c = (struct layer_case){&layers[i], tiers[k]};
            char name[128];
            snprintf(name, sizeof name, "layer/%s/tiny/%.63s", upernet_isa_name(tiers[k]),
                     layers[i].label);
            /* The fuse conv takes seconds per call: one call per repetition. */
            upernet_bench_register_with(name, run_layer, c,
                                        layer_flops(&layers[i]) > 50e9 ? &one_call : NULL);
        }
    }
}
