/* HF config.json of UperNetForSemanticSegmentation with a ConvNeXt backbone
 * -> struct upernet_config (model/model_config.h), and the spelling of a
 * configuration on the command line or in the API (a built-in size or a
 * config.json path) -> the configuration. The model layer never reads files;
 * this is where configurations come from. */
#include "config.h"

#include "io/config_json.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/error.h"

/* ----------------------------------------------------------- JSON parsing */

struct json_ctx {
    const char *origin;
    upernet_error *err;
};

/* Reads an optional integer member; absent or null keeps *out. */
static enum upernet_status get_int(const struct json_ctx *c, json_t *obj, const char *prefix,
                                   const char *key, int *out)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return UPERNET_OK;
    if (!json_is_integer(v))
        return upernet_fail(c->err, UPERNET_ERR_FORMAT, "%s: %s%s must be an integer",
                            c->origin, prefix, key);
    json_int_t x = json_integer_value(v);
    if (x < -(1 << 30) || x > (1 << 30))
        return upernet_fail(c->err, UPERNET_ERR_ARGUMENT, "%s: %s%s = %lld is out of range",
                            c->origin, prefix, key, (long long) x);
    *out = (int) x;
    return UPERNET_OK;
}

static enum upernet_status get_bool(const struct json_ctx *c, json_t *obj, const char *key,
                                    bool *out)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return UPERNET_OK;
    if (!json_is_boolean(v))
        return upernet_fail(c->err, UPERNET_ERR_FORMAT, "%s: %s must be true or false",
                            c->origin, key);
    *out = json_is_true(v);
    return UPERNET_OK;
}

/* Reads an optional array of integers with a count in [min_count, max_count]. */
static enum upernet_status get_int_array(const struct json_ctx *c, json_t *obj,
                                         const char *prefix, const char *key, int *out,
                                         int *count, int min_count, int max_count)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return UPERNET_OK;
    if (!json_is_array(v))
        return upernet_fail(c->err, UPERNET_ERR_FORMAT, "%s: %s%s must be an array of integers",
                            c->origin, prefix, key);
    size_t n = json_array_size(v);
    if ((int) n < min_count || (int) n > max_count) {
        if (min_count == max_count)
            return upernet_fail(c->err, UPERNET_ERR_UNSUPPORTED,
                                "%s: %s%s has %zu entries, upernet supports exactly %d",
                                c->origin, prefix, key, n, min_count);
        return upernet_fail(c->err, UPERNET_ERR_UNSUPPORTED,
                            "%s: %s%s has %zu entries, expected %d to %d", c->origin, prefix, key,
                            n, min_count, max_count);
    }
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_integer(e))
            return upernet_fail(c->err, UPERNET_ERR_FORMAT,
                                "%s: %s%s[%zu] must be an integer", c->origin, prefix, key, i);
        json_int_t x = json_integer_value(e);
        if (x < -(1 << 30) || x > (1 << 30))
            return upernet_fail(c->err, UPERNET_ERR_ARGUMENT, "%s: %s%s[%zu] is out of range",
                                c->origin, prefix, key, i);
        out[i] = (int) x;
    }
    if (count != NULL)
        *count = (int) n;
    return UPERNET_OK;
}

/* A string member that, when present, must equal one of the accepted values. */
static enum upernet_status expect_string(const struct json_ctx *c, json_t *obj,
                                         const char *prefix, const char *key,
                                         const char *accepted, const char *what)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return UPERNET_OK;
    if (!json_is_string(v))
        return upernet_fail(c->err, UPERNET_ERR_FORMAT, "%s: %s%s must be a string", c->origin,
                            prefix, key);
    if (strcmp(json_string_value(v), accepted) != 0)
        return upernet_fail(c->err, UPERNET_ERR_UNSUPPORTED,
                            "%s: %s%s is \"%s\"; upernet supports only %s (\"%s\")", c->origin,
                            prefix, key, json_string_value(v), what, accepted);
    return UPERNET_OK;
}

/* ---------------------------------------- out_features / out_indices */

/* ConvNextConfig.stage_names for four stages; out_features names entries of
 * it, out_indices indexes it (0 = the stem). */
#define STAGE_NAMES "[\"stem\", \"stage1\", \"stage2\", \"stage3\", \"stage4\"]"

/* The JSON text of a value for a message (cut to fit). */
static void json_text(json_t *v, char *buf, size_t size)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    snprintf(buf, size, "%s", text != NULL ? text : "?");
    free(text);
}

