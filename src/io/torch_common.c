#include "config.h"

#include "io/torch_common.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "io/dtype.h"

static uint64_t key_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char) *s;
        h *= 1099511628211ull;
    }
    return h;
}

struct torch_record *torch_records_find(const struct torch_records *r, const char *key)
{
    if (r->n_slots == 0)
        return NULL;
    for (size_t i = (size_t) key_hash(key) & (r->n_slots - 1);; i = (i + 1) & (r->n_slots - 1)) {
        if (r->slots[i].key == NULL)
            return NULL;
        if (strcmp(r->slots[i].key, key) == 0)
            return &r->slots[i];
    }
}

enum upernet_status torch_records_add(struct torch_records *r, const char *key, const uint8_t *bytes,
                                      size_t size, int dtype, upernet_error *err)
{
    if (2 * (r->count + 1) > r->n_slots) {
        const size_t n = r->n_slots ? 2 * r->n_slots : 64;
        struct torch_record *slots = upernet_calloc(n, sizeof *slots);
        if (slots == NULL)
            return upernet_fail(err, UPERNET_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < r->n_slots; i++) {
            if (r->slots[i].key == NULL)
                continue;
            size_t j = (size_t) key_hash(r->slots[i].key) & (n - 1);
            while (slots[j].key != NULL)
                j = (j + 1) & (n - 1);
            slots[j] = r->slots[i];
        }
        free(r->slots);
        r->slots = slots;
        r->n_slots = n;
    }
    char *copy = upernet_strdup(key);
    if (copy == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "out of memory");
    size_t j = (size_t) key_hash(key) & (r->n_slots - 1);
    while (r->slots[j].key != NULL)
        j = (j + 1) & (r->n_slots - 1);
    r->slots[j] = (struct torch_record){copy, bytes, size, dtype};
    r->count++;
    return UPERNET_OK;
}

void torch_records_free(struct torch_records *r)
{
    for (size_t i = 0; i < r->n_slots; i++)
        free(r->slots[i].key);
    free(r->slots);
    memset(r, 0, sizeof *r);
}

/* Adds one tensor view to the map, bounds-checked against its storage. */
static enum upernet_status add_tensor(upernet_weights *map, const char *name, const struct pickle_object *t,
                                      const uint8_t *record, size_t record_size, int big_endian,
                                      upernet_error *err)
{
    const struct pickle_object *s = t->u.tensor.storage;
    const enum upernet_dtype dtype = s->u.storage.dtype;
    const size_t item = upernet_dtype_size(dtype);
    const char *src = map->source;
    /* the storage must fit in its record, the view in the storage */
    if (s->u.storage.numel > record_size / item)
        return upernet_fail(err, UPERNET_ERR_FORMAT,
                            "%s: tensor '%s': storage '%s' declares %llu elements of %zu bytes but holds %zu bytes",
                            src, name, s->u.storage.key, (unsigned long long) s->u.storage.numel, item, record_size);
    const uint8_t *base = record + s->u.storage.view_offset * item;
    const uint64_t avail = s->u.storage.view_numel;
    const int ndim = t->u.tensor.ndim;
    const size_t numel = tensor_shape_numel(ndim, t->u.tensor.shape);
    if (numel == SIZE_MAX)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: tensor '%s': shape overflows", src, name);
    uint64_t last = (uint64_t) t->u.tensor.offset;
    int contiguous = 1;
    uint64_t expect = 1;
    for (int d = ndim - 1; d >= 0; d--) {
        const uint64_t n = (uint64_t) t->u.tensor.shape[d], stride = (uint64_t) t->u.tensor.stride[d];
        if (n > 1 && stride != expect)
            contiguous = 0;
        expect *= n ? n : 1;
        uint64_t reach;
        if (n > 0 && (__builtin_mul_overflow(n - 1, stride, &reach) || __builtin_add_overflow(last, reach, &last)))
            return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: tensor '%s': strides overflow", src, name);
    }
    if (numel > 0 && last >= avail)
        return upernet_fail(err, UPERNET_ERR_FORMAT,
                            "%s: tensor '%s': view (offset %lld) reaches element %llu of a storage of %llu",
                            src, name, (long long) t->u.tensor.offset, (unsigned long long) last,
                            (unsigned long long) avail);
    const uint8_t *first = base + (size_t) t->u.tensor.offset * item;
    if (numel == 0)
        return tensor_map_add(map, name, dtype, ndim, t->u.tensor.shape, NULL, NULL, err);

    const int is_float = upernet_dtype_is_float(dtype);
    if (is_float && dtype == UPERNET_DTYPE_F32 && contiguous && !big_endian && ((uintptr_t) first % 4) == 0)
        return tensor_map_add(map, name, dtype, ndim, t->u.tensor.shape, (const float *) (const void *) first, NULL,
                              err); /* in place: no copy */

    void *out;
    enum upernet_status st = tensor_map_alloc(map, numel * (is_float ? sizeof(float) : sizeof(int64_t)), &out, err);
    if (st != UPERNET_OK)
        return st;
    /* walk the view in C order, by strides */
    int64_t idx[UPERNET_MAX_DIMS] = {0};
    size_t pos = (size_t) t->u.tensor.offset;
    for (size_t k = 0; k < numel; k++) {
        if (is_float)
            ((float *) out)[k] = upernet_dtype_load_f32(base, dtype, pos, big_endian);
        else
            ((int64_t *) out)[k] = upernet_dtype_load_i64(base, dtype, pos, big_endian);
        for (int d = ndim - 1; d >= 0; d--) {
            pos += (size_t) t->u.tensor.stride[d];
            if (++idx[d] < t->u.tensor.shape[d])
                break;
            pos -= (size_t) t->u.tensor.stride[d] * (size_t) t->u.tensor.shape[d];
            idx[d] = 0;
        }
    }
    return tensor_map_add(map, name, dtype, ndim, t->u.tensor.shape, is_float ? out : NULL,
                          is_float ? NULL : out, err);
}

