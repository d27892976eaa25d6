/* oneDNN (Debian's libdnnl, C API, built only when configure finds it) on the
 * shapes upernet's kernel benchmarks time, one thread, so the table shows
 * upernet's kernels against a tuned library in the same run:
 *   onednn/LAYOUT/igemm/LABEL      matmul (MLP GEMMs, same labels as
 *                                  bench_igemm.c) and 3x3 convs (FPN 512->512,
 *                                  fuse 2048->512) on a band of 8 output rows
 *                                  of a 128-wide map (1024 pixels)
 *   onednn/LAYOUT/dwconv7x7/HxWxC  7x7 depthwise conv, pad 3, with bias
 * LAYOUT "nhwc": activations NHWC / row-major as upernet keeps them, weights
 * in their plain layout; "blocked": every memory format left to oneDNN
 * ("any", e.g. nChw8c), inputs reordered once outside the timing. GELU is
 * oneDNN's gelu_erf post-op, ReLU its relu post-op; upernet's layer scale +
 * residual epilogue has no single post-op equivalent, so those GEMMs run
 * plain here. Counters: GFLOP/s and %peak of the host's best tier.
 * upernet-benchdb's table prints upernet's ratio to each (same label). */
#include "config.h"

#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_common.h"
#include "bench/shim.h"
#include "kernels/dispatch.h"

enum op { OP_MATMUL, OP_CONV3X3, OP_DWCONV7X7 };

struct onednn_case {
    enum op op;
    bool blocked;
    const char *label;
    long m, k, n;            /* matmul: M x K times K x N */
    long h, w, in_c, out_c;  /* conv: output rows (band), width, channels */
    dnnl_alg_kind_t eltwise; /* post-op, or 0 */
};

static dnnl_engine_t engine;
static dnnl_stream_t stream;

#define CHECK(call)                                                                     \
    do {                                                                               \
        dnnl_status_t st_ = (call);                                                    \
        if (st_ != dnnl_success) {                                                     \
            char why_[96];                                                             \
            snprintf(why_, sizeof why_, "oneDNN call at bench_onednn.c:%d failed (%d)", \
                     __LINE__, (int) st_);                                             \
            upernet_bench_skip(s, why_);                                               \
            goto done;                                                                 \
        }                                                                              \
    } while (0)

/* A memory object of desc md, filled with small deterministic values. */
static dnnl_memory_t filled_memory(const dnnl_memory_desc_t *md)
{
    dnnl_memory_t mem = NULL;
    if (dnnl_memory_create(&mem, md, engine, DNNL_MEMORY_ALLOCATE) != dnnl_success)
        return NULL;
    void *p = NULL;
    dnnl_memory_get_data_handle(mem, &p);
    const size_t n = dnnl_memory_desc_get_size(md) / sizeof(float);
    bench_fill_uniform(p, n);
    for (size_t i = 0; i < n; i++)
        ((float *) p)[i] *= 0.05f;
    return mem;
}

/* The memory of the primitive's `what` desc: `plain` itself if that is the
 * desc it wants, else a new memory reordered from plain. */
static dnnl_memory_t as_wanted(dnnl_primitive_desc_t pd, dnnl_query_t what, dnnl_memory_t plain,
                               const dnnl_memory_desc_t *plain_md)
{
    const dnnl_memory_desc_t *want = dnnl_primitive_desc_query_md(pd, what, 0);
    if (dnnl_memory_desc_equal(want, plain_md))
        return plain;
    dnnl_memory_t out = NULL;
    dnnl_primitive_desc_t rpd = NULL;
    dnnl_primitive_t r = NULL;
    if (dnnl_memory_create(&out, want, engine, DNNL_MEMORY_ALLOCATE) != dnnl_success ||
        dnnl_reorder_primitive_desc_create(&rpd, plain_md, engine, want, engine, NULL) !=
            dnnl_success ||
        dnnl_primitive_create(&r, rpd) != dnnl_success) {
        dnnl_memory_destroy(out);
        dnnl_primitive_desc_destroy(rpd);
        return NULL;
    }
    dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, plain}, {DNNL_ARG_TO, out}};
    dnnl_primitive_execute(r, stream, 2, args);
    dnnl_stream_wait(stream);
    dnnl_primitive_destroy(r);
    dnnl_primitive_desc_destroy(rpd);
    return out;
}

