/* The expected HF state dict of a configuration (docs/SPECIFICATION.md §3, §5), its
 * validation against a tensor store, and the parameter sources. */
#include "config.h"

#include "core/alloc.h"
#include "model/weights.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "model/synthetic.h"

/* ------------------------------------------------------------ the table */

struct table_builder {
    struct upernet_param_table *table;
    size_t capacity;
    int failed;
};

static void add_param(struct table_builder *b, bool is_counter, size_t ndim, const size_t *shape,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add_param(struct table_builder *b, bool is_counter, size_t ndim, const size_t *shape,
                      const char *fmt, ...)
{
    if (b->failed)
        return;
    struct upernet_param_table *t = b->table;
    if (t->count == b->capacity) {
        size_t cap = b->capacity ? 2 * b->capacity : 512;
        struct upernet_param_spec *p = upernet_realloc(t->params, cap * sizeof *p);
        if (p == NULL) {
            b->failed = 1;
            return;
        }
        t->params = p;
        b->capacity = cap;
    }
    struct upernet_param_spec *spec = &t->params[t->count++];
    memset(spec, 0, sizeof *spec);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(spec->name, sizeof spec->name, fmt, ap);
    va_end(ap);
    spec->ndim = ndim;
    for (size_t d = 0; d < ndim; d++)
        spec->shape[d] = shape[d];
    spec->is_counter = is_counter;
}

#define SHAPE(...) ((const size_t[]){__VA_ARGS__})
#define VEC(b, n, ...) add_param(b, false, 1, SHAPE(n), __VA_ARGS__)

/* A conv weight [out, in, k, k]. */
static void conv_weight(struct table_builder *b, size_t out, size_t in, size_t k,
                        const char *prefix)
{
    add_param(b, false, 4, SHAPE(out, in, k, k), "%s.weight", prefix);
}

/* UperNetConvModule: bias-free conv + BatchNorm (+ its int64 counter). */
static void conv_module(struct table_builder *b, size_t out, size_t in, size_t k,
                        const char *prefix)
{
    add_param(b, false, 4, SHAPE(out, in, k, k), "%s.conv.weight", prefix);
    VEC(b, out, "%s.batch_norm.weight", prefix);
    VEC(b, out, "%s.batch_norm.bias", prefix);
    VEC(b, out, "%s.batch_norm.running_mean", prefix);
    VEC(b, out, "%s.batch_norm.running_var", prefix);
    add_param(b, true, 0, NULL, "%s.batch_norm.num_batches_tracked", prefix);
}

enum upernet_status upernet_param_table_build(const struct upernet_config *cfg,
                                              struct upernet_param_table *table,
                                              upernet_error *err)
{
    memset(table, 0, sizeof *table);
    struct table_builder b = {table, 0, 0};
    const size_t *C = (const size_t[]){(size_t) cfg->hidden_sizes[0], (size_t) cfg->hidden_sizes[1],
                                       (size_t) cfg->hidden_sizes[2], (size_t) cfg->hidden_sizes[3]};
    const size_t K = (size_t) cfg->hidden_size, labels = (size_t) cfg->num_labels;
    const size_t p = (size_t) cfg->patch_size;
    char prefix[UPERNET_PARAM_NAME_MAX];

    /* backbone */
    add_param(&b, false, 4, SHAPE(C[0], (size_t) cfg->num_channels, p, p),
              "backbone.embeddings.patch_embeddings.weight");
    VEC(&b, C[0], "backbone.embeddings.patch_embeddings.bias");
    VEC(&b, C[0], "backbone.embeddings.layernorm.weight");
    VEC(&b, C[0], "backbone.embeddings.layernorm.bias");
    for (int s = 0; s < UPERNET_STAGES; s++) {
        if (s > 0) {
            VEC(&b, C[s - 1], "backbone.encoder.stages.%d.downsampling_layer.0.weight", s);
            VEC(&b, C[s - 1], "backbone.encoder.stages.%d.downsampling_layer.0.bias", s);
            add_param(&b, false, 4, SHAPE(C[s], C[s - 1], 2, 2),
                      "backbone.encoder.stages.%d.downsampling_layer.1.weight", s);
            VEC(&b, C[s], "backbone.encoder.stages.%d.downsampling_layer.1.bias", s);
        }
        for (int j = 0; j < cfg->depths[s]; j++) {
            snprintf(prefix, sizeof prefix, "backbone.encoder.stages.%d.layers.%d", s, j);
            if (cfg->layer_scale)
                VEC(&b, C[s], "%s.layer_scale_parameter", prefix);
            add_param(&b, false, 4, SHAPE(C[s], 1, 7, 7), "%s.dwconv.weight", prefix);
            VEC(&b, C[s], "%s.dwconv.bias", prefix);
            VEC(&b, C[s], "%s.layernorm.weight", prefix);
            VEC(&b, C[s], "%s.layernorm.bias", prefix);
            add_param(&b, false, 2, SHAPE(4 * C[s], C[s]), "%s.pwconv1.weight", prefix);
            VEC(&b, 4 * C[s], "%s.pwconv1.bias", prefix);
            add_param(&b, false, 2, SHAPE(C[s], 4 * C[s]), "%s.pwconv2.weight", prefix);
            VEC(&b, C[s], "%s.pwconv2.bias", prefix);
        }
    }
    /* one LayerNorm per out_features entry, named after it */
    size_t level_C[UPERNET_MAX_LEVELS];
    const int levels = cfg->num_levels;
    for (int i = 0; i < levels; i++) {
        const char *stage = upernet_config_stage_name(cfg->level_source[i]);
        level_C[i] = (size_t) upernet_config_level_channels(cfg, i);
        VEC(&b, level_C[i], "backbone.hidden_states_norms.%s.weight", stage);
        VEC(&b, level_C[i], "backbone.hidden_states_norms.%s.bias", stage);
    }

    /* decode head */
    conv_weight(&b, labels, K, 1, "decode_head.classifier");
    VEC(&b, labels, "decode_head.classifier.bias");
    for (int j = 0; j < cfg->num_pool_scales; j++) {
        snprintf(prefix, sizeof prefix, "decode_head.psp_modules.%d.1", j);
        conv_module(&b, K, level_C[levels - 1], 1, prefix);
    }
    conv_module(&b, K, level_C[levels - 1] + (size_t) cfg->num_pool_scales * K, 3,
                "decode_head.bottleneck");
    for (int i = 0; i < levels - 1; i++) {
        snprintf(prefix, sizeof prefix, "decode_head.lateral_convs.%d", i);
        conv_module(&b, K, level_C[i], 1, prefix);
    }
    for (int i = 0; i < levels - 1; i++) {
        snprintf(prefix, sizeof prefix, "decode_head.fpn_convs.%d", i);
        conv_module(&b, K, K, 3, prefix);
    }
    conv_module(&b, K, (size_t) levels * K, 3, "decode_head.fpn_bottleneck");

    /* auxiliary head (UperNetFCNHead on level 2) */
    if (cfg->use_auxiliary_head) {
        const size_t in = (size_t) cfg->auxiliary_in_channels, ch = (size_t) cfg->auxiliary_channels;
        for (int i = 0; i < cfg->auxiliary_num_convs; i++) {
            snprintf(prefix, sizeof prefix, "auxiliary_head.convs.%d", i);
            conv_module(&b, ch, i == 0 ? in : ch, 3, prefix);
        }
        if (cfg->auxiliary_concat_input)
            conv_module(&b, ch, in + ch, 3, "auxiliary_head.conv_cat");
        conv_weight(&b, labels, ch, 1, "auxiliary_head.classifier");
        VEC(&b, labels, "auxiliary_head.classifier.bias");
    }
    if (b.failed) {
        upernet_param_table_free(table);
        return upernet_fail(err, UPERNET_ERR_NOMEM, "out of memory building the weight table");
    }
    upernet_error_clear(err);
    return UPERNET_OK;
}

void upernet_param_table_free(struct upernet_param_table *table)
{
    free(table->params);
    table->params = NULL;
    table->count = 0;
}

const struct upernet_param_spec *upernet_param_table_find(const struct upernet_param_table *table,
                                                          const char *name)
{
    for (size_t i = 0; i < table->count; i++)
        if (strcmp(table->params[i].name, name) == 0)
            return &table->params[i];
    return NULL;
}

size_t upernet_param_numel(const struct upernet_param_spec *spec)
{
    size_t n = 1;
    for (size_t d = 0; d < spec->ndim; d++)
        n *= spec->shape[d];
    return n;
}

void upernet_format_shape(size_t ndim, const size_t *shape, char *buf, size_t size)
{
    if (ndim == 0) {
        snprintf(buf, size, "scalar");
        return;
    }
    size_t used = 0;
    buf[0] = '\0';
    for (size_t d = 0; d < ndim && used < size; d++)
        used += (size_t) snprintf(buf + used, size - used, "%s%zu", d ? "x" : "", shape[d]);
}

/* ------------------------------------------------------------ validation */

/* Appends to a fixed message buffer, keeping it terminated when full. */
struct message {
    char text[UPERNET_ERROR_MESSAGE_MAX];
    size_t used;
};

static void append(struct message *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(struct message *m, const char *fmt, ...)
{
    if (m->used + 1 >= sizeof m->text)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(m->text + m->used, sizeof m->text - m->used, fmt, ap);
    va_end(ap);
    if (n > 0)
        m->used += (size_t) n;
    if (m->used >= sizeof m->text)
        m->used = sizeof m->text - 1;
}

enum { LIST_FIRST = 3 }; /* names listed per kind of problem */

enum upernet_status upernet_params_validate(const struct upernet_param_table *table,
                                            const upernet_tensors *t, const char *origin,
                                            bool strict, upernet_error *err)
{
    struct message m = {{0}, 0};
    size_t missing = 0, wrong = 0, unexpected = 0;
    char got[64], want[64];

    for (size_t i = 0; i < table->count; i++) {
        const struct upernet_param_spec *spec = &table->params[i];
        const struct upernet_tensor_entry *e = upernet_tensors_find(t, spec->name);
        if (e == NULL) {
            if (!spec->is_counter && missing++ < LIST_FIRST)
                append(&m, " missing %s;", spec->name);
            continue;
        }
        if (spec->is_counter)
            continue; /* unused; any shape a file stores is fine */
        bool same = e->ndim == spec->ndim;
        for (size_t d = 0; same && d < spec->ndim; d++)
            same = e->shape[d] == spec->shape[d];
        if (!same) {
            if (wrong++ < LIST_FIRST) {
                upernet_format_shape(e->ndim, e->shape, got, sizeof got);
                upernet_format_shape(spec->ndim, spec->shape, want, sizeof want);
                append(&m, " %s has shape %s, expected %s;", spec->name, got, want);
            }
        } else if (e->data == NULL && upernet_param_numel(spec) > 0) {
            if (wrong++ < LIST_FIRST)
                append(&m, " %s has no data (already consumed);", spec->name);
        }
    }
    for (size_t i = 0; strict && i < upernet_tensors_count(t); i++) {
        const struct upernet_tensor_entry *e = upernet_tensors_at(t, i);
        if (upernet_param_table_find(table, e->name) == NULL && unexpected++ < LIST_FIRST)
            append(&m, " unexpected %s;", e->name);
    }
    if (missing + wrong + unexpected == 0) {
        upernet_error_clear(err);
        return UPERNET_OK;
    }
    if (m.used > 0 && m.text[m.used - 1] == ';')
        m.text[--m.used] = '\0';
    /* The counts first: the list may be cut at the message size. */
    return upernet_fail(err, UPERNET_ERR_MISMATCH,
                        "%s: weights do not match the configuration (%zu missing, %zu wrong "
                        "shape, %zu unexpected):%s",
                        origin, missing, wrong, unexpected, m.text);
}

size_t upernet_params_unexpected(const struct upernet_param_table *table,
                                 const upernet_tensors *t, char *names, size_t size)
{
    size_t count = 0, used = 0;
    bool cut = false;
    if (size > 0)
        names[0] = '\0';
    for (size_t i = 0; i < upernet_tensors_count(t); i++) {
        const char *name = upernet_tensors_at(t, i)->name;
        if (upernet_param_table_find(table, name) != NULL)
            continue;
        const char *sep = count++ ? ", " : "";
        /* keeps room for a final ", ..." */
        if (!cut && used + strlen(sep) + strlen(name) + 6 < size) {
            used += (size_t) snprintf(names + used, size - used, "%s%s", sep, name);
        } else if (!cut && used + 6 <= size) {
            used += (size_t) snprintf(names + used, size - used, ", ...");
            cut = true;
        }
    }
    return count;
}

/* --------------------------------------------------------------- sources */

static const float *tensors_get(void *ctx, const struct upernet_param_spec *spec,
                                upernet_error *err)
{
    const struct upernet_tensor_entry *e = upernet_tensors_find(ctx, spec->name);
    if (e == NULL || e->data == NULL) {
        upernet_fail(err, UPERNET_ERR_MISMATCH, "tensor %s is missing", spec->name);
        return NULL;
    }
    return e->data;
}

static void tensors_release(void *ctx, const struct upernet_param_spec *spec, const float *data)
{
    (void) data;
    upernet_tensors_drop_data(ctx, spec->name);
}

struct upernet_param_source upernet_param_source_tensors(upernet_tensors *t)
{
    return (struct upernet_param_source){tensors_get, tensors_release, t};
}

static const float *synthetic_get(void *ctx, const struct upernet_param_spec *spec,
                                  upernet_error *err)
{
    const enum upernet_synthetic_recipe *recipe = ctx;
    size_t n = upernet_param_numel(spec);
    float *data = upernet_malloc((n ? n : 1) * sizeof *data);
    if (data == NULL) {
        upernet_fail(err, UPERNET_ERR_NOMEM, "out of memory for synthetic tensor %s", spec->name);
        return NULL;
    }
    upernet_synthetic_fill_recipe(*recipe, spec->name, spec->shape, spec->ndim, data);
    return data;
}

static void synthetic_release(void *ctx, const struct upernet_param_spec *spec, const float *data)
{
    (void) ctx;
    (void) spec;
    free((void *) data);
}

struct upernet_param_source upernet_param_source_synthetic(enum upernet_synthetic_recipe recipe)
{
    static const enum upernet_synthetic_recipe recipes[] = {UPERNET_SYNTHETIC_DEFAULT,
                                                            UPERNET_SYNTHETIC_TRAINED};
    return (struct upernet_param_source){synthetic_get, synthetic_release,
                                         (void *) &recipes[recipe]};
}