/* A list of stage_names indices as out_features would spell it. */
static void feature_list_text(const int *sources, int n, char *buf, size_t size)
{
    size_t used = (size_t) snprintf(buf, size, "[");
    for (int i = 0; i < n && used < size; i++)
        used += (size_t) snprintf(buf + used, size - used, "%s\"%s\"", i ? ", " : "",
                                  upernet_config_stage_name(sources[i]));
    if (used < size)
        snprintf(buf + used, size - used, "]");
}

static bool has_duplicates(const int *v, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            if (v[i] == v[j])
                return true;
    return false;
}

static bool ascending(const int *v, int n)
{
    for (int i = 1; i < n; i++)
        if (v[i] < v[i - 1])
            return false;
    return true;
}

/* out_features as stage_names indices, checked as transformers'
 * BackboneConfigMixin.verify_out_features_out_indices checks them (same
 * order of checks, same reasons). */
static enum upernet_status read_out_features(const struct json_ctx *c, json_t *of, int *sources,
                                             int *count)
{
    char got[256], want[128];
    json_text(of, got, sizeof got);
    if (!json_is_array(of))
        return upernet_fail(c->err, UPERNET_ERR_FORMAT,
                            "%s: backbone_config.out_features must be a list, got %s", c->origin,
                            got);
    const size_t n = json_array_size(of);
    int tmp[64];
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(of, i);
        int found = -1;
        for (int k = 0; k < UPERNET_MAX_LEVELS && json_is_string(e); k++)
            if (strcmp(json_string_value(e), upernet_config_stage_name(k)) == 0)
                found = k;
        if (found < 0)
            return upernet_fail(c->err, UPERNET_ERR_ARGUMENT,
                                "%s: backbone_config.out_features must be a subset of stage_names "
                                STAGE_NAMES ", got %s",
                                c->origin, got);
        if (i < sizeof tmp / sizeof tmp[0])
            tmp[i] = found;
    }
    /* Past UPERNET_MAX_LEVELS names some name repeats. */
    if (n > UPERNET_MAX_LEVELS || has_duplicates(tmp, (int) n))
        return upernet_fail(c->err, UPERNET_ERR_ARGUMENT,
                            "%s: backbone_config.out_features must not contain any duplicates, "
                            "got %s",
                            c->origin, got);
    if (!ascending(tmp, (int) n)) {
        int sorted[UPERNET_MAX_LEVELS], m = 0;
        for (int k = 0; k < UPERNET_MAX_LEVELS; k++)
            for (size_t i = 0; i < n; i++)
                if (tmp[i] == k)
                    sorted[m++] = k;
        feature_list_text(sorted, m, want, sizeof want);
        return upernet_fail(c->err, UPERNET_ERR_ARGUMENT,
                            "%s: backbone_config.out_features must be in the same order as "
                            "stage_names, expected %s got %s",
                            c->origin, want, got);
    }
    memcpy(sources, tmp, n * sizeof *sources);
    *count = (int) n;
    return UPERNET_OK;
}

/* out_indices, negative ones counted from the end as Python does. */
static enum upernet_status read_out_indices(const struct json_ctx *c, json_t *oi, int *sources,
                                            int *count)
{
    char got[256];
    json_text(oi, got, sizeof got);
    if (!json_is_array(oi))
        return upernet_fail(c->err, UPERNET_ERR_FORMAT,
                            "%s: backbone_config.out_indices must be a list, got %s", c->origin,
                            got);
    const size_t n = json_array_size(oi);
    int tmp[64];
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(oi, i);
        if (!json_is_integer(e))
            return upernet_fail(c->err, UPERNET_ERR_FORMAT,
                                "%s: backbone_config.out_indices[%zu] must be an integer",
                                c->origin, i);
        const json_int_t v = json_integer_value(e);
        if (v < -UPERNET_MAX_LEVELS || v >= UPERNET_MAX_LEVELS)
            return upernet_fail(c->err, UPERNET_ERR_ARGUMENT,
                                "%s: backbone_config.out_indices must be valid indices for "
                                "stage_names " STAGE_NAMES ", got %s",
                                c->origin, got);
        if (i < sizeof tmp / sizeof tmp[0])
            tmp[i] = v < 0 ? (int) v + UPERNET_MAX_LEVELS : (int) v;
    }
    if (n > UPERNET_MAX_LEVELS || has_duplicates(tmp, (int) n))
        return upernet_fail(c->err, UPERNET_ERR_ARGUMENT,
                            "%s: backbone_config.out_indices must not contain any duplicates, "
                            "got %s",
                            c->origin, got);
    if (!ascending(tmp, (int) n))
        return upernet_fail(c->err, UPERNET_ERR_ARGUMENT,
                            "%s: backbone_config.out_indices must be in the same order as "
                            "stage_names, got %s",
                            c->origin, got);
    memcpy(sources, tmp, n * sizeof *sources);
    *count = (int) n;
    return UPERNET_OK;
}

