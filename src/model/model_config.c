#include "config.h"

#include "model/model_config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

/* ------------------------------------------------------------ built-ins */

struct builtin_size {
    const char *name;
    int depths[UPERNET_STAGES];
    int hidden_sizes[UPERNET_STAGES];
};

/* docs/SPECIFICATION.md §1 (conversion script get_upernet_config). */
static const struct builtin_size builtin_sizes[] = {
    {"tiny", {3, 3, 9, 3}, {96, 192, 384, 768}},
    {"small", {3, 3, 27, 3}, {96, 192, 384, 768}},
    {"base", {3, 3, 27, 3}, {128, 256, 512, 1024}},
    {"large", {3, 3, 27, 3}, {192, 384, 768, 1536}},
    {"xlarge", {3, 3, 27, 3}, {256, 512, 1024, 2048}},
};
#define N_BUILTIN (sizeof builtin_sizes / sizeof builtin_sizes[0])

/* The head and backbone settings shared by all five checkpoints. */
static void set_common_defaults(struct upernet_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->num_channels = 3;
    cfg->patch_size = 4;
    cfg->hidden_size = 512;
    static const int scales[] = {1, 2, 3, 6};
    for (int i = 0; i < 4; i++)
        cfg->pool_scales[i] = scales[i];
    cfg->num_pool_scales = 4;
    cfg->num_labels = 150;
    cfg->use_auxiliary_head = true;
    cfg->auxiliary_channels = 256;
    cfg->auxiliary_num_convs = 1;
    cfg->auxiliary_concat_input = false;
    cfg->layer_scale = true;
}

/* out_features = stage1..stage4, the Hub checkpoints' levels. */
static void set_all_stage_levels(struct upernet_config *cfg)
{
    cfg->num_levels = UPERNET_STAGES;
    for (int i = 0; i < UPERNET_STAGES; i++)
        cfg->level_source[i] = i + 1;
}

const char *upernet_config_stage_name(int source)
{
    static const char *const names[UPERNET_MAX_LEVELS] = {"stem", "stage1", "stage2", "stage3",
                                                          "stage4"};
    return source >= 0 && source < UPERNET_MAX_LEVELS ? names[source] : "?";
}

int upernet_config_level_channels(const struct upernet_config *cfg, int level)
{
    const int source = cfg->level_source[level];
    return cfg->hidden_sizes[source == 0 ? 0 : source - 1];
}

int upernet_config_stages_run(const struct upernet_config *cfg)
{
    return cfg->num_levels > 0 ? cfg->level_source[cfg->num_levels - 1] : 0;
}

void upernet_config_transformers_defaults(struct upernet_config *cfg, const char *name)
{
    set_common_defaults(cfg);
    /* ConvNextConfig's defaults are tiny's sizes. */
    memcpy(cfg->depths, builtin_sizes[0].depths, sizeof cfg->depths);
    memcpy(cfg->hidden_sizes, builtin_sizes[0].hidden_sizes, sizeof cfg->hidden_sizes);
    cfg->auxiliary_in_channels = -1; /* HF: None -> C2 */
    snprintf(cfg->name, sizeof cfg->name, "%s", name);
}

enum upernet_status upernet_config_builtin(const char *size, struct upernet_config *cfg,
                                           upernet_error *err)
{
    const char *s = size;
    if (strncmp(s, "openmmlab/", 10) == 0)
        s += 10;
    if (strncmp(s, "upernet-convnext-", 17) == 0)
        s += 17;
    for (size_t i = 0; i < N_BUILTIN; i++) {
        if (strcmp(s, builtin_sizes[i].name) != 0)
            continue;
        set_common_defaults(cfg);
        snprintf(cfg->name, sizeof cfg->name, "%s", builtin_sizes[i].name);
        memcpy(cfg->depths, builtin_sizes[i].depths, sizeof cfg->depths);
        memcpy(cfg->hidden_sizes, builtin_sizes[i].hidden_sizes, sizeof cfg->hidden_sizes);
        cfg->auxiliary_in_channels = cfg->hidden_sizes[2];
        set_all_stage_levels(cfg);
        upernet_error_clear(err);
        return UPERNET_OK;
    }
    return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                        "unknown model size '%s' (expected tiny, small, base, large, xlarge, "
                        "upernet-convnext-SIZE or a config.json path)",
                        size);
}

/* --------------------------------------------------------- config checks */

/* Generous upper bounds so a hostile config cannot ask for absurd tensors. */
enum { MAX_CHANNELS = 1 << 16, MAX_DEPTH = 1024, MAX_LABELS = 1 << 16, MAX_POOL_SCALE = 1024 };

/* Every value in range can still multiply into terabytes of weights (e.g.
 * 65536 channels, 1024 blocks a stage), which would be allocated and touched
 * piecewise until the kernel's OOM killer ends the process. So the weight
 * count is bounded too: the large terms (ConvNeXt blocks ~ 8 C^2 + 49 C + 7 C,
 * downsampling, the head's 1x1 and 3x3 convolutions) in 64-bit, against a
 * limit far above the largest released size (xlarge: ~0.4 G parameters). */
#define MAX_PARAMETERS ((uint64_t) 1 << 31)

