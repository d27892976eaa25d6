/* The public ways to a model: from a size or config.json (synthetic
 * weights), a weights file or model directory, opened weights, or a tensor
 * store. This file joins the readers (src/io) and the model layer
 * (src/model): it resolves the configuration, checks the tensors against its
 * weight table and hands them to the loader. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/error.h"
#include "io/config_json.h"
#include "model/model.h"
#include "model/synthetic.h"
#include "model/weights.h"

static const char *const builtin_names[] = {"tiny", "small", "base", "large", "xlarge"};

void upernet_model_options_init(upernet_model_options *options)
{
    *options = (upernet_model_options){.config = NULL,
                                       .isa = UPERNET_ISA_AUTO,
                                       .conv3x3 = UPERNET_CONV3X3_WINOGRAD,
                                       .threads = 0,
                                       .strict = 0,
                                       .synthetic = UPERNET_SYNTHETIC_DEFAULT};
}

/* The options with "auto" resolved; refuses what cannot run here. */
static enum upernet_status resolve_settings(const upernet_model_options *options,
                                            struct upernet_load_settings *settings,
                                            upernet_error *err)
{
    upernet_model_options defaults;
    if (options == NULL) {
        upernet_model_options_init(&defaults);
        options = &defaults;
    }
    enum upernet_isa isa = options->isa;
    if (isa == UPERNET_ISA_AUTO) {
        isa = upernet_isa_best_supported();
    } else if ((unsigned) isa >= UPERNET_ISA_COUNT) {
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "model options: unknown kernel tier %d",
                            (int) isa);
    } else if (!upernet_isa_supported(isa)) {
        return upernet_fail(err, UPERNET_ERR_UNSUPPORTED,
                            "model options: kernel tier '%s' is not available: %s (best here: %s)",
                            upernet_isa_name(isa),
                            upernet_isa_built(isa) ? "this CPU or OS lacks it"
                                                   : "this build does not include it",
                            upernet_isa_name(upernet_isa_best_supported()));
    }
    if (options->conv3x3 != UPERNET_CONV3X3_WINOGRAD && options->conv3x3 != UPERNET_CONV3X3_DIRECT)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                            "model options: unknown 3x3 algorithm %d (expected winograd or direct)",
                            (int) options->conv3x3);
    if (options->threads < 0)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                            "model options: threads must be >= 0 (0: OpenMP's default), got %d",
                            options->threads);
    *settings = (struct upernet_load_settings){.isa = isa,
                                               .winograd =
                                                   options->conv3x3 == UPERNET_CONV3X3_WINOGRAD,
                                               .threads = options->threads,
                                               .strict = options->strict != 0};
    return UPERNET_OK;
}

/* Does every expected (non-counter) tensor of `cfg` exist with its shape,
 * and nothing else? (tiny's keys are a subset of small's: both matter) */
static bool matches(const upernet_weights *w, const struct upernet_config *cfg)
{
    struct upernet_param_table table;
    if (upernet_param_table_build(cfg, &table, NULL) != UPERNET_OK)
        return false;
    bool ok = true;
    for (size_t i = 0; ok && i < table.count; i++) {
        const struct upernet_param_spec *spec = &table.params[i];
        if (spec->is_counter)
            continue;
        const struct upernet_tensor *t = upernet_weights_find(w, spec->name);
        ok = t != NULL && t->ndim == (int) spec->ndim;
        for (size_t d = 0; ok && d < spec->ndim; d++)
            ok = t->shape[d] == (int64_t) spec->shape[d];
    }
    for (size_t i = 0; ok && i < upernet_weights_count(w); i++)
        ok = upernet_param_table_find(&table, upernet_weights_at(w, i)->name) != NULL;
    upernet_param_table_free(&table);
    return ok;
}

const char *upernet_weights_detect_size(const upernet_weights *w)
{
    if (w == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof builtin_names / sizeof *builtin_names; i++) {
        struct upernet_config cfg;
        if (upernet_config_builtin(builtin_names[i], &cfg, NULL) == UPERNET_OK && matches(w, &cfg))
            return builtin_names[i];
    }
    return NULL;
}

/* The tensors as the model's store: float tensors borrowed from the weights
 * (which must outlive the model's creation), integer ones (BatchNorm
 * counters) copied as floats so validation sees every key. */
