/* The forward schedule (docs/SPECIFICATION.md §3), NHWC float32 in the planned
 * arena. The order of the steps is the one plan.c assigns lifetimes for;
 * change both together. Nothing here allocates: activations live in the
 * workspace's arena, the ops' working buffers in its scratch pool (grown
 * after a forward that needed more, see grow_scratch). */
#include "config.h"

#include <stdio.h>

#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/error.h"
#include "model/model.h"
#include "ops/threads.h"

struct run {
    const upernet_model *m;
    const struct upernet_workspace *ws;
    const struct upernet_kernel_table *t;
    float *buf[BUF_COUNT];
    upernet_error *err;
    size_t cost_threads; /* the team size the step observer's splits are for */
};

/* When an observed call started: wall and process CPU time, seconds. */
struct step_start {
    double wall, cpu;
};

static double clock_seconds(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

/* The step observer's clocks (zeros without an observer). */
static struct step_start step_clock(const struct run *r)
{
    if (r->ws->step_observer == NULL)
        return (struct step_start){0.0, 0.0};
    return (struct step_start){clock_seconds(CLOCK_MONOTONIC),
                               clock_seconds(CLOCK_PROCESS_CPUTIME_ID)};
}

/* Reports one op call, started at `start`, to the observer. */
static void observe(const struct run *r, const char *op, int stage, int index,
                    struct upernet_op_cost cost, struct step_start start)
{
    if (r->ws->step_observer == NULL)
        return;
    const struct step_start end = step_clock(r);
    const struct upernet_step step = {op, stage, index, cost, end.wall - start.wall,
                                      end.cpu - start.cpu};
    r->ws->step_observer(r->ws->step_ctx, &step);
}

/* upernet_conv_run, observed. */
static enum upernet_status conv(const struct run *r, const char *op, int stage, int index,
                                const struct upernet_conv *c, size_t in_h, size_t in_w,
                                const float *x, size_t x_stride, float *y, size_t y_stride,
                                const float *scale, const float *residual,
                                size_t residual_stride)
{
    const struct step_start start = step_clock(r);
    UPERNET_TRY(upernet_conv_run(r->t, c, in_h, in_w, x, x_stride, y, y_stride, scale, residual,
                         residual_stride, r->err));
    observe(r, op, stage, index, upernet_conv_cost(r->t, c, in_h, in_w, r->cost_threads), start);
    return UPERNET_OK;
}

/* upernet_conv_run_sources, observed. */
static enum upernet_status conv_sources(const struct run *r, const char *op, int stage,
                                        const struct upernet_conv *c, size_t in_h, size_t in_w,
                                        const struct upernet_conv_source *sources,
                                        size_t n_sources, float *y, size_t y_stride)
{
    const struct step_start start = step_clock(r);
    UPERNET_TRY(upernet_conv_run_sources(r->t, c, in_h, in_w, sources, n_sources, y, y_stride, NULL,
                                 NULL, 0, r->err));
    observe(r, op, stage, -1, upernet_conv_cost(r->t, c, in_h, in_w, r->cost_threads), start);
    return UPERNET_OK;
}

/* upernet_layernorm_run, observed. */
static void layernorm(const struct run *r, const char *op, int stage, int index, size_t pixels,
                      size_t channels, const float *x, size_t x_stride, float *y,
                      size_t y_stride, const float *gamma, const float *beta)
{
    const struct step_start start = step_clock(r);
    upernet_layernorm_run(r->t, pixels, channels, x, x_stride, y, y_stride, gamma, beta,
                          UPERNET_LN_EPS);
    observe(r, op, stage, index, upernet_layernorm_cost(pixels), start);
}

static void tap(const struct run *r, const char *name, const float *x, size_t h, size_t w,
                size_t c, size_t stride)
{
    if (r->ws->tap != NULL)
        r->ws->tap(r->ws->tap_ctx, name, x, h, w, c, stride);
}

/* NCHW planes -> NHWC pixels; work units: rows. */
static void pixels_to_nhwc(const float *nchw, size_t channels, size_t H, size_t W, float *nhwc)
{
    const size_t plane = H * W;
#pragma omp parallel for schedule(static)
    for (size_t y = 0; y < H; y++)
        for (size_t x = 0; x < W; x++)
            for (size_t c = 0; c < channels; c++)
                nhwc[(y * W + x) * channels + c] = nchw[c * plane + y * W + x];
}

/* One ConvNeXt block in place on x (h x w x C):
 * x += gamma * pwconv2(GELU(pwconv1(LN(dwconv(x))))), the MLP in pixel
 * chunks so its 4C-wide hidden rows stay small. */
static enum upernet_status block(const struct run *r, const struct upernet_block *blk, int s,
                                 int j, size_t h, size_t w, float *x)
{
    const size_t C = (size_t) r->m->cfg.hidden_sizes[s], P = h * w;
    float *dw = r->buf[BUF_DW0 + s], *hidden = r->buf[BUF_HIDDEN];
    const struct step_start start = step_clock(r);
    upernet_dwconv7x7_run(r->t, h, w, C, x, blk->dw_weight, blk->dw_bias, dw);
    observe(r, "dwconv", s, j, upernet_dwconv7x7_cost(h, w, C), start);
    const size_t chunk = upernet_plan_mlp_chunk(&r->m->cfg, s, P);
    for (size_t p0 = 0; p0 < P; p0 += chunk) {
        const size_t n = P - p0 < chunk ? P - p0 : chunk;
        float *rows = dw + p0 * C, *out = x + p0 * C;
        layernorm(r, "ln", s, j, n, C, rows, C, rows, C, blk->ln_gamma, blk->ln_beta);
        UPERNET_TRY(conv(r, "fc1", s, j, &blk->pwconv1, 1, n, rows, C, hidden, 4 * C, NULL, NULL, 0));
        UPERNET_TRY(conv(r, "fc2", s, j, &blk->pwconv2, 1, n, hidden, 4 * C, out, C, blk->layer_scale,
                 out, C));
    }
    return UPERNET_OK;
}

/* The backbone stage a level's map comes from (the stem's is stage 0's
 * size), the stage index the step observer reports for it. */
static int level_stage(const struct upernet_config *cfg, int level)
{
    const int source = cfg->level_source[level];
    return source == 0 ? 0 : source - 1;
}

/* F_i = LN(x) with level i's hidden_states_norm: the map the head reads. */
static void level_feature(const struct run *r, int level, const float *x, size_t h, size_t w)
{
    const upernet_model *m = r->m;
    const size_t C = (size_t) upernet_config_level_channels(&m->cfg, level);
    float *feature = r->buf[BUF_FEATURE0 + level];
    layernorm(r, "norm", level_stage(&m->cfg, level), -1, h * w, C, x, C, feature, C,
              m->level_norm_gamma[level], m->level_norm_beta[level]);
    tap(r, upernet_config_stage_name(m->cfg.level_source[level]), feature, h, w, C, C);
}

static enum upernet_status backbone(const struct run *r, const float *pixels)
{
    const upernet_model *m = r->m;
    const struct upernet_plan *plan = &r->ws->plan;
    const struct upernet_config *cfg = &m->cfg;
    const size_t H = plan->height, W = plan->width;
    /* level_of[k]: the level reading stage_names entry k, or -1 */
    int level_of[UPERNET_MAX_LEVELS] = {-1, -1, -1, -1, -1};
    for (int i = 0; i < cfg->num_levels; i++)
        level_of[cfg->level_source[i]] = i;

    const struct step_start start = step_clock(r);
    pixels_to_nhwc(pixels, (size_t) cfg->num_channels, H, W, r->buf[BUF_INPUT]);
    observe(r, "to_nhwc", -1, -1, (struct upernet_op_cost){.units = H, .loops = 1}, start);
    float *x = r->buf[BUF_STAGE0];
    UPERNET_TRY(conv(r, "stem", 0, -1, &m->stem, H, W, r->buf[BUF_INPUT], (size_t) cfg->num_channels, x,
             m->stem.out_channels, NULL, NULL, 0));
    const size_t C0 = (size_t) cfg->hidden_sizes[0];
    layernorm(r, "stem_ln", 0, -1, plan->stage_h[0] * plan->stage_w[0], C0, x, C0, x, C0,
              m->stem_ln_gamma, m->stem_ln_beta);
    if (level_of[0] >= 0)
        level_feature(r, level_of[0], x, plan->stage_h[0], plan->stage_w[0]);

    const int stages = upernet_config_stages_run(cfg);
    for (int s = 0; s < stages; s++) {
        const struct upernet_stage *st = &m->stages[s];
        const size_t h = plan->stage_h[s], w = plan->stage_w[s], C = (size_t) cfg->hidden_sizes[s];
        x = r->buf[BUF_STAGE0 + s];
        for (int j = 0; j < st->depth; j++)
            UPERNET_TRY(block(r, &st->blocks[j], s, j, h, w, x));
        if (level_of[s + 1] >= 0)
            level_feature(r, level_of[s + 1], x, h, w);

        /* The next stage consumes the raw S_s: LN, then 2x2 stride-2 conv. */
        if (s + 1 < stages) {
            const struct upernet_stage *next = &m->stages[s + 1];
            float *normed = r->buf[BUF_DOWNSAMPLE0 + s];
            layernorm(r, "ds_ln", s + 1, -1, h * w, C, x, C, normed, C, next->ds_ln_gamma,
                      next->ds_ln_beta);
            UPERNET_TRY(conv(r, "downsample", s + 1, -1, &next->ds_conv, h, w, normed, C,
                     r->buf[BUF_STAGE0 + s + 1], next->ds_conv.out_channels, NULL, NULL, 0));
        }
    }
    return UPERNET_OK;
}

/* Pyramid pooling on the last level's F: each scale's pooled map through
 * its 1x1 ConvModule (P_j, s_j x s_j), then the 3x3 bottleneck over
 * [F, up(P_0), .., up(P_n)] -> L_top. The concatenation is never built: the
 * conv reads F in place and upsamples each P_j to F's size on the fly. */
static enum upernet_status pyramid_pooling(const struct run *r)
{
    const upernet_model *m = r->m;
    const struct upernet_config *cfg = &m->cfg;
    const int top = cfg->num_levels - 1, stage = level_stage(cfg, top);
    const size_t h = r->ws->plan.level_h[top], w = r->ws->plan.level_w[top];
    const size_t C = (size_t) upernet_config_level_channels(cfg, top), K = (size_t) cfg->hidden_size;
    const float *f = r->buf[BUF_FEATURE0 + top];
    struct upernet_conv_source sources[1 + UPERNET_MAX_POOL_SCALES];
    sources[0] = (struct upernet_conv_source){f, h, w, C, C};
    float *pooled_conv = r->buf[BUF_POOLED_CONV];
    for (int j = 0; j < cfg->num_pool_scales; j++) {
        const size_t scale = (size_t) cfg->pool_scales[j];
        const struct step_start start = step_clock(r);
        upernet_adaptive_avg_pool(h, w, C, f, C, scale, r->buf[BUF_POOLED], C);
        observe(r, "pool", stage, j, upernet_adaptive_avg_pool_cost(scale, C), start);
        UPERNET_TRY(conv(r, "ppm", stage, j, &m->psp[j], scale, scale, r->buf[BUF_POOLED], C, pooled_conv,
                 K, NULL, NULL, 0));
        sources[1 + j] = (struct upernet_conv_source){pooled_conv, scale, scale, K, K};
        pooled_conv += scale * scale * K;
    }
    UPERNET_TRY(conv_sources(r, "bottleneck", stage, &m->bottleneck, h, w, sources,
                     1 + (size_t) cfg->num_pool_scales, r->buf[BUF_LATERAL0 + top], K));
    tap(r, "ppm_bottleneck", r->buf[BUF_LATERAL0 + top], h, w, K, K);
    return UPERNET_OK;
}

/* fpn_bottleneck over [O_0, up(O_1), .., up(O_{n-1})] at level-0 size -> G,
 * one source per level. The concatenation (n*K channels at level 0, the
 * largest tensor of the model) is never built: the conv reads O_0 in place
 * and upsamples the coarser levels on the fly. */
static enum upernet_status fuse_levels(const struct run *r, float *const *levels, float *fused)
{
    const upernet_model *m = r->m;
    const size_t K = (size_t) m->cfg.hidden_size, n = (size_t) m->cfg.num_levels;
    struct upernet_conv_source sources[UPERNET_MAX_LEVELS];
    for (size_t i = 0; i < n; i++)
        sources[i] = (struct upernet_conv_source){levels[i], r->ws->plan.level_h[i],
                                                  r->ws->plan.level_w[i], K, K};
    return conv_sources(r, "fuse", 0, &m->fpn_bottleneck, r->ws->plan.level_h[0], r->ws->plan.level_w[0],
                        sources, n, fused, K);
}

static enum upernet_status decode_head(const struct run *r, float *logits)
{
    const upernet_model *m = r->m;
    const struct upernet_config *cfg = &m->cfg;
    const struct upernet_plan *plan = &r->ws->plan;
    const size_t K = (size_t) cfg->hidden_size, labels = (size_t) cfg->num_labels;
    const int n = cfg->num_levels;
    float *const *L = &r->buf[BUF_LATERAL0];

    UPERNET_TRY(pyramid_pooling(r));
    for (int i = 0; i < n - 1; i++) {
        UPERNET_TRY(conv(r, "lateral", i, -1, &m->lateral[i], plan->level_h[i], plan->level_w[i],
                 r->buf[BUF_FEATURE0 + i], (size_t) upernet_config_level_channels(cfg, i), L[i],
                 K, NULL, NULL, 0));
        char name[16];
        snprintf(name, sizeof name, "lateral%d", i);
        tap(r, name, L[i], plan->level_h[i], plan->level_w[i], K, K);
    }
    /* Top-down, sequentially: each level gets the already-updated coarser one. */
    for (int i = n - 1; i > 0; i--) {
        const struct step_start start = step_clock(r);
        UPERNET_TRY(upernet_resize_bilinear(plan->level_h[i], plan->level_w[i], K, L[i], K,
                                    plan->level_h[i - 1], plan->level_w[i - 1], L[i - 1], K, true,
                                    r->err));
        observe(r, "topdown", i - 1, -1,
                upernet_resize_bilinear_cost(plan->level_h[i - 1], plan->level_w[i - 1]), start);
    }
    float *levels[UPERNET_MAX_LEVELS];
    for (int i = 0; i < n - 1; i++) {
        levels[i] = r->buf[BUF_FPN0 + i];
        UPERNET_TRY(conv(r, "fpn", i, -1, &m->fpn[i], plan->level_h[i], plan->level_w[i], L[i], K,
                 levels[i], K, NULL, NULL, 0));
        char name[16];
        snprintf(name, sizeof name, "fpn%d", i);
        tap(r, name, levels[i], plan->level_h[i], plan->level_w[i], K, K);
    }
    levels[n - 1] = L[n - 1]; /* the top level's O = L: no fpn conv */

    const size_t h0 = plan->level_h[0], w0 = plan->level_w[0];
    float *fused = r->buf[BUF_FUSED], *classes = r->buf[BUF_CLASSES];
    UPERNET_TRY(fuse_levels(r, levels, fused));
    tap(r, "fpn_bottleneck", fused, h0, w0, K, K);
    UPERNET_TRY(conv(r, "classifier", 0, -1, &m->classifier, h0, w0, fused, K, classes, labels, NULL,
             NULL, 0));
    tap(r, "classifier", classes, h0, w0, labels, labels);
    const struct step_start start = step_clock(r);
    UPERNET_TRY(upernet_resize_bilinear_to_planes(r->t, h0, w0, labels, classes, labels, plan->height,
                                          plan->width, logits, r->err));
    observe(r, "upsample", -1, -1, upernet_resize_bilinear_to_planes_cost(plan->height), start);
    return UPERNET_OK;
}

/* After a forward whose ops needed more working memory than the pool held
 * (they took the rest from the heap), grows the pool to that need: the next
 * forward at this size takes every buffer from it. */
static enum upernet_status grow_scratch(upernet_workspace *ws, upernet_error *err)
{
    struct upernet_scratch *s = &ws->scratch;
    if (s->high <= s->capacity)
        return UPERNET_OK;
    upernet_free(s->base);
    s->base = upernet_aligned_alloc(64, s->high);
    s->capacity = s->base != NULL ? s->high : 0;
    if (s->base == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM,
                            "out of memory for the ops' %zu-byte working buffers", s->high);
    return UPERNET_OK;
}

/* One image: pixels (3, H, W) -> logits (num_labels, H, W). */
static enum upernet_status forward_one(const struct run *r, const float *pixels, float *logits)
{
    UPERNET_TRY(backbone(r, pixels));
    return decode_head(r, logits);
}

enum upernet_status upernet_model_forward(const upernet_model *m, upernet_workspace *ws,
                                          const float *pixels, size_t batch, size_t height,
                                          size_t width, float *logits, upernet_error *err)
{
    if (m == NULL || ws == NULL || pixels == NULL || logits == NULL)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "forward: NULL argument");
    if (ws->model != m)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                            "forward: the workspace was created for another model");
    if (batch == 0)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "forward: a batch of 0 images");
    UPERNET_TRY(upernet_workspace_plan(ws, height, width, err));

    const int previous_threads = upernet_threads_enter(m->threads);
    struct run r = {.m = m, .ws = ws, .t = m->kernels, .err = err,
                    .cost_threads = ws->step_threads ? ws->step_threads : upernet_team_size()};
    for (int b = 0; b < BUF_COUNT; b++)
        r.buf[b] = ws->plan.bytes[b] ? (float *) ((char *) ws->plan.arena + ws->plan.offset[b])
                                     : NULL;
    const size_t in_floats = (size_t) m->cfg.num_channels * height * width;
    const size_t out_floats = (size_t) m->cfg.num_labels * height * width;
    ws->scratch.used = 0;
    struct upernet_scratch *previous_scratch = upernet_scratch_install(&ws->scratch);
    enum upernet_status st = UPERNET_OK;
    for (size_t i = 0; i < batch && st == UPERNET_OK; i++)
        st = forward_one(&r, pixels + i * in_floats, logits + i * out_floats);
    upernet_scratch_install(previous_scratch);
    upernet_threads_restore(m->threads, previous_threads);
    if (st == UPERNET_OK)
        st = grow_scratch(ws, err);
    if (st == UPERNET_OK)
        upernet_error_clear(err);
    return st;
}