enum upernet_status torch_collect_tensors(const struct pickle_object *root, upernet_weights *map,
                                          struct torch_records *records, torch_record_loader load, void *ctx,
                                          int big_endian, upernet_error *err)
{
    if (root->kind != PICKLE_DICT)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: the saved object is not a dict (a state dict was expected)",
                            map->source);
    /* mmseg: {'meta': ..., 'state_dict': ..., 'optimizer': ...}; some trainers: {'model': ...} */
    const struct pickle_object *sd = pickle_dict_get(root, "state_dict");
    if (sd == NULL || sd->kind != PICKLE_DICT)
        sd = pickle_dict_get(root, "model");
    if (sd == NULL || sd->kind != PICKLE_DICT)
        sd = root;
    size_t n_tensors = 0;
    for (size_t i = 0; i + 1 < sd->u.seq.len; i += 2) {
        const struct pickle_object *k = sd->u.seq.items[i], *v = sd->u.seq.items[i + 1];
        if (v->kind != PICKLE_TENSOR)
            continue; /* not a parameter (e.g. metadata) */
        if (k->kind != PICKLE_STRING || strlen(k->u.str.data) != k->u.str.len || k->u.str.len == 0)
            return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: a tensor whose key is not a non-empty string",
                                map->source);
        const char *key = v->u.tensor.storage->u.storage.key;
        struct torch_record *rec = torch_records_find(records, key);
        enum upernet_status st;
        if (rec == NULL) {
            const uint8_t *bytes;
            size_t size;
            if (load == NULL)
                return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: tensor '%s': storage '%s' is not in the file",
                                    map->source, k->u.str.data, key);
            if ((st = load(ctx, key, &bytes, &size, err)) != UPERNET_OK)
                return st;
            if ((st = torch_records_add(records, key, bytes, size, -1, err)) != UPERNET_OK)
                return st;
            rec = torch_records_find(records, key);
        }
        if ((st = add_tensor(map, k->u.str.data, v, rec->bytes, rec->size, big_endian, err)) != UPERNET_OK)
            return st;
        n_tensors++;
    }
    if (n_tensors == 0)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: no tensors found (not a state dict)", map->source);
    return UPERNET_OK;
}
