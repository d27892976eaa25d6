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

#define TRY(expr)                                    \
    do {                                             \
        enum upernet_status try_status_ = (expr);    \
        if (try_status_ != UPERNET_OK)               \
            return try_status_;                      \
    } while (0)

static enum upernet_status parse_backbone(const struct json_ctx *c, json_t *bb,
                                          struct upernet_config *cfg)
{
    const char *p = "backbone_config.";
    TRY(expect_string(c, bb, p, "model_type", "convnext", "the ConvNeXt backbone"));
    TRY(expect_string(c, bb, p, "hidden_act", "gelu", "exact GELU"));
    int num_stages = UPERNET_STAGES;
    TRY(get_int(c, bb, p, "num_stages", &num_stages));
    if (num_stages != UPERNET_STAGES)
        return upernet_fail(c->err, UPERNET_ERR_UNSUPPORTED,
                            "%s: backbone_config.num_stages = %d; upernet supports 4", c->origin,
                            num_stages);
    TRY(get_int(c, bb, p, "num_channels", &cfg->num_channels));
    TRY(get_int(c, bb, p, "patch_size", &cfg->patch_size));
    TRY(get_int_array(c, bb, p, "depths", cfg->depths, NULL, UPERNET_STAGES, UPERNET_STAGES));
    TRY(get_int_array(c, bb, p, "hidden_sizes", cfg->hidden_sizes, NULL, UPERNET_STAGES,
                      UPERNET_STAGES));

    /* The head needs all four stage outputs, in order. */
    json_t *of = json_object_get(bb, "out_features");
    if (of != NULL && !json_is_null(of)) {
        static const char *const want[] = {"stage1", "stage2", "stage3", "stage4"};
        bool ok = json_is_array(of) && json_array_size(of) == 4;
        for (size_t i = 0; ok && i < 4; i++) {
            json_t *e = json_array_get(of, i);
            ok = json_is_string(e) && strcmp(json_string_value(e), want[i]) == 0;
        }
        if (!ok)
            return upernet_fail(c->err, UPERNET_ERR_UNSUPPORTED,
                                "%s: backbone_config.out_features must be [\"stage1\", "
                                "\"stage2\", \"stage3\", \"stage4\"]",
                                c->origin);
    }
    int out_indices[8], n_out = 4;
    static const int want_idx[] = {1, 2, 3, 4};
    memcpy(out_indices, want_idx, sizeof want_idx);
    TRY(get_int_array(c, bb, p, "out_indices", out_indices, &n_out, 0, 8));
    if (n_out != 4 || memcmp(out_indices, want_idx, sizeof want_idx) != 0)
        return upernet_fail(c->err, UPERNET_ERR_UNSUPPORTED,
                            "%s: backbone_config.out_indices must be [1, 2, 3, 4]", c->origin);

    /* layer_scale_init_value <= 0 removes layer_scale_parameter from the model. */
    json_t *ls = json_object_get(bb, "layer_scale_init_value");
    if (ls != NULL && json_is_number(ls) && json_number_value(ls) <= 0.0)
        return upernet_fail(c->err, UPERNET_ERR_UNSUPPORTED,
                            "%s: backbone_config.layer_scale_init_value <= 0 (blocks without "
                            "layer scale) is not supported",
                            c->origin);
    return UPERNET_OK;
}

enum upernet_status upernet_config_parse_json_text(const char *text, const char *origin,
                                                   struct upernet_config *cfg, upernet_error *err)
{
    struct json_ctx c = {origin, err};
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    if (root == NULL)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: invalid JSON at line %d column %d: %s",
                            origin, jerr.line, jerr.column, jerr.text);
    enum upernet_status st = UPERNET_OK;
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
    if (tmp.auxiliary_in_channels == -1)
        tmp.auxiliary_in_channels = tmp.hidden_sizes[2];

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

enum upernet_status upernet_config_parse_json(const char *path, struct upernet_config *cfg,
                                              upernet_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return upernet_fail(err, UPERNET_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    /* Config files are small; refuse anything absurd before reading it. */
    enum { MAX_CONFIG_BYTES = 16 << 20 };
    char *text = upernet_malloc(MAX_CONFIG_BYTES + 1);
    if (text == NULL) {
        fclose(f);
        return upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", path);
    }
    size_t n = fread(text, 1, MAX_CONFIG_BYTES + 1, f);
    int read_error = ferror(f);
    fclose(f);
    if (read_error) {
        free(text);
        return upernet_fail(err, UPERNET_ERR_IO, "%s: read error", path);
    }
    if (n > MAX_CONFIG_BYTES) {
        free(text);
        return upernet_fail(err, UPERNET_ERR_LIMIT, "%s: larger than %d bytes", path,
                            MAX_CONFIG_BYTES);
    }
    text[n] = '\0';
    enum upernet_status st = upernet_config_parse_json_text(text, path, cfg, err);
    free(text);
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