/* The head's levels, resolved as ConvNextConfig resolves out_features and
 * out_indices: either one gives the other; both must agree; neither means
 * the last stage only. An empty selection leaves the head without input,
 * which transformers cannot build either. */
static enum upernet_status resolve_levels(const struct json_ctx *c, json_t *bb,
                                          struct upernet_config *cfg)
{
    json_t *of = json_object_get(bb, "out_features"), *oi = json_object_get(bb, "out_indices");
    const bool has_features = of != NULL && !json_is_null(of);
    const bool has_indices = oi != NULL && !json_is_null(oi);
    int by_name[UPERNET_MAX_LEVELS], by_index[UPERNET_MAX_LEVELS], n_names = 0, n_indices = 0;
    if (has_features)
        UPERNET_TRY(read_out_features(c, of, by_name, &n_names));
    if (has_indices)
        UPERNET_TRY(read_out_indices(c, oi, by_index, &n_indices));
    if (has_features && has_indices) {
        if (n_names != n_indices)
            return upernet_fail(c->err, UPERNET_ERR_ARGUMENT,
                                "%s: backbone_config.out_features and out_indices should have the "
                                "same length if both are set",
                                c->origin);
        if (memcmp(by_name, by_index, (size_t) n_names * sizeof *by_name) != 0)
            return upernet_fail(c->err, UPERNET_ERR_ARGUMENT,
                                "%s: backbone_config.out_features and out_indices should "
                                "correspond to the same stages if both are set",
                                c->origin);
    }
    if (has_features) {
        memcpy(cfg->level_source, by_name, sizeof by_name);
        cfg->num_levels = n_names;
    } else if (has_indices) {
        memcpy(cfg->level_source, by_index, sizeof by_index);
        cfg->num_levels = n_indices;
    } else {
        cfg->level_source[0] = UPERNET_STAGES;
        cfg->num_levels = 1;
    }
    if (cfg->num_levels == 0)
        return upernet_fail(c->err, UPERNET_ERR_UNSUPPORTED,
                            "%s: backbone_config.out_features selects no feature map; the UperNet "
                            "head needs at least one",
                            c->origin);
    return UPERNET_OK;
}

static enum upernet_status parse_backbone(const struct json_ctx *c, json_t *bb,
                                          struct upernet_config *cfg)
{
    const char *p = "backbone_config.";
    UPERNET_TRY(expect_string(c, bb, p, "model_type", "convnext", "the ConvNeXt backbone"));
    UPERNET_TRY(expect_string(c, bb, p, "hidden_act", "gelu", "exact GELU"));
    int num_stages = UPERNET_STAGES;
    UPERNET_TRY(get_int(c, bb, p, "num_stages", &num_stages));
    if (num_stages != UPERNET_STAGES)
        return upernet_fail(c->err, UPERNET_ERR_UNSUPPORTED,
                            "%s: backbone_config.num_stages = %d; upernet supports 4", c->origin,
                            num_stages);
    UPERNET_TRY(get_int(c, bb, p, "num_channels", &cfg->num_channels));
    UPERNET_TRY(get_int(c, bb, p, "patch_size", &cfg->patch_size));
    UPERNET_TRY(get_int_array(c, bb, p, "depths", cfg->depths, NULL, UPERNET_STAGES, UPERNET_STAGES));
    UPERNET_TRY(get_int_array(c, bb, p, "hidden_sizes", cfg->hidden_sizes, NULL, UPERNET_STAGES,
                      UPERNET_STAGES));

    UPERNET_TRY(resolve_levels(c, bb, cfg));

