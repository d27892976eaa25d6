/* The weight table of a configuration (every HF state-dict key with its
 * shape), the tensor store that feeds a model (tensors by HF name), its
 * validation against the table, and the sources the loader reads from
 * (a tensor store, or the synthetic weights). */
#ifndef UPERNET_MODEL_WEIGHTS_H
#define UPERNET_MODEL_WEIGHTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model_config.h"
#include "model/synthetic.h"
#include "upernet.h"

#define UPERNET_PARAM_NAME_MAX 96
#define UPERNET_PARAM_MAX_DIMS 4

/* One expected state-dict entry. */
struct upernet_param_spec {
    char name[UPERNET_PARAM_NAME_MAX];
    size_t ndim;                          /* 0 for a scalar */
    size_t shape[UPERNET_PARAM_MAX_DIMS];
    bool is_counter; /* int64 BatchNorm num_batches_tracked: unused, optional */
};

struct upernet_param_table {
    struct upernet_param_spec *params;
    size_t count;
};

/* Every key of the HF state dict for cfg, in the order of
 * data/state_dict_keys.tsv (the auxiliary head only when
 * cfg->use_auxiliary_head). */
enum upernet_status upernet_param_table_build(const struct upernet_config *cfg,
                                              struct upernet_param_table *table,
                                              upernet_error *err);
void upernet_param_table_free(struct upernet_param_table *table);

/* The spec named `name`, or NULL. */
const struct upernet_param_spec *upernet_param_table_find(const struct upernet_param_table *table,
                                                          const char *name);

size_t upernet_param_numel(const struct upernet_param_spec *spec);

/* "96x3x4x4", "scalar" (the TSV spelling). */
void upernet_format_shape(size_t ndim, const size_t *shape, char *buf, size_t size);

/* ------------------------------------------------------------ tensor store */

/* The public upernet_tensors (include/upernet.h) is this store: tensors by
 * HF name, float32, with their PyTorch shape. Lookups are by hash. */
struct upernet_tensor_entry {
    char *name;
    size_t ndim;
    size_t shape[UPERNET_PARAM_MAX_DIMS];
    float *data;
    bool owned; /* free(data) when dropped */
};

/* Entry `index` in insertion order (NULL past the end). */
const struct upernet_tensor_entry *upernet_tensors_at(const upernet_tensors *t, size_t index);

/* Finds an entry, or NULL. */
struct upernet_tensor_entry *upernet_tensors_find(const upernet_tensors *t, const char *name);

/* Frees an entry's data (if owned) and marks it consumed; used by the
 * loader to drop each original tensor as soon as it is packed. */
void upernet_tensors_drop_data(upernet_tensors *t, const char *name);

/* Checks the store against the table: every expected key present (the
 * counters may be absent), every shape right and, when strict, nothing
 * unexpected (otherwise unexpected keys are left to
 * upernet_params_unexpected: transformers loads such a checkpoint and
 * warns). Fails with UPERNET_ERR_MISMATCH and a message listing the first
 * problems of each kind and their counts. */
enum upernet_status upernet_params_validate(const struct upernet_param_table *table,
                                             const upernet_tensors *t, const char *origin,
                                             bool strict, upernet_error *err);

/* How many entries of the store the table does not expect; their names,
 * comma-separated, go to names[0..size) (cut with ", ..." when too long). */
size_t upernet_params_unexpected(const struct upernet_param_table *table,
                                 const upernet_tensors *t, char *names, size_t size);

/* -------------------------------------------------------- weight sources */

/* What the loader reads parameters from, one tensor at a time, so that at
 * most one unpacked tensor is alive at once when the source can make it so.
 * get returns the tensor's floats in PyTorch layout (shape as in spec; NULL
 * with *err set on failure); release says the loader is done with it. */
struct upernet_param_source {
    const float *(*get)(void *ctx, const struct upernet_param_spec *spec, upernet_error *err);
    void (*release)(void *ctx, const struct upernet_param_spec *spec, const float *data);
    void *ctx;
};

/* A source over a validated store; release drops the tensor's data. */
struct upernet_param_source upernet_param_source_tensors(upernet_tensors *t);

/* The synthetic weights of a recipe (model/synthetic.h), generated on demand. */
struct upernet_param_source upernet_param_source_synthetic(enum upernet_synthetic_recipe recipe);

#endif
