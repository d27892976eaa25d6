/* The activation arena: every buffer of one forward pass gets an offset in
 * one allocation, planned once per input size. Each buffer has a lifetime
 * (the first and last schedule step that touches it, inclusive); buffers whose
 * lifetimes overlap never share bytes, others may. Placement is greedy by
 * size (largest first, lowest offset that fits between the buffers already
 * placed and alive at the same time), which is close to optimal for a chain
 * like this one.
 *
 * The steps below mirror the order of forward.c; a buffer used in a step is
 * alive for the whole step, so inputs and outputs of one step never alias. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "model/model.h"

enum step {
    STEP_INPUT = 0,   /* NCHW pixels -> NHWC input */
    STEP_STEM = 1,    /* stem conv + LN -> S_0 (and a "stem" level's F_i) */
    /* stage s blocks: 2 + 2s; stage s end (hidden_states_norm of its level,
     * downsampling into S_{s+1}): 3 + 2s */
    STEP_PPM = 10,    /* pyramid pooling on the last level: P_j for every scale */
    STEP_BOTTLENECK,  /* bottleneck over [F_{n-1}, up(P_0..P_m)] -> L_{n-1} */
    STEP_LATERALS,    /* F_i -> L_i */
    STEP_TOP_DOWN,    /* L_{i-1} += up(L_i) */
    STEP_FPN,         /* L_i -> O_i */
    STEP_FUSE,        /* fpn_bottleneck over [O_0, up(O_1..O_{n-1})] -> G */
    STEP_CLASSIFIER,  /* -> Z */
    STEP_OUTPUT       /* Z -> logits (caller's buffer) */
};
#define STEP_BLOCKS(s) (2 + 2 * (s))
#define STEP_STAGE_END(s) (3 + 2 * (s))

/* The MLP hidden buffer holds at most this many floats per chunk of pixels
 * (8 MiB): large enough for whole GEMM row blocks, small enough to stay in
 * the outer caches. */
#define MLP_HIDDEN_FLOATS ((size_t) 1 << 21)
#define MLP_MIN_CHUNK 64

struct buffer_req {
    size_t bytes;
    int first, last;
    size_t offset;
    int index;
};

static size_t round_up(size_t n, size_t a)
{
    return (n + a - 1) / a * a;
}

/* Pixels per MLP chunk in a stage with C channels and `pixels` pixels: the
 * fewest chunks that fit the hidden buffer, of equal size (16384 pixels of
 * stage 1 make 4 x 4096 rather than 3 x 5461 and a 1-pixel chunk whose three
 * parallel calls would have one work unit each). */
static size_t mlp_chunk(size_t C, size_t pixels)
{
    size_t chunk = MLP_HIDDEN_FLOATS / (4 * C);
    if (chunk < MLP_MIN_CHUNK)
        chunk = MLP_MIN_CHUNK;
    if (chunk >= pixels)
        return pixels;
    const size_t chunks = (pixels + chunk - 1) / chunk;
    return (pixels + chunks - 1) / chunks;
}

static int by_size_desc(const void *a, const void *b)
{
    const struct buffer_req *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes < y->bytes ? 1 : -1;
    return x->index - y->index;
}

