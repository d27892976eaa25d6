/* upernet_weights_save_pretrained: a checkpoint as transformers'
 * save_pretrained writes it (model.safetensors with HF names, config.json,
 * preprocessor_config.json), so that
 * UperNetForSemanticSegmentation.from_pretrained(dir) loads it. */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "io/config_json.h"

/* Through the atomic-file helper: never a partial file. */
static enum upernet_status write_json(json_t *json, const char *dir, const char *name,
                                      upernet_error *err)
{
    char path[4096];
    if ((size_t) snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "%s: path too long", dir);
    char *text = json_dumps(json, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(16));
    if (text == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", path);
    const enum upernet_status st = upernet_write_file_atomic(path, text, strlen(text), err);
    free(text);
    return st;
}

static json_t *int_array(const int *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; a != NULL && i < n; i++)
        json_array_append_new(a, json_integer(v[i]));
    return a;
}

/* config.json of UperNetForSemanticSegmentation for a built-in size. */
static json_t *builtin_config_json(const struct upernet_config *cfg)
{
    json_t *features = json_array();
    for (int i = 0; i < cfg->num_levels; i++)
        json_array_append_new(features, json_string(upernet_config_stage_name(cfg->level_source[i])));
    json_t *backbone = json_pack("{s:s, s:o, s:o, s:i, s:i, s:o, s:o, s:o}", "model_type", "convnext", "depths",
                                 int_array(cfg->depths, UPERNET_STAGES), "hidden_sizes",
                                 int_array(cfg->hidden_sizes, UPERNET_STAGES), "num_channels", cfg->num_channels,
                                 "patch_size", cfg->patch_size, "out_features", features, "out_indices",
                                 int_array(cfg->level_source, cfg->num_levels), "stage_names",
                                 json_pack("[s,s,s,s,s]", "stem", "stage1", "stage2", "stage3", "stage4"));
    json_t *id2label = json_object(), *label2id = json_object();
    upernet_labels labels;
    upernet_error err;
    const int have_names = cfg->num_labels == 150 && upernet_labels_ade20k(&labels, &err) == UPERNET_OK;
    for (int i = 0; i < cfg->num_labels; i++) {
        char key[16], name[64];
        snprintf(key, sizeof key, "%d", i);
        snprintf(name, sizeof name, "%s", have_names ? labels.names[i] : "");
        if (!have_names)
            snprintf(name, sizeof name, "LABEL_%d", i);
        json_object_set_new(id2label, key, json_string(name));
        json_object_set_new(label2id, name, json_integer(i));
    }
    if (have_names)
        upernet_labels_free(&labels);
    return json_pack("{s:[s], s:s, s:o, s:i, s:o, s:b, s:i, s:i, s:i, s:b, s:o, s:o, s:i, s:f, s:s}",
                     "architectures", "UperNetForSemanticSegmentation", "model_type", "upernet", "backbone_config",
                     backbone, "hidden_size", cfg->hidden_size, "pool_scales",
                     int_array(cfg->pool_scales, cfg->num_pool_scales), "use_auxiliary_head", cfg->use_auxiliary_head,
                     "auxiliary_in_channels", cfg->auxiliary_in_channels, "auxiliary_channels",
                     cfg->auxiliary_channels, "auxiliary_num_convs", cfg->auxiliary_num_convs,
                     "auxiliary_concat_input", cfg->auxiliary_concat_input, "id2label", id2label, "label2id",
                     label2id, "loss_ignore_index", 255, "initializer_range", 0.02, "torch_dtype", "float32");
}

/* preprocessor_config.json of SegformerImageProcessor() (what the conversion script saves). */
static json_t *preprocessor_json(void)
{
    return json_pack("{s:b, s:b, s:b, s:b, s:[f,f,f], s:s, s:[f,f,f], s:i, s:f, s:{s:i, s:i}}", "do_normalize", 1,
                     "do_reduce_labels", 0, "do_rescale", 1, "do_resize", 1, "image_mean", 0.485, 0.456, 0.406,
                     "image_processor_type", "SegformerImageProcessor", "image_std", 0.229, 0.224, 0.225,
                     "resample", 2, "rescale_factor", 1.0 / 255.0, "size", "height", 512, "width", 512);
}

enum upernet_status upernet_weights_save_pretrained(const upernet_weights *w, const char *config,
                                                    const char *dir, upernet_error *err)
{
    if (w == NULL || dir == NULL)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "save_pretrained: NULL argument");
    const char *spec = config != NULL ? config : upernet_weights_detect_size(w);
    if (spec == NULL)
        return upernet_fail(err, UPERNET_ERR_MISMATCH,
                            "%s: its shapes match none of the built-in sizes; give its config.json",
                            upernet_weights_source(w));
    struct upernet_config cfg;
    enum upernet_status st = upernet_config_resolve(spec, &cfg, err);
    if (st != UPERNET_OK || (st = upernet_weights_check(w, spec, err)) != UPERNET_OK)
        return st;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return upernet_fail(err, UPERNET_ERR_IO, "%s: cannot create: %s", dir, strerror(errno));
    /* config.json: the given one, re-serialised (keeps id2label etc.), or
     * the built-in size's */
    json_t *json = NULL;
    struct upernet_config builtin;
    if (upernet_config_builtin(spec, &builtin, NULL) != UPERNET_OK) {
        json_error_t jerr;
        if ((json = json_load_file(spec, 0, &jerr)) == NULL)
            return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: %s", spec, jerr.text);
    } else {
        json = builtin_config_json(&cfg);
    }
    json_t *pre = preprocessor_json();
    char path[4096];
    if (json == NULL || pre == NULL)
        st = upernet_fail(err, UPERNET_ERR_NOMEM, "out of memory writing %s", dir);
    else if ((size_t) snprintf(path, sizeof path, "%s/model.safetensors", dir) >= sizeof path)
        st = upernet_fail(err, UPERNET_ERR_ARGUMENT, "%s: path too long", dir);
    else if ((st = upernet_weights_save_safetensors(w, path, err)) == UPERNET_OK &&
             (st = write_json(json, dir, "config.json", err)) == UPERNET_OK)
        st = write_json(pre, dir, "preprocessor_config.json", err);
    json_decref(json);
    json_decref(pre);
    return st;
}