static enum upernet_status to_store(const upernet_weights *w, upernet_tensors **out,
                                    upernet_error *err)
{
    upernet_tensors *t = NULL;
    enum upernet_status st = upernet_tensors_create(&t, err);
    for (size_t i = 0; st == UPERNET_OK && i < upernet_weights_count(w); i++) {
        const struct upernet_tensor *x = upernet_weights_at(w, i);
        if (x->data != NULL || x->ints == NULL) {
            static float none;
            st = upernet_tensors_add(t, x->name, x->shape, (size_t) x->ndim,
                                     x->data != NULL ? (float *) x->data : &none,
                                     UPERNET_TENSOR_BORROW, err);
            continue;
        }
        float *copy = upernet_malloc((x->numel ? x->numel : 1) * sizeof *copy);
        if (copy == NULL) {
            st = upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory copying %s",
                              upernet_weights_source(w), x->name);
            break;
        }
        for (size_t k = 0; k < x->numel; k++)
            copy[k] = (float) x->ints[k];
        st = upernet_tensors_add(t, x->name, x->shape, (size_t) x->ndim, copy, UPERNET_TENSOR_TAKE,
                                 err);
    }
    if (st != UPERNET_OK) {
        upernet_tensors_free(t);
        return st;
    }
    *out = t;
    return UPERNET_OK;
}

/* Validates the store against cfg's weight table (`origin` names it);
 * unexpected keys fail only when strict, else *unused (may be NULL) counts
 * them and `names` lists them. */
static enum upernet_status validate(const struct upernet_config *cfg, const upernet_tensors *t,
                                    const char *origin, bool strict, size_t *unused, char *names,
                                    size_t names_size, upernet_error *err)
{
    struct upernet_param_table table;
    enum upernet_status st = upernet_param_table_build(cfg, &table, err);
    if (st != UPERNET_OK)
        return st;
    st = upernet_params_validate(&table, t, origin, strict, err);
    if (st == UPERNET_OK && unused != NULL)
        *unused = upernet_params_unexpected(&table, t, names, names_size);
    upernet_param_table_free(&table);
    return st;
}

/* The configuration of a weights set: `config` when given, else the
 * built-in size the shapes match. */
static enum upernet_status weights_config(const upernet_weights *w, const char *config,
                                          struct upernet_config *cfg, upernet_error *err)
{
    if (config != NULL)
        return upernet_config_resolve(config, cfg, err);
    const char *size = upernet_weights_detect_size(w);
    if (size == NULL)
        return upernet_fail(err, UPERNET_ERR_MISMATCH,
                            "%s: its shapes match none of the built-in sizes; give its "
                            "config.json",
                            upernet_weights_source(w));
    return upernet_config_builtin(size, cfg, err);
}

/* When validation against `config` failed but the shapes are those of
 * another built-in size, says so. */
static void name_other_size(const upernet_weights *w, const char *config,
                            const struct upernet_config *cfg, upernet_error *err)
{
    if (err == NULL || err->status != UPERNET_ERR_MISMATCH || config == NULL)
        return;
    const char *size = upernet_weights_detect_size(w);
    if (size == NULL || strcmp(cfg->name, size) == 0)
        return;
    char msg[UPERNET_ERROR_MESSAGE_MAX];
    snprintf(msg, sizeof msg, "%s", err->message);
    upernet_fail(err, UPERNET_ERR_MISMATCH, "%s: a checkpoint of size '%s', not '%s' (%.300s)",
                 upernet_weights_source(w), size, config, msg);
}

enum upernet_status upernet_weights_check(const upernet_weights *w, const char *config,
                                          upernet_error *err)
{
    if (w == NULL)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "weights_check: NULL weights");
    struct upernet_config cfg;
    enum upernet_status st = weights_config(w, config, &cfg, err);
    if (st != UPERNET_OK)
        return st;
    upernet_tensors *store = NULL;
    if ((st = to_store(w, &store, err)) == UPERNET_OK)
        st = validate(&cfg, store, upernet_weights_source(w), true, NULL, NULL, 0, err);
    upernet_tensors_free(store);
    if (st != UPERNET_OK)
        name_other_size(w, config, &cfg, err);
    return st;
}