/* Sizes, lifetimes and offsets for an input size; fills plan (no arena). */
static enum upernet_status layout(const upernet_model *m, bool without_reuse, size_t H,
                                  size_t W, struct upernet_plan *plan, upernet_error *err)
{
    const struct upernet_config *cfg = &m->cfg;
    if (H < 32 || W < 32)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                            "input %zux%zu is too small (height and width must be >= 32)", H, W);
    if (H > 16384 || W > 16384)
        return upernet_fail(err, UPERNET_ERR_LIMIT,
                            "input %zux%zu is too large (at most 16384 per side)", H, W);
    memset(plan, 0, sizeof *plan);
    plan->height = H;
    plan->width = W;
    const size_t patch = (size_t) cfg->patch_size;
    size_t h = upernet_conv_out_size(H, patch, patch, 0), w = upernet_conv_out_size(W, patch, patch, 0);
    /* Every stage is checked, run or not: transformers runs them all. */
    for (int s = 0; s < UPERNET_STAGES; s++) {
        if (s > 0) {
            h = upernet_conv_out_size(h, 2, 2, 0);
            w = upernet_conv_out_size(w, 2, 2, 0);
        }
        if (h == 0 || w == 0)
            return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                                "input %zux%zu is too small for patch size %zu (stage %d is empty)",
                                H, W, patch, s + 1);
        plan->stage_h[s] = h;
        plan->stage_w[s] = w;
    }
    const int levels = cfg->num_levels, stages = upernet_config_stages_run(cfg);
    size_t LC[UPERNET_MAX_LEVELS], LP[UPERNET_MAX_LEVELS];
    for (int i = 0; i < levels; i++) {
        const int source = cfg->level_source[i], s = source == 0 ? 0 : source - 1;
        plan->level_h[i] = plan->stage_h[s];
        plan->level_w[i] = plan->stage_w[s];
        LC[i] = (size_t) upernet_config_level_channels(cfg, i);
        LP[i] = plan->level_h[i] * plan->level_w[i];
    }

    const size_t K = (size_t) cfg->hidden_size, labels = (size_t) cfg->num_labels;
    size_t C[UPERNET_STAGES], P[UPERNET_STAGES];
    for (int s = 0; s < UPERNET_STAGES; s++) {
        C[s] = (size_t) cfg->hidden_sizes[s];
        P[s] = plan->stage_h[s] * plan->stage_w[s];
    }
    size_t max_scale = 0, hidden = 0, pooled_pixels = 0;
    for (int j = 0; j < cfg->num_pool_scales; j++) {
        const size_t scale = (size_t) cfg->pool_scales[j];
        if (scale > max_scale)
            max_scale = scale;
        pooled_pixels += scale * scale;
    }
    for (int s = 0; s < stages; s++) {
        size_t chunk = mlp_chunk(C[s], P[s]);
        if (cfg->depths[s] > 0 && chunk * 4 * C[s] > hidden)
            hidden = chunk * 4 * C[s];
    }

    struct buffer_req req[BUF_COUNT];
    memset(req, 0, sizeof req);
    for (int b = 0; b < BUF_COUNT; b++)
        req[b].index = b; /* unused buffers keep 0 bytes */
#define REQ(buf, floats, from, to) \
    (req[buf] = (struct buffer_req){(floats) * sizeof(float), (from), (to), 0, (buf)})
    REQ(BUF_INPUT, H * W * (size_t) cfg->num_channels, STEP_INPUT, STEP_STEM);
    /* S_0 holds the stem's output even when no stage runs (a "stem"-only head). */
    REQ(BUF_STAGE0, P[0] * C[0], STEP_STEM, stages > 0 ? STEP_STAGE_END(0) : STEP_STEM);
    for (int s = 0; s < stages; s++) {
        if (s > 0)
            REQ(BUF_STAGE0 + s, P[s] * C[s], STEP_STAGE_END(s - 1), STEP_STAGE_END(s));
        if (cfg->depths[s] > 0)
            REQ(BUF_DW0 + s, P[s] * C[s], STEP_BLOCKS(s), STEP_BLOCKS(s));
        if (s + 1 < stages)
            REQ(BUF_DOWNSAMPLE0 + s, P[s] * C[s], STEP_STAGE_END(s), STEP_STAGE_END(s));
    }
    for (int i = 0; i < levels; i++) {
        const int source = cfg->level_source[i];
        REQ(BUF_FEATURE0 + i, LP[i] * LC[i], source == 0 ? STEP_STEM : STEP_STAGE_END(source - 1),
            i < levels - 1 ? STEP_LATERALS : STEP_BOTTLENECK);
    }
    if (stages > 0)
        REQ(BUF_HIDDEN, hidden, STEP_BLOCKS(0), STEP_BLOCKS(stages - 1));
    REQ(BUF_POOLED, max_scale * max_scale * LC[levels - 1], STEP_PPM, STEP_PPM);
    REQ(BUF_POOLED_CONV, pooled_pixels * K, STEP_PPM, STEP_BOTTLENECK);
    REQ(BUF_LATERAL0 + levels - 1, LP[levels - 1] * K, STEP_BOTTLENECK, STEP_FUSE);
    for (int i = 0; i < levels - 1; i++) {
        REQ(BUF_LATERAL0 + i, LP[i] * K, STEP_LATERALS, STEP_FPN);
        REQ(BUF_FPN0 + i, LP[i] * K, STEP_FPN, STEP_FUSE);
    }
    REQ(BUF_FUSED, LP[0] * K, STEP_FUSE, STEP_CLASSIFIER);
    REQ(BUF_CLASSES, LP[0] * labels, STEP_CLASSIFIER, STEP_OUTPUT);
