#include "config.h"

#include "io/safetensors.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "io/dtype.h"

struct st_entry {
    const char *name;
    enum upernet_dtype dtype;
    int ndim;
    int64_t shape[UPERNET_MAX_DIMS];
    uint64_t begin, end;
};

static int by_begin(const void *a, const void *b)
{
    const struct st_entry *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : (x->end > y->end) - (x->end < y->end);
}

/* Validates one header entry into *e. */
static enum upernet_status parse_entry(const char *src, const char *name, json_t *v, struct st_entry *e,
                                       upernet_error *err)
{
    if (!json_is_object(v))
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: header entry '%s' is not an object", src, name);
    json_t *dtype = json_object_get(v, "dtype"), *shape = json_object_get(v, "shape"),
           *offsets = json_object_get(v, "data_offsets");
    if (!json_is_string(dtype) || !json_is_array(shape) || !json_is_array(offsets) || json_array_size(offsets) != 2 ||
        json_object_size(v) != 3)
        return upernet_fail(err, UPERNET_ERR_FORMAT,
                            "%s: tensor '%s' needs exactly \"dtype\", \"shape\" and \"data_offsets\" [begin, end]",
                            src, name);
    const int dt = upernet_dtype_from_safetensors(json_string_value(dtype));
    if (dt < 0)
        return upernet_fail(err, UPERNET_ERR_UNSUPPORTED, "%s: tensor '%s' has unsupported dtype %s", src, name,
                            json_string_value(dtype));
    e->name = name;
    e->dtype = (enum upernet_dtype) dt;
    if (json_array_size(shape) > UPERNET_MAX_DIMS)
        return upernet_fail(err, UPERNET_ERR_UNSUPPORTED, "%s: tensor '%s' has %zu dimensions (at most %d)", src, name,
                            json_array_size(shape), UPERNET_MAX_DIMS);
    e->ndim = (int) json_array_size(shape);
    for (int d = 0; d < e->ndim; d++) {
        json_t *n = json_array_get(shape, (size_t) d);
        if (!json_is_integer(n) || json_integer_value(n) < 0)
            return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: tensor '%s': shape entries must be non-negative integers",
                                src, name);
        e->shape[d] = json_integer_value(n);
    }
    json_t *b = json_array_get(offsets, 0), *en = json_array_get(offsets, 1);
    if (!json_is_integer(b) || !json_is_integer(en) || json_integer_value(b) < 0 ||
        json_integer_value(en) < json_integer_value(b))
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: tensor '%s': invalid data_offsets", src, name);
    e->begin = (uint64_t) json_integer_value(b);
    e->end = (uint64_t) json_integer_value(en);
    const size_t numel = tensor_shape_numel(e->ndim, e->shape);
    const size_t item = upernet_dtype_size(e->dtype);
    if (numel == SIZE_MAX || numel > SIZE_MAX / item || (uint64_t) numel * item != e->end - e->begin)
        return upernet_fail(err, UPERNET_ERR_FORMAT,
                            "%s: tensor '%s': data_offsets span %llu bytes but shape and dtype need %s", src, name,
                            (unsigned long long) (e->end - e->begin),
                            numel == SIZE_MAX || numel > SIZE_MAX / item ? "more than memory" : "a different count");
    return UPERNET_OK;
}

