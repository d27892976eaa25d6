/* The model's internals: packed parameters, the workspace (activation arena
 * plan) and the forward schedule (docs/SPECIFICATION.md §3). Public handles:
 * include/upernet.h. */
#ifndef UPERNET_MODEL_MODEL_H
#define UPERNET_MODEL_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "model/model_config.h"
#include "model/weights.h"
#include "ops/ops.h"
#include "ops/scratch.h"
#include "upernet.h"

/* LayerNorm eps of every ConvNeXt LN on this path (docs/SPECIFICATION.md §3.1, §4.3). */
#define UPERNET_LN_EPS 1e-6f
/* BatchNorm eps of every ConvModule (docs/SPECIFICATION.md §3.2, §4.5). */
#define UPERNET_BN_EPS 1e-5f

struct upernet_block {
    float *dw_weight; /* packed [49][C] */
    float *dw_bias;
    float *ln_gamma, *ln_beta;
    struct upernet_conv pwconv1; /* C -> 4C, GELU */
    struct upernet_conv pwconv2; /* 4C -> C, epilogue x gamma + residual */
    float *layer_scale; /* NULL without layer scale (layer_scale_init_value <= 0) */
};

struct upernet_stage {
    float *ds_ln_gamma, *ds_ln_beta; /* s > 0 */
    struct upernet_conv ds_conv;     /* s > 0: 2x2 stride 2 */
    struct upernet_block *blocks;
    int depth;
};

/* Buffers of the activation arena (see plan.c for their lifetimes). */
enum upernet_buffer {
    BUF_INPUT,        /* H x W x 3 NHWC copy of the pixels */
    BUF_STAGE0,       /* raw stage activations S_s (4 of them; S_0 starts as the stem's output) */
    BUF_DW0 = BUF_STAGE0 + UPERNET_STAGES,    /* dwconv output of stage s's blocks */
    BUF_HIDDEN = BUF_DW0 + UPERNET_STAGES,    /* MLP hidden rows, one pixel chunk */
    BUF_DOWNSAMPLE0,  /* LN(S_s) before downsampling into stage s+1 (s = 0..2) */
    /* Per level i < n (the config's out_features): F_i, the normed feature
     * map; L_i its lateral (L_{n-1} = bottleneck output = O_{n-1}); O_i the
     * FPN conv output (i < n-1). */
    BUF_FEATURE0 = BUF_DOWNSAMPLE0 + UPERNET_STAGES - 1,
    BUF_POOLED = BUF_FEATURE0 + UPERNET_MAX_LEVELS, /* pooled F_{n-1}, s x s (largest s) */
    BUF_POOLED_CONV,  /* every scale's 1x1 ConvModule output P_j, s_j x s_j x K each */
    BUF_LATERAL0,
    BUF_FPN0 = BUF_LATERAL0 + UPERNET_MAX_LEVELS,
    BUF_FUSED = BUF_FPN0 + UPERNET_MAX_LEVELS - 1, /* fpn_bottleneck output G */
    BUF_CLASSES,      /* classifier output Z at level 0 */
    BUF_COUNT
};

struct upernet_plan {
    size_t height, width;                 /* input size planned for (0: none) */
    size_t stage_h[UPERNET_STAGES], stage_w[UPERNET_STAGES]; /* stage s's map */
    size_t level_h[UPERNET_MAX_LEVELS], level_w[UPERNET_MAX_LEVELS]; /* level i's map */
    size_t offset[BUF_COUNT], bytes[BUF_COUNT];
    size_t arena_bytes;
    void *arena;
};

/* Optional observer of intermediate results (tests localise mismatches with
 * it). Called with each level's name ("stem", "stage1".."stage4": the
 * feature maps after hidden_states_norms), "ppm_bottleneck"
 * (decode_head.bottleneck), "lateral0".. (each lateral conv, before the
 * top-down adds), "fpn0".. (the FPN convs),
 * "fpn_bottleneck" and "classifier" (pre-upsample logits): an h x w map of c
 * channels, NHWC with the given pixel stride, valid only during the call. */
typedef void (*upernet_tap_fn)(void *ctx, const char *name, const float *nhwc, size_t h,
                               size_t w, size_t c, size_t pixel_stride);

/* Optional observer of the forward schedule (bench/upernet-scaling and the
 * model benchmark read the forward's arithmetic and parallel split from it):
 * called after every op call of a forward with what the op computed, how
 * its driver splits it for `threads` threads (the observer's, which need
 * not be the team's) and the call's wall and process CPU time (the CPU time
 * of a one-thread forward is its work even on a busy machine). `op` names
 * the layer
 * ("stem", "dwconv", "fc1", "fuse", ...; see forward.c), `stage` its stage
 * or pyramid level and `index` its block or pooling scale (-1: none). An
 * MLP split into pixel chunks reports each chunk's calls. */