#undef REQ

    /* Greedy placement, largest first; 64-byte aligned offsets. */
    struct buffer_req order[BUF_COUNT];
    memcpy(order, req, sizeof req);
    for (int i = 0; i < BUF_COUNT; i++)
        order[i].bytes = round_up(order[i].bytes, 64);
    qsort(order, BUF_COUNT, sizeof order[0], by_size_desc);
    size_t total = 0;
    for (int i = 0; i < BUF_COUNT; i++) {
        struct buffer_req *r = &order[i];
        if (r->bytes == 0)
            continue;
        size_t offset = 0;
        if (without_reuse) {
            offset = total;
        } else {
            /* Move past every placed, time-overlapping buffer that collides,
             * until a pass finds no collision. */
            bool moved = true;
            while (moved) {
                moved = false;
                for (int k = 0; k < i; k++) {
                    const struct buffer_req *o = &order[k];
                    if (o->bytes == 0 || o->last < r->first || r->last < o->first)
                        continue;
                    if (offset < o->offset + o->bytes && o->offset < offset + r->bytes) {
                        offset = o->offset + o->bytes;
                        moved = true;
                    }
                }
            }
        }
        r->offset = offset;
        if (offset + r->bytes > total)
            total = offset + r->bytes;
    }
    for (int i = 0; i < BUF_COUNT; i++) {
        plan->offset[order[i].index] = order[i].offset;
        plan->bytes[order[i].index] = order[i].bytes;
    }
    plan->arena_bytes = total;
    upernet_error_clear(err);
    return UPERNET_OK;
}

size_t upernet_plan_mlp_chunk(const struct upernet_config *cfg, int stage, size_t pixels)
{
    return mlp_chunk((size_t) cfg->hidden_sizes[stage], pixels);
}

enum upernet_status upernet_plan_measure(const upernet_model *m, size_t height, size_t width,
                                         size_t *arena_bytes, upernet_error *err)
{
    struct upernet_plan plan;
    enum upernet_status st = layout(m, false, height, width, &plan, err);
    *arena_bytes = st == UPERNET_OK ? plan.arena_bytes : 0;
    return st;
}

void upernet_plan_free(struct upernet_plan *plan)
{
    upernet_free(plan->arena);
    memset(plan, 0, sizeof *plan);
}

enum upernet_status upernet_plan_build(struct upernet_workspace *ws, size_t height, size_t width,
                                       upernet_error *err)
{
    struct upernet_plan plan;
    enum upernet_status st = layout(ws->model, ws->plan_without_reuse, height, width, &plan, err);
    if (st != UPERNET_OK)
        return st;
    upernet_plan_free(&ws->plan);
    plan.arena = upernet_aligned_alloc(64, plan.arena_bytes ? plan.arena_bytes : 64);
    if (plan.arena == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM,
                            "out of memory for the %zu-byte activation arena (input %zux%zu)",
                            plan.arena_bytes, height, width);
    ws->plan = plan;
    return UPERNET_OK;
}