static enum upernet_status load_entries(const uint8_t *buffer, size_t buffer_size, struct st_entry *e, size_t n,
                                        upernet_weights *map, upernet_error *err)
{
    const char *src = map->source;
    qsort(e, n, sizeof *e, by_begin);
    uint64_t expect = 0;
    for (size_t i = 0; i < n; i++) {
        if (e[i].begin != expect)
            return upernet_fail(err, UPERNET_ERR_FORMAT,
                                "%s: tensor '%s' starts at byte %llu of the data, expected %llu "
                                "(tensors must tile the data without gaps or overlaps)",
                                src, e[i].name, (unsigned long long) e[i].begin, (unsigned long long) expect);
        expect = e[i].end;
    }
    if (expect != buffer_size)
        return upernet_fail(err, UPERNET_ERR_FORMAT,
                            "%s: the tensors cover %llu bytes but the file holds %zu after the header", src,
                            (unsigned long long) expect, buffer_size);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *bytes = buffer + e[i].begin;
        const size_t numel = tensor_shape_numel(e[i].ndim, e[i].shape);
        enum upernet_status st;
        if (numel == 0) {
            st = tensor_map_add(map, e[i].name, e[i].dtype, e[i].ndim, e[i].shape, NULL, NULL, err);
        } else if (e[i].dtype == UPERNET_DTYPE_F32 && (uintptr_t) bytes % sizeof(float) == 0) {
            st = tensor_map_add(map, e[i].name, e[i].dtype, e[i].ndim, e[i].shape, (const float *) (const void *) bytes,
                                NULL, err); /* zero copy */
        } else {
            const int is_float = upernet_dtype_is_float(e[i].dtype);
            void *out;
            st = tensor_map_alloc(map, numel * (is_float ? sizeof(float) : sizeof(int64_t)), &out, err);
            if (st != UPERNET_OK)
                return st;
            for (size_t k = 0; k < numel; k++) {
                if (is_float)
                    ((float *) out)[k] = upernet_dtype_load_f32(bytes, e[i].dtype, k, 0);
                else
                    ((int64_t *) out)[k] = upernet_dtype_load_i64(bytes, e[i].dtype, k, 0);
            }
            st = tensor_map_add(map, e[i].name, e[i].dtype, e[i].ndim, e[i].shape, is_float ? out : NULL,
                                is_float ? NULL : out, err);
        }
        if (st != UPERNET_OK)
            return st;
    }
    return UPERNET_OK;
}

enum upernet_status safetensors_read(const uint8_t *data, size_t size, upernet_weights *map, upernet_error *err)
{
    const char *src = map->source;
    if (size < 8)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: too short for a safetensors file", src);
    uint64_t n = 0;
    for (int i = 0; i < 8; i++)
        n |= (uint64_t) data[i] << (8 * i);
    if (n > SAFETENSORS_MAX_HEADER)
        return upernet_fail(err, UPERNET_ERR_LIMIT, "%s: safetensors header of %llu bytes (at most %u)", src,
                            (unsigned long long) n, SAFETENSORS_MAX_HEADER);
    if (n > size - 8)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: safetensors header of %llu bytes, but the file has %zu", src,
                            (unsigned long long) n, size);
    if (n < 2 || data[8] != '{')
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: the safetensors header is not a JSON object", src);
    json_error_t jerr;
    json_t *header = json_loadb((const char *) data + 8, (size_t) n, JSON_REJECT_DUPLICATES, &jerr);
    if (header == NULL)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: invalid safetensors header JSON at byte %d: %s", src,
                            jerr.position, jerr.text);
    enum upernet_status st = UPERNET_OK;
    struct st_entry *entries = NULL;
    if (!json_is_object(header)) {
        st = upernet_fail(err, UPERNET_ERR_FORMAT, "%s: the safetensors header is not a JSON object", src);
        goto done;
    }
    const size_t count = json_object_size(header);
    entries = upernet_calloc(count ? count : 1, sizeof *entries);
    if (entries == NULL) {
        st = upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", src);
        goto done;
    }
    size_t n_entries = 0;
    const char *name;
    json_t *value;
    json_object_foreach(header, name, value) {
        if (strcmp(name, "__metadata__") == 0) {
            const char *mk;
            json_t *mv;
            if (!json_is_object(value)) {
                st = upernet_fail(err, UPERNET_ERR_FORMAT, "%s: __metadata__ is not an object", src);
                goto done;
            }
            json_object_foreach(value, mk, mv) {
                if (!json_is_string(mv)) {
                    st = upernet_fail(err, UPERNET_ERR_FORMAT, "%s: __metadata__ value '%s' is not a string", src, mk);
                    goto done;
                }
            }
            continue;
        }
        if (name[0] == '\0') {
            st = upernet_fail(err, UPERNET_ERR_FORMAT, "%s: a tensor with an empty name", src);
            goto done;
        }
        if ((st = parse_entry(src, name, value, &entries[n_entries], err)) != UPERNET_OK)
            goto done;
        n_entries++;
    }
    if (n_entries == 0) {
        st = upernet_fail(err, UPERNET_ERR_FORMAT, "%s: the safetensors file holds no tensors", src);
        goto done;
    }
    st = load_entries(data + 8 + n, size - 8 - (size_t) n, entries, n_entries, map, err);
done:
    free(entries);
    json_decref(header); /* names were copied by tensor_map_add */
    return st;
}

/* ------------------------------------------------------------- writing */

static int is_int_tensor(const struct upernet_tensor *t)
{
    return t->ints != NULL || (t->data == NULL && !upernet_dtype_is_float(t->stored_dtype));
}