static void run_onednn(upernet_bench_state *s, const void *arg)
{
    const struct onednn_case *c = arg;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t post = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t prim = NULL;
    dnnl_memory_t src = NULL, wei = NULL, bias = NULL, dst = NULL;
    dnnl_memory_t src_p = NULL, wei_p = NULL, dst_p = NULL; /* plain ones */
    const int saved_threads = omp_get_max_threads();
    omp_set_num_threads(1);

    if (engine == NULL) {
        CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
        CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    }
    CHECK(dnnl_primitive_attr_create(&attr));
    if (c->eltwise != 0) {
        CHECK(dnnl_post_ops_create(&post));
        CHECK(dnnl_post_ops_append_eltwise(post, 1.0f, c->eltwise, 0.0f, 0.0f));
        CHECK(dnnl_primitive_attr_set_post_ops(attr, post));
    }

    dnnl_memory_desc_t src_md, wei_md, bias_md, dst_md;       /* plain */
    dnnl_memory_desc_t src_any, wei_any, dst_any;             /* what the op is told */
    double flops;
    if (c->op == OP_MATMUL) {
        const dnnl_dims_t a = {c->m, c->k}, b = {c->k, c->n}, d = {c->m, c->n}, bb = {1, c->n};
        CHECK(dnnl_memory_desc_init_by_tag(&src_md, 2, a, dnnl_f32, dnnl_ab));
        CHECK(dnnl_memory_desc_init_by_tag(&wei_md, 2, b, dnnl_f32, dnnl_ab));
        CHECK(dnnl_memory_desc_init_by_tag(&dst_md, 2, d, dnnl_f32, dnnl_ab));
        CHECK(dnnl_memory_desc_init_by_tag(&bias_md, 2, bb, dnnl_f32, dnnl_ab));
        src_any = src_md, dst_any = dst_md;
        CHECK(dnnl_memory_desc_init_by_tag(&wei_any, 2, b, dnnl_f32,
                                           c->blocked ? dnnl_format_tag_any : dnnl_ab));
        dnnl_matmul_desc_t md;
        CHECK(dnnl_matmul_desc_init(&md, &src_any, &wei_any, &bias_md, &dst_any));
        CHECK(dnnl_primitive_desc_create(&pd, &md, attr, engine, NULL));
        flops = 2.0 * (double) c->m * (double) c->k * (double) c->n;
    } else {
        const bool dw = c->op == OP_DWCONV7X7;
        const long kk = dw ? 7 : 3, pad = dw ? 3 : 1;
        /* 3x3: the band's rows plus one above and below, no vertical padding. */
        const long in_h = dw ? c->h : c->h + 2, pad_h = dw ? pad : 0;
        const dnnl_dims_t sd = {1, c->in_c, in_h, c->w}, dd = {1, c->out_c, c->h, c->w};
        const dnnl_dims_t wd_conv = {c->out_c, c->in_c, kk, kk};
        const dnnl_dims_t wd_dw = {c->in_c, 1, 1, kk, kk};
        const dnnl_dims_t bd = {c->out_c};
        CHECK(dnnl_memory_desc_init_by_tag(&src_md, 4, sd, dnnl_f32, dnnl_nhwc));
        CHECK(dnnl_memory_desc_init_by_tag(&dst_md, 4, dd, dnnl_f32, dnnl_nhwc));
        if (dw)
            CHECK(dnnl_memory_desc_init_by_tag(&wei_md, 5, wd_dw, dnnl_f32, dnnl_goihw));
        else
            CHECK(dnnl_memory_desc_init_by_tag(&wei_md, 4, wd_conv, dnnl_f32, dnnl_oihw));
        CHECK(dnnl_memory_desc_init_by_tag(&bias_md, 1, bd, dnnl_f32, dnnl_a));
        if (c->blocked) {
            CHECK(dnnl_memory_desc_init_by_tag(&src_any, 4, sd, dnnl_f32, dnnl_format_tag_any));
            CHECK(dnnl_memory_desc_init_by_tag(&dst_any, 4, dd, dnnl_f32, dnnl_format_tag_any));
            if (dw)
                CHECK(dnnl_memory_desc_init_by_tag(&wei_any, 5, wd_dw, dnnl_f32, dnnl_format_tag_any));
            else
                CHECK(dnnl_memory_desc_init_by_tag(&wei_any, 4, wd_conv, dnnl_f32, dnnl_format_tag_any));
        } else {
            src_any = src_md, dst_any = dst_md;
            /* Weights: let oneDNN pick (reordered once at "load", as upernet packs). */
            if (dw)
                CHECK(dnnl_memory_desc_init_by_tag(&wei_any, 5, wd_dw, dnnl_f32, dnnl_format_tag_any));
            else
                CHECK(dnnl_memory_desc_init_by_tag(&wei_any, 4, wd_conv, dnnl_f32, dnnl_format_tag_any));
        }
        const dnnl_dims_t strides = {1, 1}, pl = {pad_h, pad}, pr = {pad_h, pad};
        dnnl_convolution_desc_t cd;
        CHECK(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct,
                                                 &src_any, &wei_any, &bias_md, &dst_any, strides,
                                                 pl, pr));
        CHECK(dnnl_primitive_desc_create(&pd, &cd, attr, engine, NULL));
        flops = dw ? 2.0 * 49.0 * (double) (c->h * c->w * c->in_c)
                   : 2.0 * 9.0 * (double) (c->h * c->w) * (double) c->in_c * (double) c->out_c;
    }

    src_p = filled_memory(&src_md), wei_p = filled_memory(&wei_md), bias = filled_memory(&bias_md);
    dst_p = filled_memory(&dst_md);
    if (!src_p || !wei_p || !bias || !dst_p) {
        upernet_bench_skip(s, "oneDNN: memory allocation failed");
        goto done;
    }
    src = as_wanted(pd, dnnl_query_src_md, src_p, &src_md);
    wei = as_wanted(pd, dnnl_query_weights_md, wei_p, &wei_md);
    dst = as_wanted(pd, dnnl_query_dst_md, dst_p, &dst_md);
    if (!src || !wei || !dst) {
        upernet_bench_skip(s, "oneDNN: reorder failed");
        goto done;
    }
    CHECK(dnnl_primitive_create(&prim, pd));
    dnnl_exec_arg_t args[] = {
        {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, dst}};
    CHECK(dnnl_primitive_execute(prim, stream, 4, args)); /* warm-up */
    CHECK(dnnl_stream_wait(stream));
    while (upernet_bench_keep_running(s)) {
        dnnl_primitive_execute(prim, stream, 4, args);
        dnnl_stream_wait(stream);
    }
    {
        const enum upernet_isa best = upernet_isa_best(upernet_cpu_features());
        bench_report_flops(s, flops, best, 1);
    }