/* Validates and loads; the store is consumed. */
static enum upernet_status load_store(const struct upernet_config *cfg, upernet_tensors *store,
                                      const char *origin,
                                      const struct upernet_load_settings *settings,
                                      upernet_model **out, upernet_error *err)
{
    size_t unused = 0;
    char names[UPERNET_ERROR_MESSAGE_MAX];
    enum upernet_status st =
        validate(cfg, store, origin, settings->strict, &unused, names, sizeof names, err);
    if (st != UPERNET_OK)
        return st;
    struct upernet_param_source src = upernet_param_source_tensors(store);
    if ((st = upernet_model_load(cfg, &src, settings, out, err)) != UPERNET_OK)
        return st;
    (*out)->unused_keys = unused;
    snprintf((*out)->unused_key_names, sizeof (*out)->unused_key_names, "%s", names);
    return UPERNET_OK;
}

static enum upernet_status from_weights(const upernet_weights *w, const char *config,
                                        const struct upernet_load_settings *settings,
                                        upernet_model **out, upernet_error *err)
{
    struct upernet_config cfg;
    enum upernet_status st = weights_config(w, config, &cfg, err);
    if (st != UPERNET_OK)
        return st;
    upernet_tensors *store = NULL;
    if ((st = to_store(w, &store, err)) == UPERNET_OK)
        st = load_store(&cfg, store, upernet_weights_source(w), settings, out, err);
    upernet_tensors_free(store);
    if (st != UPERNET_OK)
        name_other_size(w, config, &cfg, err);
    return st;
}

/* The model's classes: ADE20K's (150) or generated names and colours, the
 * names then replaced by id2label when the configuration is a config.json
 * (`config`: a built-in size name, a config.json path or NULL). On failure
 * the model is freed. */
static enum upernet_status attach_labels(upernet_model **m, const char *config,
                                         upernet_error *err)
{
    const int n = upernet_model_num_labels(*m);
    struct upernet_config builtin;
    enum upernet_status st = n == 150 ? upernet_labels_ade20k(&(*m)->labels, err)
                                      : upernet_labels_generic(n, &(*m)->labels, err);
    if (st == UPERNET_OK && config != NULL && upernet_config_builtin(config, &builtin, NULL) != UPERNET_OK)
        st = upernet_config_json_label_names(config, &(*m)->labels, err);
    if (st != UPERNET_OK) {
        upernet_model_free(*m);
        *m = NULL;
    }
    return st;
}

/* What every public constructor does first: clears *out, refuses a NULL
 * input and resolves the options. */
static enum upernet_status start(const char *what, const void *input,
                                 const upernet_model_options *options, upernet_model **out,
                                 struct upernet_load_settings *settings, upernet_error *err)
{
    if (out == NULL)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "%s: NULL out", what);
    *out = NULL;
    if (input == NULL)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "%s: no input given", what);
    return resolve_settings(options, settings, err);
}

enum upernet_status upernet_model_from_weights(const upernet_weights *weights,
                                               const upernet_model_options *options,
                                               upernet_model **out, upernet_error *err)
{
    struct upernet_load_settings settings;
    enum upernet_status st = start("model_from_weights", weights, options, out, &settings, err);
    if (st != UPERNET_OK)
        return st;
    const char *config = options != NULL ? options->config : NULL;
    if ((st = from_weights(weights, config, &settings, out, err)) != UPERNET_OK)
        return st;
    return attach_labels(out, config, err);
}

enum upernet_status upernet_model_from_tensors(upernet_tensors *tensors,
                                               const upernet_model_options *options,
                                               upernet_model **out, upernet_error *err)
{
    struct upernet_load_settings settings;
    enum upernet_status st = start("model_from_tensors", tensors, options, out, &settings, err);
    if (st != UPERNET_OK)
        return st;
    if (options == NULL || options->config == NULL)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                            "model_from_tensors: options.config (a size or config.json) is "
                            "required");
    struct upernet_config cfg;
    if ((st = upernet_config_resolve(options->config, &cfg, err)) != UPERNET_OK)
        return st;
    if ((st = load_store(&cfg, tensors, cfg.name, &settings, out, err)) != UPERNET_OK)
        return st;
    return attach_labels(out, options->config, err);
}