static uint64_t config_parameter_estimate(const struct upernet_config *cfg)
{
    uint64_t n = 0;
    for (int s = 0; s < UPERNET_STAGES; s++) {
        const uint64_t c = (uint64_t) cfg->hidden_sizes[s];
        n += (uint64_t) cfg->depths[s] * (8 * c * c + 56 * c);
        const uint64_t c_in = s == 0 ? (uint64_t) cfg->num_channels : (uint64_t) cfg->hidden_sizes[s - 1];
        const uint64_t k = s == 0 ? (uint64_t) cfg->patch_size : 2;
        n += c_in * c * k * k;
    }
    const uint64_t hid = (uint64_t) cfg->hidden_size, levels = (uint64_t) cfg->num_levels;
    const uint64_t top = (uint64_t) upernet_config_level_channels(cfg, cfg->num_levels - 1);
    n += (uint64_t) cfg->num_pool_scales * top * hid;                   /* PPM 1x1 */
    n += 9 * (top + (uint64_t) cfg->num_pool_scales * hid) * hid;        /* PPM bottleneck */
    for (int i = 0; i + 1 < cfg->num_levels; i++)                       /* lateral + FPN */
        n += (uint64_t) upernet_config_level_channels(cfg, i) * hid + 9 * hid * hid;
    n += 9 * levels * hid * hid + hid * (uint64_t) cfg->num_labels;     /* fuse + classifier */
    if (cfg->use_auxiliary_head)
        n += 9 * (uint64_t) cfg->auxiliary_in_channels * (uint64_t) cfg->auxiliary_channels *
                 (uint64_t) (cfg->auxiliary_num_convs + 1) +
             (uint64_t) cfg->auxiliary_channels * (uint64_t) cfg->num_labels;
    return n;
}

enum upernet_status upernet_config_check(const struct upernet_config *cfg, const char *origin,
                                         upernet_error *err)
{
#define BAD(key, value)                                                                     \
    return upernet_fail(err, UPERNET_ERR_ARGUMENT, "%s: %s = %d is out of range", origin, key, \
                        (int) (value))
    if (cfg->num_channels < 1 || cfg->num_channels > 64)
        BAD("backbone_config.num_channels", cfg->num_channels);
    if (cfg->patch_size < 1 || cfg->patch_size > 64)
        BAD("backbone_config.patch_size", cfg->patch_size);
    for (int s = 0; s < UPERNET_STAGES; s++) {
        if (cfg->depths[s] < 0 || cfg->depths[s] > MAX_DEPTH)
            BAD("backbone_config.depths", cfg->depths[s]);
        if (cfg->hidden_sizes[s] < 1 || cfg->hidden_sizes[s] > MAX_CHANNELS)
            BAD("backbone_config.hidden_sizes", cfg->hidden_sizes[s]);
    }
    if (cfg->num_levels < 1 || cfg->num_levels > UPERNET_MAX_LEVELS)
        BAD("backbone_config.out_features (count)", cfg->num_levels);
    for (int i = 0; i < cfg->num_levels; i++)
        if (cfg->level_source[i] < 0 || cfg->level_source[i] > UPERNET_STAGES ||
            (i > 0 && cfg->level_source[i] <= cfg->level_source[i - 1]))
            BAD("backbone_config.out_indices", cfg->level_source[i]);
    if (cfg->hidden_size < 1 || cfg->hidden_size > MAX_CHANNELS)
        BAD("hidden_size", cfg->hidden_size);
    if (cfg->num_pool_scales < 1 || cfg->num_pool_scales > UPERNET_MAX_POOL_SCALES)
        BAD("pool_scales (count)", cfg->num_pool_scales);
    for (int i = 0; i < cfg->num_pool_scales; i++)
        if (cfg->pool_scales[i] < 1 || cfg->pool_scales[i] > MAX_POOL_SCALE)
            BAD("pool_scales", cfg->pool_scales[i]);
    if (cfg->num_labels < 1 || cfg->num_labels > MAX_LABELS)
        BAD("num_labels", cfg->num_labels);
    if (cfg->use_auxiliary_head) {
        if (cfg->auxiliary_in_channels < 1 || cfg->auxiliary_in_channels > MAX_CHANNELS)
            BAD("auxiliary_in_channels", cfg->auxiliary_in_channels);
        if (cfg->auxiliary_channels < 1 || cfg->auxiliary_channels > MAX_CHANNELS)
            BAD("auxiliary_channels", cfg->auxiliary_channels);
        if (cfg->auxiliary_num_convs < 0 || cfg->auxiliary_num_convs > 64)
            BAD("auxiliary_num_convs", cfg->auxiliary_num_convs);
        if (cfg->auxiliary_num_convs == 0 && cfg->auxiliary_in_channels != cfg->auxiliary_channels)
            return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                                "%s: auxiliary_num_convs = 0 needs auxiliary_in_channels (%d) == "
                                "auxiliary_channels (%d)",
                                origin, cfg->auxiliary_in_channels, cfg->auxiliary_channels);
    }
#undef BAD
    /* after the range checks: every term below is then < 2^40 */
    const uint64_t parameters = config_parameter_estimate(cfg);
    if (parameters > MAX_PARAMETERS)
        return upernet_fail(err, UPERNET_ERR_LIMIT,
                            "%s: the configuration needs about %llu million weights (at most %llu million)",
                            origin, (unsigned long long) (parameters / 1000000),
                            (unsigned long long) (MAX_PARAMETERS / 1000000));
    upernet_error_clear(err);
    return UPERNET_OK;
}