    /* layer_scale_init_value <= 0: transformers builds the blocks without
     * layer_scale_parameter (the MLP output is added unscaled). */
    json_t *ls = json_object_get(bb, "layer_scale_init_value");
    if (ls != NULL && !json_is_null(ls)) {
        if (!json_is_number(ls))
            return upernet_fail(c->err, UPERNET_ERR_FORMAT,
                                "%s: backbone_config.layer_scale_init_value must be a number",
                                c->origin);
        cfg->layer_scale = json_number_value(ls) > 0.0;
    }
    return UPERNET_OK;
}

enum upernet_status upernet_config_parse_json_text(const char *text, const char *origin,
                                                   struct upernet_config *cfg, upernet_error *err)
{
    struct json_ctx c = {origin, err};
    json_t *root;
    enum upernet_status st = upernet_json_parse(text, origin, &root, err);
    if (st != UPERNET_OK)
        return st;
    struct upernet_config tmp;
    upernet_config_transformers_defaults(&tmp, origin);

    if (!json_is_object(root)) {
        st = upernet_fail(err, UPERNET_ERR_FORMAT, "%s: the top level must be a JSON object",
                          origin);
        goto done;
    }
#define STEP(expr)                    \
    if ((st = (expr)) != UPERNET_OK)  \
    goto done
    STEP(expect_string(&c, root, "", "model_type", "upernet", "UperNet"));
    json_t *bb = json_object_get(root, "backbone_config");
    if (bb == NULL || json_is_null(bb)) {
        st = upernet_fail(err, UPERNET_ERR_UNSUPPORTED,
                          "%s: backbone_config is missing (transformers would build a ResNet "
                          "backbone; upernet supports only ConvNeXt)",
                          origin);
        goto done;
    }
    if (!json_is_object(bb)) {
        st = upernet_fail(err, UPERNET_ERR_FORMAT, "%s: backbone_config must be an object",
                          origin);
        goto done;
    }
    json_t *utb = json_object_get(root, "use_timm_backbone");
    if (utb != NULL && json_is_true(utb)) {
        st = upernet_fail(err, UPERNET_ERR_UNSUPPORTED,
                          "%s: use_timm_backbone = true is not supported", origin);
        goto done;
    }
    STEP(parse_backbone(&c, bb, &tmp));
    STEP(get_int(&c, root, "", "hidden_size", &tmp.hidden_size));
    STEP(get_int_array(&c, root, "", "pool_scales", tmp.pool_scales, &tmp.num_pool_scales, 1,
                       UPERNET_MAX_POOL_SCALES));
    STEP(get_bool(&c, root, "use_auxiliary_head", &tmp.use_auxiliary_head));
    STEP(get_int(&c, root, "", "auxiliary_in_channels", &tmp.auxiliary_in_channels));
    STEP(get_int(&c, root, "", "auxiliary_channels", &tmp.auxiliary_channels));
    STEP(get_int(&c, root, "", "auxiliary_num_convs", &tmp.auxiliary_num_convs));
    STEP(get_bool(&c, root, "auxiliary_concat_input", &tmp.auxiliary_concat_input));
    /* transformers' auxiliary head (UperNetFCNHead, in_index 2) reads the
     * third feature map, and runs in every forward: with fewer levels the
     * model cannot be built (no channel count) or run. */
    if (tmp.use_auxiliary_head && tmp.num_levels < 3) {
        st = upernet_fail(err, UPERNET_ERR_UNSUPPORTED,
                          "%s: use_auxiliary_head = true needs at least 3 feature maps (the "
                          "auxiliary head reads the third, in_index 2), but "
                          "backbone_config.out_features selects %d; set use_auxiliary_head to "
                          "false",
                          origin, tmp.num_levels);
        goto done;
    }
    if (tmp.auxiliary_in_channels == -1)
        tmp.auxiliary_in_channels =
            tmp.use_auxiliary_head ? upernet_config_level_channels(&tmp, 2) : tmp.hidden_sizes[2];

    /* Label count: transformers stores id2label; num_labels may appear too
     * and must then agree. Without either, PretrainedConfig's default is 2. */
    int num_labels = -1;
    STEP(get_int(&c, root, "", "num_labels", &num_labels));
    json_t *id2label = json_object_get(root, "id2label");
    if (id2label != NULL && !json_is_null(id2label)) {
        if (!json_is_object(id2label)) {
            st = upernet_fail(err, UPERNET_ERR_FORMAT, "%s: id2label must be an object", origin);
            goto done;
        }
        int n = (int) json_object_size(id2label);
        if (num_labels != -1 && num_labels != n) {
            st = upernet_fail(err, UPERNET_ERR_MISMATCH,
                              "%s: num_labels = %d disagrees with id2label's %d entries", origin,
                              num_labels, n);
            goto done;
        }
        num_labels = n;
    }
    tmp.num_labels = num_labels == -1 ? 2 : num_labels;
#undef STEP
    st = upernet_config_check(&tmp, origin, err);
    if (st == UPERNET_OK)
        *cfg = tmp;
done:
    json_decref(root);
    return st;
}