static bool is_directory(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static bool names_json(const char *path)
{
    const size_t len = strlen(path);
    return len >= 5 && strcmp(path + len - 5, ".json") == 0;
}

enum upernet_status upernet_model_open(const char *source, const upernet_model_options *options,
                                       upernet_model **out, upernet_error *err)
{
    struct upernet_load_settings settings;
    enum upernet_status st = start("model_open", source, options, out, &settings, err);
    if (st != UPERNET_OK)
        return st;
    if (source[0] == '\0')
        return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                            "no model given (a size, a config.json, a weights file or a model "
                            "directory)");
    const char *config = options != NULL ? options->config : NULL;

    struct upernet_config cfg;
    if (upernet_config_builtin(source, &cfg, NULL) == UPERNET_OK || names_json(source)) {
        /* a configuration: the synthetic weights */
        if (config != NULL)
            return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                                "%s is a configuration already; options.config (%s) applies to "
                                "weights files",
                                source, config);
        const enum upernet_synthetic_recipe recipe =
            options != NULL ? options->synthetic : UPERNET_SYNTHETIC_DEFAULT;
        if (recipe != UPERNET_SYNTHETIC_DEFAULT && recipe != UPERNET_SYNTHETIC_TRAINED)
            return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                                "options.synthetic = %d is not a synthetic recipe", (int) recipe);
        if ((st = upernet_config_resolve(source, &cfg, err)) != UPERNET_OK)
            return st;
        struct upernet_param_source src = upernet_param_source_synthetic(recipe);
        if ((st = upernet_model_load(&cfg, &src, &settings, out, err)) != UPERNET_OK)
            return st;
        return attach_labels(out, source, err);
    }

    char dir_config[4096];
    if (config == NULL && is_directory(source) &&
        (size_t) snprintf(dir_config, sizeof dir_config, "%s/config.json", source) <
            sizeof dir_config) {
        struct stat sb;
        if (stat(dir_config, &sb) == 0 && S_ISREG(sb.st_mode))
            config = dir_config;
    }
    upernet_weights *w = NULL;
    if ((st = upernet_weights_open(source, &w, err)) != UPERNET_OK)
        return st;
    st = from_weights(w, config, &settings, out, err);
    upernet_weights_free(w);
    if (st != UPERNET_OK)
        return st;
    return attach_labels(out, config, err);
}

enum upernet_status upernet_weights_synthetic(const char *config, upernet_weights **out,
                                              upernet_error *err)
{
    if (out == NULL)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "weights_synthetic: NULL out");
    *out = NULL;
    struct upernet_config cfg;
    struct upernet_param_table table;
    enum upernet_status st = upernet_config_resolve(config, &cfg, err);
    if (st != UPERNET_OK || (st = upernet_param_table_build(&cfg, &table, err)) != UPERNET_OK)
        return st;
    upernet_weights *w = NULL;
    float *values = NULL;
    st = upernet_weights_create(&w, err);
    for (size_t i = 0; st == UPERNET_OK && i < table.count; i++) {
        const struct upernet_param_spec *p = &table.params[i];
        int64_t shape[UPERNET_PARAM_MAX_DIMS];
        for (size_t d = 0; d < p->ndim; d++)
            shape[d] = (int64_t) p->shape[d];
        if (p->is_counter) { /* BatchNorm's num_batches_tracked, as torch saves it */
            const int64_t zero = 0;
            st = upernet_weights_add_i64(w, p->name, (int) p->ndim, shape, &zero, err);
            continue;
        }
        const size_t n = upernet_param_numel(p);
        float *grown = upernet_realloc(values, (n ? n : 1) * sizeof *values);
        if (grown == NULL) {
            st = upernet_fail(err, UPERNET_ERR_NOMEM, "out of memory making %s", p->name);
            break;
        }
        values = grown;
        upernet_synthetic_fill(p->name, p->shape, p->ndim, values);
        st = upernet_weights_add_f32(w, p->name, (int) p->ndim, shape, values, err);
    }
    free(values);
    upernet_param_table_free(&table);
    if (st != UPERNET_OK) {
        upernet_weights_free(w);
        return st;
    }
    *out = w;
    return UPERNET_OK;
}
