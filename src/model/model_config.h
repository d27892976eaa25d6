/* Model configurations: the five built-in UperNet-ConvNeXt sizes and any HF
 * config.json of this architecture (UperNetConfig with a ConvNextConfig
 * backbone). Only what the forward pass and the weight table need is kept. */
#ifndef UPERNET_MODEL_MODEL_CONFIG_H
#define UPERNET_MODEL_MODEL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "upernet.h"

#define UPERNET_STAGES 4
/* Feature maps the backbone can hand to the head: its stage_names "stem"
 * (the embeddings' output) and "stage1".."stage4". */
#define UPERNET_MAX_LEVELS (UPERNET_STAGES + 1)
#define UPERNET_MAX_POOL_SCALES 8
#define UPERNET_CONFIG_NAME_MAX 256

struct upernet_config {
    char name[UPERNET_CONFIG_NAME_MAX]; /* "tiny" ... or the config.json path */
    /* backbone (ConvNeXt) */
    int num_channels;                   /* input channels, 3 */
    int patch_size;                     /* stem kernel = stride, 4 */
    int depths[UPERNET_STAGES];         /* blocks per stage */
    int hidden_sizes[UPERNET_STAGES];   /* C0..C3 */
    bool layer_scale;                   /* layer_scale_init_value > 0: blocks have gamma */
    /* out_features as stage_names indices, ascending: 0 = stem, s = stage s.
     * Level i of the head reads feature map level_source[i]. */
    int level_source[UPERNET_MAX_LEVELS];
    int num_levels;
    /* decode head (UPerHead) */
    int hidden_size;                    /* head channels K, 512 */
    int pool_scales[UPERNET_MAX_POOL_SCALES];
    int num_pool_scales;
    int num_labels;
    /* auxiliary head (FCNHead on stage 2): loaded and validated, not run */
    bool use_auxiliary_head;
    int auxiliary_in_channels;
    int auxiliary_channels;
    int auxiliary_num_convs;
    bool auxiliary_concat_input;
};

/* "stem", "stage1".."stage4" for a stage_names index 0..4. */
const char *upernet_config_stage_name(int source);

/* Channels of level i's feature map (the stem's are those of stage 1). */
int upernet_config_level_channels(const struct upernet_config *cfg, int level);

/* Backbone stages the levels need run (the last level's stage; 0 when only
 * the stem is read). Later stages are loaded but never computed: their
 * outputs reach nothing. */
int upernet_config_stages_run(const struct upernet_config *cfg);

/* Fills *cfg with a built-in size: "tiny", "small", "base", "large", "xlarge",
 * also accepted as "upernet-convnext-tiny" etc. (and "openmmlab/upernet-convnext-tiny").
 * Fails with UPERNET_ERR_ARGUMENT naming the unknown size. */
enum upernet_status upernet_config_builtin(const char *size, struct upernet_config *cfg,
                                           upernet_error *err);

/* What transformers' UperNetConfig() with a default ConvNextConfig holds
 * (tiny's sizes, auxiliary_in_channels -1 meaning "C2"), named `name`: the
 * starting point of a config.json (io/config_json.c). */
void upernet_config_transformers_defaults(struct upernet_config *cfg, const char *name);

/* Checks the numbers are usable (positive sizes, limits); the parsers in io/config_json.c call it. */
enum upernet_status upernet_config_check(const struct upernet_config *cfg, const char *origin,
                                         upernet_error *err);

#endif
