/* Loading: reads each parameter from a source, folds BatchNorm into the
 * preceding bias-free conv, packs every conv / Linear into igemm panels for
 * the active tier and the 7x7 depthwise weights into [49][C], and releases
 * each original tensor as soon as its layer is packed. The auxiliary head is
 * validated by the caller but never packed: inference does not run it. */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "kernels/dispatch.h"
#include "kernels/pack.h"
#include "model/model.h"

#define MAX_HELD 8 /* tensors one layer reads at most */

struct loader {
    upernet_model *m;
    const struct upernet_param_table *table;
    struct upernet_param_source *src;
    const struct upernet_param_spec *held_spec[MAX_HELD];
    const float *held_data[MAX_HELD];
    int n_held;
    upernet_error *err;
};

/* Fetches a parameter by name (formatted); NULL with *err set on failure. */
static const float *get(struct loader *L, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static const float *get(struct loader *L, const char *fmt, ...)
{
    char name[UPERNET_PARAM_NAME_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    const struct upernet_param_spec *spec = upernet_param_table_find(L->table, name);
    if (spec == NULL) { /* a bug in this file, not in the input */
        upernet_fail(L->err, UPERNET_ERR_ARGUMENT, "internal: %s is not in the weight table", name);
        return NULL;
    }
    if (L->n_held == MAX_HELD) {
        upernet_fail(L->err, UPERNET_ERR_ARGUMENT, "internal: too many tensors held at %s", name);
        return NULL;
    }
    const float *data = L->src->get(L->src->ctx, spec, L->err);
    if (data != NULL) {
        L->held_spec[L->n_held] = spec;
        L->held_data[L->n_held++] = data;
    }
    return data;
}

/* Gives every held tensor back to the source (the layer is packed). */
static void release_all(struct loader *L)
{
    for (int i = 0; i < L->n_held; i++)
        L->src->release(L->src->ctx, L->held_spec[i], L->held_data[i]);
    L->n_held = 0;
}

/* A 64-byte aligned parameter array owned by the model. Layers load in
 * parallel, so the model's allocation list is updated under a lock. */
static float *alloc_floats(struct loader *L, size_t n)
{
    upernet_model *m = L->m;
    size_t bytes = (n * sizeof(float) + 63) & ~(size_t) 63;
    float *p = upernet_aligned_alloc(64, bytes ? bytes : 64);
    bool listed = false;
    if (p != NULL) {
#pragma omp critical(upernet_load_registry)
        {
            if (m->n_allocations == m->cap_allocations) {
                size_t cap = m->cap_allocations ? 2 * m->cap_allocations : 256;
                void **a = upernet_realloc(m->allocations, cap * sizeof *a);
                if (a != NULL) {
                    m->allocations = a;
                    m->cap_allocations = cap;
                }
            }
            if (m->n_allocations < m->cap_allocations) {
                m->allocations[m->n_allocations++] = p;
                m->weight_bytes += bytes;
                listed = true;
            }
        }
    }
    if (listed)
        return p;
    free(p);
    upernet_fail(L->err, UPERNET_ERR_NOMEM, "out of memory packing the weights of %s",
                 m->cfg.name);
    return NULL;
}

/* A copy of a parameter vector (LN affine, biases, layer scale). */
static float *copy_vector(struct loader *L, const float *src, size_t n)
{
    float *dst = alloc_floats(L, n);
    if (dst != NULL)
        memcpy(dst, src, n * sizeof *dst);
    return dst;
}

static enum upernet_status failed(struct loader *L)
{
    release_all(L);
    return L->err != NULL && L->err->status != UPERNET_OK ? L->err->status : UPERNET_ERR_NOMEM;
}

/* A conv with its own bias (stem, downsampling, Linear layers, classifier). */
static enum upernet_status pack_plain(struct loader *L, struct upernet_conv *conv, size_t out,
                                      size_t in, size_t kernel, size_t stride, size_t padding,
                                      enum upernet_activation act, const char *weight_name,
                                      const char *bias_name)
{
    const float *w = get(L, "%s", weight_name);
    const float *b = w != NULL ? get(L, "%s", bias_name) : NULL;
    if (b == NULL)
        return failed(L);
    float *packed = alloc_floats(L, upernet_pack_conv_floats(out, in, kernel, kernel, L->m->nr));
    if (packed == NULL)
        return failed(L);
    upernet_pack_conv(out, in, kernel, kernel, L->m->nr, w, b, NULL, packed);
    *conv = (struct upernet_conv){in, out, kernel, stride, padding, L->m->nr, packed, act, NULL};
    release_all(L);
    return UPERNET_OK;
}

/* A ConvModule: bias-free conv, BatchNorm (eval) folded in, ReLU. With
 * winograd (3x3 only) the weights are packed for the Winograd F(2x2, 3x3)
 * path instead of the direct one. */
static enum upernet_status pack_conv_module(struct loader *L, struct upernet_conv *conv,
                                            size_t out, size_t in, size_t kernel, bool winograd,
                                            const char *prefix)
{
    const float *w = get(L, "%s.conv.weight", prefix);
    const float *g = w ? get(L, "%s.batch_norm.weight", prefix) : NULL;
    const float *b = g ? get(L, "%s.batch_norm.bias", prefix) : NULL;
    const float *mean = b ? get(L, "%s.batch_norm.running_mean", prefix) : NULL;
    const float *var = mean ? get(L, "%s.batch_norm.running_var", prefix) : NULL;
    if (var == NULL)
        return failed(L);
    float *alpha = upernet_malloc(2 * out * sizeof *alpha);
    const size_t floats = winograd ? upernet_pack_winograd23_floats(out, in, L->m->nr)
                                   : upernet_pack_conv_floats(out, in, kernel, kernel, L->m->nr);
    float *packed = alpha ? alloc_floats(L, floats) : NULL;
    if (packed == NULL) {
        free(alpha);
        upernet_fail(L->err, UPERNET_ERR_NOMEM, "out of memory packing %s", prefix);
        return failed(L);
    }
    float *shift = alpha + out;
    upernet_fold_batchnorm(out, g, b, mean, var, UPERNET_BN_EPS, alpha, shift);
    if (winograd)
        upernet_pack_winograd23(out, in, L->m->nr, w, shift, alpha, packed);
    else
        upernet_pack_conv(out, in, kernel, kernel, L->m->nr, w, shift, alpha, packed);
    free(alpha);
    *conv = (struct upernet_conv){.in_channels = in,
                                  .out_channels = out,
                                  .kernel = kernel,
                                  .stride = 1,
                                  .padding = kernel / 2,
                                  .nr = L->m->nr,
                                  .packed = winograd ? NULL : packed,
                                  .activation = UPERNET_ACT_RELU,
                                  .winograd = winograd ? packed : NULL};
    release_all(L);
    return UPERNET_OK;
}

/* Two vectors of n floats (an LN's weight and bias). */
static enum upernet_status copy_pair(struct loader *L, size_t n, float **a, float **b,
                                     const char *prefix)
{
    const float *x = get(L, "%s.weight", prefix);
    const float *y = x ? get(L, "%s.bias", prefix) : NULL;
    if (y == NULL)
        return failed(L);
    *a = copy_vector(L, x, n);
    *b = *a ? copy_vector(L, y, n) : NULL;
    if (*b == NULL)
        return failed(L);
    release_all(L);
    return UPERNET_OK;
}

static enum upernet_status load_block(struct loader *L, struct upernet_block *blk, int s, int j)
{
    const size_t C = (size_t) L->m->cfg.hidden_sizes[s];
    char p[UPERNET_PARAM_NAME_MAX], w[UPERNET_PARAM_NAME_MAX + 16], b[UPERNET_PARAM_NAME_MAX + 16];
    snprintf(p, sizeof p, "backbone.encoder.stages.%d.layers.%d", s, j);

    const float *dw = get(L, "%s.dwconv.weight", p);
    const float *dwb = dw ? get(L, "%s.dwconv.bias", p) : NULL;
    const bool scaled = L->m->cfg.layer_scale;
    const float *gamma = dwb && scaled ? get(L, "%s.layer_scale_parameter", p) : NULL;
    if (dwb == NULL || (scaled && gamma == NULL))
        return failed(L);
    blk->dw_weight = alloc_floats(L, 49 * C);
    blk->dw_bias = blk->dw_weight ? copy_vector(L, dwb, C) : NULL;
    blk->layer_scale = blk->dw_bias && scaled ? copy_vector(L, gamma, C) : NULL;
    if (blk->dw_bias == NULL || (scaled && blk->layer_scale == NULL))
        return failed(L);
    upernet_pack_dwconv7x7(C, dw, blk->dw_weight);
    release_all(L);

    snprintf(w, sizeof w, "%s.layernorm", p);
    UPERNET_TRY(copy_pair(L, C, &blk->ln_gamma, &blk->ln_beta, w));
    snprintf(w, sizeof w, "%s.pwconv1.weight", p);
    snprintf(b, sizeof b, "%s.pwconv1.bias", p);
    UPERNET_TRY(pack_plain(L, &blk->pwconv1, 4 * C, C, 1, 1, 0, UPERNET_ACT_GELU, w, b));
    snprintf(w, sizeof w, "%s.pwconv2.weight", p);
    snprintf(b, sizeof b, "%s.pwconv2.bias", p);
    UPERNET_TRY(pack_plain(L, &blk->pwconv2, C, 4 * C, 1, 1, 0, UPERNET_ACT_NONE, w, b));
    return UPERNET_OK;
}

/* One unit of loading work: a layer (or a pair of LN vectors). Units touch
 * disjoint parts of the model, so they run in parallel. */
enum task_kind {
    TASK_STEM,
    TASK_DOWNSAMPLE, /* stage s > 0 */
    TASK_BLOCK,      /* stage s, block j */
    TASK_NORM,       /* hidden_states_norms of level j */
    TASK_PSP,        /* pool scale j */
    TASK_BOTTLENECK,
    TASK_LATERAL,    /* level j */
    TASK_FPN,        /* level j */
    TASK_FPN_BOTTLENECK,
    TASK_CLASSIFIER
};

struct task {
    enum task_kind kind;
    int s, j;
};

static enum upernet_status run_task(struct loader *L, const struct task *t)
{
    upernet_model *m = L->m;
    const struct upernet_config *cfg = &m->cfg;
    const size_t K = (size_t) cfg->hidden_size;
    const size_t top = (size_t) upernet_config_level_channels(cfg, cfg->num_levels - 1);
    size_t C[UPERNET_STAGES];
    for (int s = 0; s < UPERNET_STAGES; s++)
        C[s] = (size_t) cfg->hidden_sizes[s];
    char a[UPERNET_PARAM_NAME_MAX], b[UPERNET_PARAM_NAME_MAX];
    const int s = t->s, j = t->j;
    struct upernet_stage *st = &m->stages[s];

    switch (t->kind) {
    case TASK_STEM: {
        const size_t patch = (size_t) cfg->patch_size;
        UPERNET_TRY(pack_plain(L, &m->stem, C[0], (size_t) cfg->num_channels, patch, patch, 0,
                       UPERNET_ACT_NONE, "backbone.embeddings.patch_embeddings.weight",
                       "backbone.embeddings.patch_embeddings.bias"));
        return copy_pair(L, C[0], &m->stem_ln_gamma, &m->stem_ln_beta,
                         "backbone.embeddings.layernorm");
    }
    case TASK_DOWNSAMPLE:
        snprintf(a, sizeof a, "backbone.encoder.stages.%d.downsampling_layer.0", s);
        UPERNET_TRY(copy_pair(L, C[s - 1], &st->ds_ln_gamma, &st->ds_ln_beta, a));
        snprintf(a, sizeof a, "backbone.encoder.stages.%d.downsampling_layer.1.weight", s);
        snprintf(b, sizeof b, "backbone.encoder.stages.%d.downsampling_layer.1.bias", s);
        return pack_plain(L, &st->ds_conv, C[s], C[s - 1], 2, 2, 0, UPERNET_ACT_NONE, a, b);
    case TASK_BLOCK: return load_block(L, &st->blocks[j], s, j);
    case TASK_NORM:
        snprintf(a, sizeof a, "backbone.hidden_states_norms.%s",
                 upernet_config_stage_name(cfg->level_source[j]));
        return copy_pair(L, (size_t) upernet_config_level_channels(cfg, j),
                         &m->level_norm_gamma[j], &m->level_norm_beta[j], a);
    case TASK_PSP:
        snprintf(a, sizeof a, "decode_head.psp_modules.%d.1", j);
        return pack_conv_module(L, &m->psp[j], K, top, 1, false, a);
    case TASK_BOTTLENECK:
        return pack_conv_module(L, &m->bottleneck, K, top + (size_t) cfg->num_pool_scales * K, 3,
                                false, "decode_head.bottleneck");
    case TASK_LATERAL:
        snprintf(a, sizeof a, "decode_head.lateral_convs.%d", j);
        return pack_conv_module(L, &m->lateral[j], K,
                                (size_t) upernet_config_level_channels(cfg, j), 1, false, a);
    case TASK_FPN:
        snprintf(a, sizeof a, "decode_head.fpn_convs.%d", j);
        return pack_conv_module(L, &m->fpn[j], K, K, 3, m->winograd, a);
    case TASK_FPN_BOTTLENECK:
        return pack_conv_module(L, &m->fpn_bottleneck, K, (size_t) cfg->num_levels * K, 3,
                                m->winograd,
                                "decode_head.fpn_bottleneck");
    case TASK_CLASSIFIER:
        return pack_plain(L, &m->classifier, (size_t) cfg->num_labels, K, 1, 1, 0,
                          UPERNET_ACT_NONE, "decode_head.classifier.weight",
                          "decode_head.classifier.bias");
    }
    return UPERNET_OK;
}

/* Lists the tasks, biggest first (the 3x3 head convs), so the dynamic
 * schedule ends with small ones. Stages past the last level are not packed
 * (the forward never runs them). Returns the count. */
static size_t list_tasks(const struct upernet_config *cfg, struct task *tasks)
{
    const int levels = cfg->num_levels, stages = upernet_config_stages_run(cfg);
    size_t n = 0;
    tasks[n++] = (struct task){TASK_FPN_BOTTLENECK, 0, 0};
    tasks[n++] = (struct task){TASK_BOTTLENECK, 0, 0};
    for (int i = 0; i < levels - 1; i++)
        tasks[n++] = (struct task){TASK_FPN, 0, i};
    for (int s = stages - 1; s >= 0; s--)
        for (int j = 0; j < cfg->depths[s]; j++)
            tasks[n++] = (struct task){TASK_BLOCK, s, j};
    for (int s = 1; s < stages; s++)
        tasks[n++] = (struct task){TASK_DOWNSAMPLE, s, 0};
    for (int j = 0; j < cfg->num_pool_scales; j++)
        tasks[n++] = (struct task){TASK_PSP, 0, j};
    for (int i = 0; i < levels - 1; i++)
        tasks[n++] = (struct task){TASK_LATERAL, 0, i};
    tasks[n++] = (struct task){TASK_CLASSIFIER, 0, 0};
    tasks[n++] = (struct task){TASK_STEM, 0, 0};
    for (int i = 0; i < levels; i++)
        tasks[n++] = (struct task){TASK_NORM, 0, i};
    return n;
}

static enum upernet_status load_all(upernet_model *m, const struct upernet_param_table *table,
                                    struct upernet_param_source *src, upernet_error *err)
{
    const struct upernet_config *cfg = &m->cfg;
    /* see list_tasks */
    size_t max_tasks = 4 + 3 * UPERNET_MAX_LEVELS + UPERNET_STAGES + (size_t) cfg->num_pool_scales;
    for (int s = 0; s < UPERNET_STAGES; s++) {
        struct upernet_stage *st = &m->stages[s];
        st->depth = s < upernet_config_stages_run(cfg) ? cfg->depths[s] : 0;
        st->blocks = upernet_calloc(st->depth ? (size_t) st->depth : 1, sizeof *st->blocks);
        if (st->blocks == NULL)
            return upernet_fail(err, UPERNET_ERR_NOMEM, "out of memory loading %s", cfg->name);
        max_tasks += (size_t) st->depth;
    }
    struct task *tasks = upernet_malloc(max_tasks * sizeof *tasks);
    if (tasks == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "out of memory loading %s", cfg->name);
    const size_t n = list_tasks(cfg, tasks);

    enum upernet_status status = UPERNET_OK;
    int failed_once = 0; /* lets the other threads skip the remaining tasks */
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t i = 0; i < n; i++) {
        int skip;
#pragma omp atomic read
        skip = failed_once;
        if (skip)
            continue;
        upernet_error local;
        upernet_error_clear(&local);
        struct loader L = {.m = m, .table = table, .src = src, .n_held = 0, .err = &local};
        enum upernet_status st = run_task(&L, &tasks[i]);
        if (st != UPERNET_OK) {
#pragma omp critical(upernet_load_error)
            if (status == UPERNET_OK) {
                status = st;
                if (err != NULL)
                    *err = local;
            }
#pragma omp atomic write
            failed_once = 1;
        }
    }
    free(tasks);
    return status;
}

enum upernet_status upernet_model_load(const struct upernet_config *cfg,
                                       struct upernet_param_source *src,
                                       const struct upernet_load_settings *settings,
                                       upernet_model **out, upernet_error *err)
{
    *out = NULL;
    const struct upernet_kernel_table *kernels = upernet_kernels_for(settings->isa, err);
    if (kernels == NULL)
        return err != NULL ? err->status : UPERNET_ERR_UNSUPPORTED;
    struct upernet_param_table table;
    enum upernet_status st = upernet_param_table_build(cfg, &table, err);
    if (st != UPERNET_OK)
        return st;
    upernet_model *m = upernet_calloc(1, sizeof *m);
    if (m == NULL) {
        upernet_param_table_free(&table);
        return upernet_fail(err, UPERNET_ERR_NOMEM, "out of memory creating %s", cfg->name);
    }
    m->cfg = *cfg;
    m->winograd = settings->winograd;
    m->threads = settings->threads;
    m->kernels = kernels;
    m->isa = m->kernels->isa;
    m->nr = m->kernels->igemm.nr;

    const int previous_threads = upernet_threads_enter(m->threads);
    st = load_all(m, &table, src, err);
    upernet_threads_restore(m->threads, previous_threads);
    upernet_param_table_free(&table);
    if (st != UPERNET_OK) {
        upernet_model_free(m);
        return st;
    }
    upernet_error_clear(err);
    *out = m;
    return UPERNET_OK;
}