done:
    omp_set_num_threads(saved_threads);
    dnnl_primitive_destroy(prim);
    if (src != src_p)
        dnnl_memory_destroy(src);
    if (wei != wei_p)
        dnnl_memory_destroy(wei);
    if (dst != dst_p)
        dnnl_memory_destroy(dst);
    dnnl_memory_destroy(src_p), dnnl_memory_destroy(wei_p), dnnl_memory_destroy(dst_p);
    dnnl_memory_destroy(bias);
    dnnl_primitive_desc_destroy(pd);
    dnnl_post_ops_destroy(post);
    dnnl_primitive_attr_destroy(attr);
}

void bench_register_onednn(void)
{
    static const struct onednn_case cases[] = {
        {OP_MATMUL, 0, "fc1_16384x96x384_gelu", 16384, 96, 384, 0, 0, 0, 0, dnnl_eltwise_gelu_erf},
        {OP_MATMUL, 0, "fc1_16384x96x384_none", 16384, 96, 384, 0, 0, 0, 0, 0},
        {OP_MATMUL, 0, "fc2_16384x384x96_scale_res", 16384, 384, 96, 0, 0, 0, 0, 0},
        {OP_MATMUL, 0, "fc1_1024x384x1536_gelu", 1024, 384, 1536, 0, 0, 0, 0, dnnl_eltwise_gelu_erf},
        {OP_MATMUL, 0, "fc2_1024x1536x384_scale_res", 1024, 1536, 384, 0, 0, 0, 0, 0},
        {OP_MATMUL, 0, "fc2_256x3072x768_scale_res", 256, 3072, 768, 0, 0, 0, 0, 0},
        {OP_CONV3X3, 0, "fpn3x3_128x128x512x512_relu_band8", 0, 0, 0, 8, 128, 512, 512, dnnl_eltwise_relu},
        {OP_CONV3X3, 0, "fuse3x3_128x128x2048x512_relu_band8", 0, 0, 0, 8, 128, 2048, 512, dnnl_eltwise_relu},
        {OP_DWCONV7X7, 0, "128x128x96", 0, 0, 0, 128, 128, 96, 96, 0},
        {OP_DWCONV7X7, 0, "64x64x192", 0, 0, 0, 64, 64, 192, 192, 0},
        {OP_DWCONV7X7, 0, "32x32x384", 0, 0, 0, 32, 32, 384, 384, 0},
        {OP_DWCONV7X7, 0, "16x16x768", 0, 0, 0, 16, 16, 768, 768, 0},
    };
    for (int blocked = 0; blocked < 2; blocked++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            struct onednn_case *c = bench_keep(sizeof *c);
            *c = cases[i];
            c->blocked = blocked;
            char name[128];
            snprintf(name, sizeof name, "onednn/%s/%s/%s", blocked ? "blocked" : "nhwc",
                     c->op == OP_DWCONV7X7 ? "dwconv7x7" : "igemm", c->label);
            upernet_bench_register(name, run_onednn, c);
        }
}
