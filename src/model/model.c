/* The model handle's queries and release, and the workspace (the per-forward
 * state: the activation arena of one input size). Loading is in load.c;
 * where the configuration and weights come from is the API layer's business
 * (src/api/model_open.c). */
#include "config.h"

#include <stdlib.h>

#include "core/alloc.h"
#include "core/error.h"
#include "model/model.h"

#ifdef _OPENMP
#include <omp.h>
#endif

int upernet_threads_enter(int threads)
{
#ifdef _OPENMP
    const int previous = omp_get_max_threads();
    if (threads > 0)
        omp_set_num_threads(threads);
    return previous;
#else
    (void) threads;
    return 1;
#endif
}

void upernet_threads_restore(int threads, int previous)
{
#ifdef _OPENMP
    if (threads > 0)
        omp_set_num_threads(previous);
#else
    (void) threads;
    (void) previous;
#endif
}

int upernet_model_num_labels(const upernet_model *m)
{
    return m->cfg.num_labels;
}

size_t upernet_model_unused_keys(const upernet_model *m, const char **names)
{
    if (names != NULL)
        *names = m->unused_key_names;
    return m->unused_keys;
}

size_t upernet_model_weight_bytes(const upernet_model *m)
{
    return m->weight_bytes;
}

enum upernet_isa upernet_model_isa(const upernet_model *m)
{
    return m->isa;
}

enum upernet_conv3x3 upernet_model_conv3x3(const upernet_model *m)
{
    return m->winograd ? UPERNET_CONV3X3_WINOGRAD : UPERNET_CONV3X3_DIRECT;
}

const char *upernet_conv3x3_name(enum upernet_conv3x3 algorithm)
{
    switch (algorithm) {
    case UPERNET_CONV3X3_WINOGRAD: return "winograd";
    case UPERNET_CONV3X3_DIRECT: return "direct";
    }
    return "unknown";
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
    upernet_labels_free(&m->labels);
    free(m);
}

const upernet_labels *upernet_model_labels(const upernet_model *m)
{
    return &m->labels;
}

enum upernet_status upernet_workspace_create(const upernet_model *m, upernet_workspace **out,
                                             upernet_error *err)
{
    if (out == NULL)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "workspace_create: NULL out");
    *out = NULL;
    if (m == NULL)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "workspace_create: NULL model");
    upernet_workspace *ws = upernet_calloc(1, sizeof *ws);
    if (ws == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "out of memory creating a workspace");
    ws->model = m;
    *out = ws;
    upernet_error_clear(err);
    return UPERNET_OK;
}

enum upernet_status upernet_workspace_plan(upernet_workspace *ws, size_t height, size_t width,
                                           upernet_error *err)
{
    if (ws == NULL)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "plan: NULL workspace");
    if (ws->plan.arena != NULL && ws->plan.height == height && ws->plan.width == width) {
        upernet_error_clear(err);
        return UPERNET_OK;
    }
    return upernet_plan_build(ws, height, width, err);
}

size_t upernet_workspace_bytes(const upernet_workspace *ws)
{
    return ws != NULL && ws->plan.arena != NULL ? ws->plan.arena_bytes : 0;
}

void upernet_workspace_set_tap(upernet_workspace *ws, upernet_tap_fn fn, void *ctx)
{
    ws->tap = fn;
    ws->tap_ctx = ctx;
}

void upernet_workspace_set_step_observer(upernet_workspace *ws, upernet_step_fn fn, void *ctx,
                                         size_t threads)
{
    ws->step_observer = fn;
    ws->step_ctx = ctx;
    ws->step_threads = threads;
}

void upernet_workspace_free(upernet_workspace *ws)
{
    if (ws == NULL)
        return;
    upernet_plan_free(&ws->plan);
    upernet_free(ws->scratch.base);
    free(ws);
}
