/* The tensor store (public upernet_tensors): float32 tensors by HF name in
 * an open-addressing hash table (FNV-1a, linear probing) that also keeps
 * insertion order for listing. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "model/weights.h"

struct upernet_tensors {
    struct upernet_tensor_entry *entries; /* insertion order */
    size_t count, capacity;
    size_t *slots; /* hash slots: index + 1 into entries, 0 = empty */
    size_t n_slots; /* power of two */
};

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char) *s;
        h *= 1099511628211ull;
    }
    return h;
}

enum upernet_status upernet_tensors_create(upernet_tensors **out, upernet_error *err)
{
    if (out == NULL)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "tensors_create: NULL out");
    *out = upernet_calloc(1, sizeof(upernet_tensors));
    if (*out == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "out of memory creating a tensor store");
    upernet_error_clear(err);
    return UPERNET_OK;
}

size_t upernet_tensors_count(const upernet_tensors *t)
{
    return t != NULL ? t->count : 0;
}

void upernet_tensors_free(upernet_tensors *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->count; i++) {
        if (t->entries[i].owned)
            free(t->entries[i].data);
        free(t->entries[i].name);
    }
    free(t->entries);
    free(t->slots);
    free(t);
}

static size_t *find_slot(const upernet_tensors *t, const char *name)
{
    if (t->n_slots == 0)
        return NULL;
    size_t mask = t->n_slots - 1;
    for (size_t i = (size_t) hash_name(name) & mask;; i = (i + 1) & mask) {
        size_t *slot = &t->slots[i];
        if (*slot == 0 || strcmp(t->entries[*slot - 1].name, name) == 0)
            return slot;
    }
}

struct upernet_tensor_entry *upernet_tensors_find(const upernet_tensors *t, const char *name)
{
    size_t *slot = t != NULL ? find_slot(t, name) : NULL;
    return slot != NULL && *slot != 0 ? &t->entries[*slot - 1] : NULL;
}

const struct upernet_tensor_entry *upernet_tensors_at(const upernet_tensors *t, size_t index)
{
    return index < t->count ? &t->entries[index] : NULL;
}

/* Keeps the load factor under 1/2. */
static int grow_slots(upernet_tensors *t)
{
    size_t n = t->n_slots ? t->n_slots * 2 : 64;
    size_t *slots = upernet_calloc(n, sizeof *slots);
    if (slots == NULL)
        return -1;
    free(t->slots);
    t->slots = slots;
    t->n_slots = n;
    for (size_t e = 0; e < t->count; e++)
        *find_slot(t, t->entries[e].name) = e + 1;
    return 0;
}

enum upernet_status upernet_tensors_add(upernet_tensors *t, const char *name,
                                        const int64_t *shape, size_t ndim, float *data,
                                        enum upernet_tensor_ownership ownership,
                                        upernet_error *err)
{
    enum upernet_status st = UPERNET_OK;
    float *stored = NULL;
    if (t == NULL || name == NULL || (ndim > 0 && shape == NULL)) {
        st = upernet_fail(err, UPERNET_ERR_ARGUMENT, "tensors_add: NULL argument");
        goto fail;
    }
    if (ndim > UPERNET_PARAM_MAX_DIMS) {
        st = upernet_fail(err, UPERNET_ERR_UNSUPPORTED, "tensor %s: %zu dimensions (at most %d)",
                          name, ndim, UPERNET_PARAM_MAX_DIMS);
        goto fail;
    }
    size_t numel = 1;
    for (size_t d = 0; d < ndim; d++) {
        if (shape[d] < 0 || (shape[d] > 0 && numel > (SIZE_MAX / 8) / (size_t) shape[d])) {
            st = upernet_fail(err, UPERNET_ERR_ARGUMENT, "tensor %s: invalid dimension %lld",
                              name, (long long) shape[d]);
            goto fail;
        }
        numel *= (size_t) shape[d];
    }
    if (numel > 0 && data == NULL) {
        st = upernet_fail(err, UPERNET_ERR_ARGUMENT, "tensor %s: no data", name);
        goto fail;
    }
    if (upernet_tensors_find(t, name) != NULL) {
        st = upernet_fail(err, UPERNET_ERR_ARGUMENT, "tensor %s: added twice", name);
        goto fail;
    }
    if (2 * (t->count + 1) > t->n_slots && grow_slots(t) != 0)
        goto nomem;
    if (t->count == t->capacity) {
        size_t cap = t->capacity ? 2 * t->capacity : 64;
        struct upernet_tensor_entry *e = upernet_realloc(t->entries, cap * sizeof *e);
        if (e == NULL)
            goto nomem;
        t->entries = e;
        t->capacity = cap;
    }
    stored = data;
    if (ownership == UPERNET_TENSOR_COPY) {
        stored = upernet_malloc((numel ? numel : 1) * sizeof(float));
        if (stored == NULL)
            goto nomem;
        if (numel)
            memcpy(stored, data, numel * sizeof(float));
    }
    char *name_copy = upernet_strdup(name);
    if (name_copy == NULL)
        goto nomem;
    struct upernet_tensor_entry *e = &t->entries[t->count];
    memset(e, 0, sizeof *e);
    e->name = name_copy;
    e->ndim = ndim;
    for (size_t d = 0; d < ndim; d++)
        e->shape[d] = (size_t) shape[d];
    e->data = stored;
    e->owned = ownership != UPERNET_TENSOR_BORROW;
    t->count++;
    *find_slot(t, name) = t->count;
    upernet_error_clear(err);
    return UPERNET_OK;

nomem:
    st = upernet_fail(err, UPERNET_ERR_NOMEM, "tensor %s: out of memory", name);
fail:
    if (stored != NULL && stored != data)
        free(stored);
    if (ownership == UPERNET_TENSOR_TAKE)
        free(data);
    return st;
}

void upernet_tensors_drop_data(upernet_tensors *t, const char *name)
{
    struct upernet_tensor_entry *e = upernet_tensors_find(t, name);
    if (e == NULL)
        return;
    if (e->owned)
        free(e->data);
    e->data = NULL;
    e->owned = false;
}