char *upernet_config_read_text(const char *path, upernet_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        upernet_fail(err, UPERNET_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    /* Config files are small; refuse anything absurd before reading it. */
    enum { MAX_CONFIG_BYTES = 16 << 20 };
    char *text = upernet_malloc(MAX_CONFIG_BYTES + 1);
    if (text == NULL) {
        fclose(f);
        upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", path);
        return NULL;
    }
    size_t n = fread(text, 1, MAX_CONFIG_BYTES + 1, f);
    int read_error = ferror(f);
    fclose(f);
    if (read_error) {
        free(text);
        upernet_fail(err, UPERNET_ERR_IO, "%s: read error", path);
        return NULL;
    }
    if (n > MAX_CONFIG_BYTES) {
        free(text);
        upernet_fail(err, UPERNET_ERR_LIMIT, "%s: larger than %d bytes", path, MAX_CONFIG_BYTES);
        return NULL;
    }
    text[n] = '\0';
    return text;
}

enum upernet_status upernet_json_parse(const char *text, const char *origin, json_t **out,
                                       upernet_error *err)
{
    json_error_t jerr;
    *out = json_loads(text, 0, &jerr);
    if (*out == NULL)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: invalid JSON at line %d column %d: %s",
                            origin, jerr.line, jerr.column, jerr.text);
    return UPERNET_OK;
}

enum upernet_status upernet_json_load_file(const char *path, json_t **out, upernet_error *err)
{
    *out = NULL;
    char *text = upernet_config_read_text(path, err);
    if (text == NULL)
        return err != NULL ? err->status : UPERNET_ERR_IO;
    enum upernet_status st = upernet_json_parse(text, path, out, err);
    free(text);
    return st;
}

enum upernet_status upernet_config_parse_json(const char *path, struct upernet_config *cfg,
                                              upernet_error *err)
{
    char *text = upernet_config_read_text(path, err);
    if (text == NULL)
        return err != NULL ? err->status : UPERNET_ERR_IO;
    enum upernet_status st = upernet_config_parse_json_text(text, path, cfg, err);
    free(text);
    return st;
}

enum upernet_status upernet_config_json_label_names(const char *path, upernet_labels *labels,
                                                    upernet_error *err)
{
    json_t *root;
    enum upernet_status st = upernet_json_load_file(path, &root, err);
    if (st != UPERNET_OK)
        return st;
    json_t *id2label = json_object_get(root, "id2label");
    for (int i = 0; json_is_object(id2label) && i < labels->count; i++) {
        char key[16];
        snprintf(key, sizeof key, "%d", i);
        json_t *name = json_object_get(id2label, key);
        if (!json_is_string(name)) {
            st = upernet_fail(err, UPERNET_ERR_FORMAT,
                              "%s: id2label[\"%s\"] is missing or not a string (%d labels)", path,
                              key, labels->count);
            break;
        }
        char *copy = upernet_strdup(json_string_value(name));
        if (copy == NULL) {
            st = upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory for label names", path);
            break;
        }
        free(labels->names[i]);
        labels->names[i] = copy;
    }
    json_decref(root);
    if (st == UPERNET_OK)
        upernet_error_clear(err);
    return st;
}

enum upernet_status upernet_config_resolve(const char *spec, struct upernet_config *cfg,
                                           upernet_error *err)
{
    if (spec == NULL || spec[0] == '\0')
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "no model given (a size or a config.json)");
    if (upernet_config_builtin(spec, cfg, NULL) == UPERNET_OK) {
        upernet_error_clear(err);
        return UPERNET_OK;
    }
    size_t len = strlen(spec);
    struct stat sb;
    bool is_json = len >= 5 && strcmp(spec + len - 5, ".json") == 0;
    if (is_json || strchr(spec, '/') != NULL || stat(spec, &sb) == 0)
        return upernet_config_parse_json(spec, cfg, err);
    return upernet_config_builtin(spec, cfg, err);
}
