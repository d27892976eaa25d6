/* The public model handle: creation from a configuration (synthetic
 * weights or a tensor store), queries and release. */
#include "config.h"

#include <stdlib.h>

#include "core/error.h"
#include "model/model.h"

upernet_model *upernet_model_create(const char *model, upernet_error *err)
{
    struct upernet_config cfg;
    if (upernet_config_resolve(model, &cfg, err) != UPERNET_OK)
        return NULL;
    struct upernet_param_source src = upernet_param_source_synthetic();
    upernet_model *m = NULL;
    upernet_model_load(&cfg, &src, &m, err);
    return m;
}

upernet_model *upernet_model_create_from_tensors(const char *model, upernet_tensors *tensors,
                                                 upernet_error *err)
{
    if (tensors == NULL) {
        upernet_fail(err, UPERNET_ERR_ARGUMENT, "create_from_tensors: no tensors");
        return NULL;
    }
    struct upernet_config cfg;
    if (upernet_config_resolve(model, &cfg, err) != UPERNET_OK)
        return NULL;
    struct upernet_param_table table;
    if (upernet_param_table_build(&cfg, &table, err) != UPERNET_OK)
        return NULL;
    enum upernet_status st = upernet_params_validate(&table, tensors, cfg.name, err);
    upernet_param_table_free(&table);
    if (st != UPERNET_OK)
        return NULL;
    struct upernet_param_source src = upernet_param_source_tensors(tensors);
    upernet_model *m = NULL;
    upernet_model_load(&cfg, &src, &m, err);
    return m;
}

enum upernet_status upernet_model_plan(upernet_model *m, size_t height, size_t width,
                                       upernet_error *err)
{
    if (m == NULL)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "plan: NULL model");
    if (m->plan.arena != NULL && m->plan.height == height && m->plan.width == width) {
        upernet_error_clear(err);
        return UPERNET_OK;
    }
    return upernet_plan_build(m, height, width, err);
}

int upernet_model_num_labels(const upernet_model *m)
{
    return m->cfg.num_labels;
}

size_t upernet_model_arena_bytes(const upernet_model *m)
{
    return m->plan.arena != NULL ? m->plan.arena_bytes : 0;
}

size_t upernet_model_weight_bytes(const upernet_model *m)
{
    return m->weight_bytes;
}

enum upernet_isa upernet_model_isa(const upernet_model *m)
{
    return m->isa;
}

void upernet_model_set_tap(upernet_model *m, upernet_tap_fn fn, void *ctx)
{
    m->tap = fn;
    m->tap_ctx = ctx;
}

void upernet_model_set_step_observer(upernet_model *m, upernet_step_fn fn, void *ctx,
                                     size_t threads)
{
    m->step_observer = fn;
    m->step_ctx = ctx;
    m->step_threads = threads;
}

void upernet_model_free(upernet_model *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n_allocations; i++)
        free(m->allocations[i]);
    free(m->allocations);
    for (int s = 0; s < UPERNET_STAGES; s++)
        free(m->stages[s].blocks);
    upernet_plan_free(&m->plan);
    free(m);
}