struct upernet_step {
    const char *op;
    int stage, index;
    struct upernet_op_cost cost;
    double seconds, cpu_seconds;
};
typedef void (*upernet_step_fn)(void *ctx, const struct upernet_step *step);

struct upernet_model {
    struct upernet_config cfg;
    enum upernet_isa isa;                     /* tier the weights were packed for */
    const struct upernet_kernel_table *kernels; /* that tier's table */
    size_t nr;            /* its igemm panel width */
    bool winograd;        /* fpn_convs + fpn_bottleneck packed for Winograd F(2x2,3x3) */
    int threads;          /* OpenMP threads per forward (0: OpenMP's default) */
    size_t weight_bytes;

    struct upernet_conv stem;
    float *stem_ln_gamma, *stem_ln_beta;
    struct upernet_stage stages[UPERNET_STAGES];
    /* hidden_states_norms of each level */
    float *level_norm_gamma[UPERNET_MAX_LEVELS], *level_norm_beta[UPERNET_MAX_LEVELS];

    struct upernet_conv psp[UPERNET_MAX_POOL_SCALES]; /* 1x1 ConvModules, ReLU */
    struct upernet_conv bottleneck;                   /* 3x3 on [F3, P...] */
    struct upernet_conv lateral[UPERNET_MAX_LEVELS - 1];
    struct upernet_conv fpn[UPERNET_MAX_LEVELS - 1];
    struct upernet_conv fpn_bottleneck;
    struct upernet_conv classifier;

    /* class names (config.json's id2label, else ADE20K's or generated ones)
     * and colours, filled by the constructors in src/api */
    upernet_labels labels;
    /* keys of the weights the configuration does not use (loaded anyway) */
    size_t unused_keys;
    char unused_key_names[UPERNET_ERROR_MESSAGE_MAX];

    void **allocations; /* every packed/copied parameter array, freed with the model */
    size_t n_allocations, cap_allocations;
};

/* The per-forward state of one model: the activation arena planned for one
 * input size. The model is read-only during a forward; everything a forward
 * writes lives here. */
struct upernet_workspace {
    const upernet_model *model;
    struct upernet_plan plan;
    /* The ops' working buffers (src/ops/scratch.h), grown after a forward
     * to what it needed, so the next forward allocates nothing. */
    struct upernet_scratch scratch;
    bool plan_without_reuse; /* tests: give every buffer its own space */
    upernet_tap_fn tap;
    void *tap_ctx;
    upernet_step_fn step_observer;
    void *step_ctx;
    size_t step_threads; /* the split reported: for this many threads (0: the team's) */
};

/* What a model is loaded with, resolved (no "auto" left). */
struct upernet_load_settings {
    enum upernet_isa isa; /* a tier this CPU and build run */
    bool winograd;        /* pack the FPN convs and the fpn_bottleneck for Winograd */
    int threads;          /* OpenMP threads for loading and forwards (0: default) */
    bool strict;          /* refuse weights with keys the configuration does not use */
};

/* Builds a model of cfg from a parameter source (validated beforehand when
 * it is a store): folds BatchNorm, packs every conv for the settings' tier
 * and releases each original tensor right after packing it. */
enum upernet_status upernet_model_load(const struct upernet_config *cfg,
                                       struct upernet_param_source *src,
                                       const struct upernet_load_settings *settings,
                                       upernet_model **out, upernet_error *err);

/* Plans the workspace's arena for an input size (plan.c). */
enum upernet_status upernet_plan_build(struct upernet_workspace *ws, size_t height, size_t width,
                                       upernet_error *err);
void upernet_plan_free(struct upernet_plan *plan);

/* The arena size the plan would need for an input size, without allocating. */
enum upernet_status upernet_plan_measure(const upernet_model *m, size_t height, size_t width,
                                         size_t *arena_bytes, upernet_error *err);

/* Pixels per MLP chunk in stage `stage` of a map with `pixels` pixels (the
 * hidden buffer the plan reserves fits it). */
size_t upernet_plan_mlp_chunk(const struct upernet_config *cfg, int stage, size_t pixels);

/* Sets the calling thread's OpenMP thread count to `threads` (0: leaves it)
 * and returns the previous count, which upernet_threads_restore puts back.
 * The count is per calling thread, so concurrent forwards of models with
 * different counts do not disturb each other. */
int upernet_threads_enter(int threads);
void upernet_threads_restore(int threads, int previous);

void upernet_workspace_set_tap(upernet_workspace *ws, upernet_tap_fn fn, void *ctx);
/* fn = NULL removes the observer; threads = 0 reports each forward's own
 * team size. */
void upernet_workspace_set_step_observer(upernet_workspace *ws, upernet_step_fn fn, void *ctx,
                                         size_t threads);

#endif