static int by_size_then_name(const void *a, const void *b)
{
    const struct upernet_tensor *x = *(const struct upernet_tensor *const *) a;
    const struct upernet_tensor *y = *(const struct upernet_tensor *const *) b;
    /* 8-byte elements first keeps every tensor naturally aligned */
    const int xs = is_int_tensor(x) ? 8 : 4, ys = is_int_tensor(y) ? 8 : 4;
    if (xs != ys)
        return ys - xs;
    return strcmp(x->name, y->name);
}

enum upernet_status upernet_weights_save_safetensors(const upernet_weights *map, const char *path, upernet_error *err)
{
    if (map == NULL || path == NULL)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "no weights or path to save");
    enum upernet_status st = UPERNET_OK;
    const struct upernet_tensor **order = upernet_malloc((map->count ? map->count : 1) * sizeof *order);
    json_t *header = json_object();
    char *text = NULL;
    if (order == NULL || header == NULL) {
        st = upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    for (size_t i = 0; i < map->count; i++)
        order[i] = &map->tensors[i];
    qsort(order, map->count, sizeof *order, by_size_then_name);
    json_t *meta = json_pack("{s:s}", "format", "pt");
    if (meta == NULL || json_object_set_new(header, "__metadata__", meta) != 0) {
        st = upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    uint64_t offset = 0;
    for (size_t i = 0; i < map->count; i++) {
        const struct upernet_tensor *t = order[i];
        const int is_int = is_int_tensor(t);
        json_t *shape = json_array();
        for (int d = 0; shape != NULL && d < t->ndim; d++)
            if (json_array_append_new(shape, json_integer(t->shape[d])) != 0) {
                json_decref(shape);
                shape = NULL;
            }
        const uint64_t bytes = (uint64_t) t->numel * (is_int ? 8 : 4);
        json_t *entry = shape == NULL ? NULL
                                      : json_pack("{s:s, s:o, s:[I,I]}", "dtype", is_int ? "I64" : "F32", "shape",
                                                  shape, "data_offsets", (json_int_t) offset,
                                                  (json_int_t) (offset + bytes));
        if (entry == NULL) {
            st = upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", path);
            goto done;
        }
        if (json_object_set_new(header, t->name, entry) != 0) { /* jansson wants UTF-8 keys */
            st = upernet_fail(err, UPERNET_ERR_FORMAT, "%s: tensor name '%s' is not valid UTF-8", path, t->name);
            goto done;
        }
        offset += bytes;
    }
    /* sorted keys, compact: the same weights always give the same bytes */
    text = json_dumps(header, JSON_SORT_KEYS | JSON_COMPACT);
    if (text == NULL) {
        st = upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    const size_t len = strlen(text);
    const size_t padded = (len + 7) & ~(size_t) 7; /* keeps the data 8-byte aligned */
    struct upernet_atomic_file f;
    if ((st = upernet_atomic_open(&f, path, err)) != UPERNET_OK)
        goto done;
    uint8_t prefix[8];
    for (int i = 0; i < 8; i++)
        prefix[i] = (uint8_t) ((uint64_t) padded >> (8 * i));
    static const char spaces[8] = "        ";
    st = upernet_atomic_write(&f, prefix, 8, err);
    if (st == UPERNET_OK)
        st = upernet_atomic_write(&f, text, len, err);
    if (st == UPERNET_OK)
        st = upernet_atomic_write(&f, spaces, padded - len, err);
    for (size_t i = 0; st == UPERNET_OK && i < map->count; i++) {
        const struct upernet_tensor *t = order[i];
        if (t->numel == 0)
            continue;
        if (is_int_tensor(t)) {
            /* little-endian int64, element by element (hosts may be big-endian) */
            for (size_t k = 0; st == UPERNET_OK && k < t->numel; k++) {
                uint8_t b[8];
                const uint64_t v = t->ints != NULL ? (uint64_t) t->ints[k] : 0;
                for (int j = 0; j < 8; j++)
                    b[j] = (uint8_t) (v >> (8 * j));
                st = upernet_atomic_write(&f, b, 8, err);
            }
        } else {
            st = upernet_atomic_write(&f, t->data, t->numel * sizeof(float), err);
        }
    }
    if (st == UPERNET_OK)
        st = upernet_atomic_commit(&f, err);
    else
        upernet_atomic_abort(&f);
done:
    free(text);
    json_decref(header);
    free(order);
    return st;
}
