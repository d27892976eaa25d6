#include "config.h"

#include "cli/cli_weights.h"
#include "cli/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "model/model_config.h"
#include "model/weights.h"

static const char *const builtin_names[] = {"tiny", "small", "base", "large", "xlarge"};

enum upernet_status cli_weights_resolve(const char *path, char *out, size_t size, upernet_error *err)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        static const char *const names[] = {"model.safetensors", "pytorch_model.bin"};
        for (size_t i = 0; i < 2; i++) {
            snprintf(out, size, "%s/%s", path, names[i]);
            if (stat(out, &sb) == 0 && S_ISREG(sb.st_mode))
                return UPERNET_OK;
        }
        return upernet_fail(err, UPERNET_ERR_IO, "%s: directory holds neither model.safetensors nor pytorch_model.bin",
                            path);
    }
    if ((size_t) snprintf(out, size, "%s", path) >= size)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "%s: path too long", path);
    return UPERNET_OK;
}

int cli_weights_dir_config(const char *path, char *out, size_t size)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return 0;
    if ((size_t) snprintf(out, size, "%s/config.json", path) >= size)
        return 0;
    return stat(out, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Does every expected (non-counter) tensor of `cfg` exist with its shape,
 * and nothing else? (tiny's keys are a subset of small's: both matter) */
static int matches(const upernet_weights *w, const struct upernet_config *cfg)
{
    struct upernet_param_table table;
    upernet_error err;
    if (upernet_param_table_build(cfg, &table, &err) != UPERNET_OK)
        return 0;
    int ok = 1;
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

const char *cli_weights_detect_size(const upernet_weights *w)
{
    for (size_t i = 0; i < sizeof builtin_names / sizeof *builtin_names; i++) {
        struct upernet_config cfg;
        upernet_error err;
        if (upernet_config_builtin(builtin_names[i], &cfg, &err) == UPERNET_OK && matches(w, &cfg))
            return builtin_names[i];
    }
    return NULL;
}

/* The tensors as the model's store: float tensors borrowed from the weights
 * (which must outlive the model's creation), integer ones (BatchNorm
 * counters) copied as floats so validation sees every key. */
static enum upernet_status to_store(const upernet_weights *w, upernet_tensors **out, upernet_error *err)
{
    upernet_tensors *t = upernet_tensors_create();
    if (t == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < upernet_weights_count(w); i++) {
        const struct upernet_tensor *x = upernet_weights_at(w, i);
        enum upernet_status st;
        if (x->data != NULL || x->ints == NULL) {
            static float none;
            st = upernet_tensors_add(t, x->name, x->shape, (size_t) x->ndim,
                                     x->data != NULL ? (float *) x->data : &none, UPERNET_TENSOR_BORROW, err);
        } else {
            float *copy = malloc((x->numel ? x->numel : 1) * sizeof *copy);
            if (copy == NULL) {
                upernet_tensors_free(t);
                return upernet_fail(err, UPERNET_ERR_NOMEM, "out of memory");
            }
            for (size_t k = 0; k < x->numel; k++)
                copy[k] = (float) x->ints[k];
            st = upernet_tensors_add(t, x->name, x->shape, (size_t) x->ndim, copy, UPERNET_TENSOR_TAKE, err);
        }
        if (st != UPERNET_OK) {
            char msg[UPERNET_ERROR_MESSAGE_MAX];
            snprintf(msg, sizeof msg, "%s", err != NULL ? err->message : "");
            upernet_tensors_free(t);
            return upernet_fail(err, st, "%s: %s", upernet_weights_source(w), msg);
        }
    }
    *out = t;
    return UPERNET_OK;
}

upernet_model *cli_model_from_weights(const char *model_spec, const char *path, upernet_error *err)
{
    char file[4096];
    if (cli_weights_resolve(path, file, sizeof file, err) != UPERNET_OK)
        return NULL;
    upernet_weights *w = NULL;
    if (upernet_weights_open(file, &w, err) != UPERNET_OK)
        return NULL;
    upernet_tensors *store = NULL;
    upernet_model *model = NULL;
    if (to_store(w, &store, err) == UPERNET_OK) {
        model = upernet_model_create_from_tensors(model_spec, store, err);
        if (model == NULL && err != NULL && err->status == UPERNET_ERR_MISMATCH) {
            struct upernet_config cfg;
            upernet_error ignored;
            const char *size = cli_weights_detect_size(w);
            const int same = size != NULL && upernet_config_resolve(model_spec, &cfg, &ignored) == UPERNET_OK &&
                             strcmp(cfg.name, size) == 0;
            char msg[UPERNET_ERROR_MESSAGE_MAX];
            snprintf(msg, sizeof msg, "%s", err->message);
            if (size != NULL && !same)
                upernet_fail(err, UPERNET_ERR_MISMATCH, "%s: a checkpoint of size '%s', not '%s' (%.300s)", file,
                             size, model_spec, msg);
        }
        upernet_tensors_free(store);
    }
    upernet_weights_free(w);
    return model;
}

upernet_model *cli_load_model(const char *verb, const char *spec, const char *weights_path)
{
    upernet_error err;
    upernet_model *model = weights_path != NULL ? cli_model_from_weights(spec, weights_path, &err)
                                                : upernet_model_create(spec, &err);
    if (model == NULL)
        fprintf(stderr, "upernet %s: %s\n", verb, err.message);
    return model;
}

enum upernet_status cli_weights_validate(const upernet_weights *w, const struct upernet_config *cfg,
                                         upernet_error *err)
{
    struct upernet_param_table table;
    enum upernet_status st = upernet_param_table_build(cfg, &table, err);
    if (st != UPERNET_OK)
        return st;
    upernet_tensors *store = NULL;
    if ((st = to_store(w, &store, err)) == UPERNET_OK)
        st = upernet_params_validate(&table, store, upernet_weights_source(w), err);
    upernet_tensors_free(store);
    upernet_param_table_free(&table);
    return st;
}

int cli_info_weights(const char *path)
{
    char file[4096];
    upernet_error err;
    upernet_weights *w = NULL;
    if (cli_weights_resolve(path, file, sizeof file, &err) != UPERNET_OK ||
        upernet_weights_open(file, &w, &err) != UPERNET_OK) {
        fprintf(stderr, "upernet info: %s\n", err.message);
        return 1;
    }
    size_t float_params = 0, int_params = 0;
    size_t per_dtype[UPERNET_DTYPE_BOOL + 1] = {0};
    for (size_t i = 0; i < upernet_weights_count(w); i++) {
        const struct upernet_tensor *t = upernet_weights_at(w, i);
        if (t->ints != NULL)
            int_params += t->numel;
        else
            float_params += t->numel;
        if ((int) t->stored_dtype >= 0 && t->stored_dtype <= UPERNET_DTYPE_BOOL)
            per_dtype[t->stored_dtype]++;
    }
    const char *size = cli_weights_detect_size(w);
    printf("file:        %s\n", file);
    printf("format:      %s\n", upernet_weights_format_name(upernet_weights_format(w)));
    printf("naming:      %s%s\n", upernet_key_naming_name(upernet_weights_naming(w)),
           upernet_weights_naming(w) == UPERNET_NAMING_MMSEG ? " (renamed to hf on load)" : "");
    printf("size:        %s\n", size != NULL ? size : "none of the built-in sizes");
    printf("tensors:     %zu\n", upernet_weights_count(w));
    printf("parameters:  %zu floating, %zu integer\n", float_params, int_params);
    printf("dtypes:     ");
    for (int d = 0; d <= UPERNET_DTYPE_BOOL; d++)
        if (per_dtype[d])
            printf(" %s x%zu", upernet_dtype_name((enum upernet_dtype) d), per_dtype[d]);
    printf("\n");
    upernet_weights_free(w);
    return 0;
}
