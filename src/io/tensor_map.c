#include "config.h"

#include "io/tensor_map.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/alloc.h"
#include "core/error.h"

static uint64_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char) *s;
        h *= 1099511628211ull;
    }
    return h;
}

upernet_weights *tensor_map_new(const char *source)
{
    upernet_weights *map = upernet_calloc(1, sizeof *map);
    if (map == NULL)
        return NULL;
    map->source = upernet_strdup(source != NULL ? source : "");
    if (map->source == NULL) {
        free(map);
        return NULL;
    }
    map->format = UPERNET_WEIGHTS_IN_MEMORY;
    map->naming = UPERNET_NAMING_HF;
    map->converted_limit = SIZE_MAX;
    return map;
}

void upernet_weights_free(upernet_weights *map)
{
    if (map == NULL)
        return;
    for (size_t i = 0; i < map->count; i++) {
        if (map->tensors[i].file_name != map->tensors[i].name)
            free((char *) map->tensors[i].file_name);
        free((char *) map->tensors[i].name);
    }
    for (size_t i = 0; i < map->n_blocks; i++) {
        if (map->blocks[i].is_mapping)
            munmap(map->blocks[i].ptr, map->blocks[i].size);
        else
            free(map->blocks[i].ptr);
    }
    free(map->blocks);
    free(map->tensors);
    free(map->index);
    free(map->source);
    free(map);
}

enum upernet_status tensor_map_own(upernet_weights *map, void *ptr, size_t size, int is_mapping,
                                   upernet_error *err)
{
    if (map->n_blocks == map->blocks_capacity) {
        const size_t cap = map->blocks_capacity ? 2 * map->blocks_capacity : 16;
        struct tensor_map_block *b = upernet_realloc(map->blocks, cap * sizeof *b);
        if (b == NULL) {
            if (is_mapping)
                munmap(ptr, size);
            else
                free(ptr);
            return upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", map->source);
        }
        map->blocks = b;
        map->blocks_capacity = cap;
    }
    map->blocks[map->n_blocks++] = (struct tensor_map_block){ptr, size, is_mapping};
    return UPERNET_OK;
}

enum upernet_status tensor_map_alloc(upernet_weights *map, size_t bytes, void **out, upernet_error *err)
{
    *out = NULL;
    if (bytes > map->converted_limit - map->converted_bytes)
        return upernet_fail(err, UPERNET_ERR_LIMIT,
                            "%s: converting the tensors would need more than %zu bytes of memory",
                            map->source, map->converted_limit);
    void *p = upernet_malloc(bytes ? bytes : 1);
    if (p == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory (%zu bytes)", map->source, bytes);
    enum upernet_status st = tensor_map_own(map, p, bytes, 0, err);
    if (st != UPERNET_OK)
        return st;
    map->converted_bytes += bytes;
    *out = p;
    return UPERNET_OK;
}

size_t tensor_shape_numel(int ndim, const int64_t *shape)
{
    size_t n = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0 || (uint64_t) shape[d] > SIZE_MAX)
            return SIZE_MAX;
        const size_t s = (size_t) shape[d];
        if (s != 0 && n > SIZE_MAX / s)
            return SIZE_MAX;
        n *= s;
    }
    return n;
}

/* Inserts tensor i into the index; returns the index of an existing tensor
 * with the same name, or SIZE_MAX when inserted. */
static size_t index_insert(upernet_weights *map, size_t i)
{
    const size_t mask = map->index_slots - 1;
    size_t slot = (size_t) name_hash(map->tensors[i].name) & mask;
    while (map->index[slot] != 0) {
        const size_t other = map->index[slot] - 1;
        if (strcmp(map->tensors[other].name, map->tensors[i].name) == 0)
            return other;
        slot = (slot + 1) & mask;
    }
    map->index[slot] = i + 1;
    return SIZE_MAX;
}

static enum upernet_status index_resize(upernet_weights *map, size_t min_count, upernet_error *err)
{
    size_t slots = 64;
    while (slots < 2 * min_count + 2)
        slots *= 2;
    if (slots <= map->index_slots)
        return UPERNET_OK;
    size_t *index = upernet_calloc(slots, sizeof *index);
    if (index == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", map->source);
    free(map->index);
    map->index = index;
    map->index_slots = slots;
    for (size_t i = 0; i < map->count; i++)
        index_insert(map, i);
    return UPERNET_OK;
}

enum upernet_status tensor_map_add(upernet_weights *map, const char *name, enum upernet_dtype stored_dtype,
                                   int ndim, const int64_t *shape, const float *data, const int64_t *ints,
                                   upernet_error *err)
{
    if (ndim < 0 || ndim > UPERNET_MAX_DIMS)
        return upernet_fail(err, UPERNET_ERR_UNSUPPORTED, "%s: tensor '%s' has %d dimensions (at most %d)",
                            map->source, name, ndim, UPERNET_MAX_DIMS);
    const size_t numel = tensor_shape_numel(ndim, shape);
    if (numel == SIZE_MAX)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: tensor '%s' has an invalid shape", map->source, name);
    if (upernet_weights_find(map, name) != NULL)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: duplicate tensor name '%s'", map->source, name);
    enum upernet_status st = index_resize(map, map->count + 1, err);
    if (st != UPERNET_OK)
        return st;
    if (map->count == map->capacity) {
        const size_t cap = map->capacity ? 2 * map->capacity : 64;
        struct upernet_tensor *t = upernet_realloc(map->tensors, cap * sizeof *t);
        if (t == NULL)
            return upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", map->source);
        map->tensors = t;
        map->capacity = cap;
    }
    char *copy = upernet_strdup(name);
    if (copy == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", map->source);
    struct upernet_tensor *t = &map->tensors[map->count];
    memset(t, 0, sizeof *t);
    t->name = copy;
    t->file_name = copy;
    t->stored_dtype = stored_dtype;
    t->ndim = ndim;
    for (int d = 0; d < ndim; d++)
        t->shape[d] = shape[d];
    t->numel = numel;
    t->data = numel ? data : NULL;
    t->ints = numel ? ints : NULL;
    index_insert(map, map->count);
    map->count++;
    return UPERNET_OK;
}

enum upernet_status tensor_map_rename(upernet_weights *map, size_t i, const char *name, upernet_error *err)
{
    char *copy = upernet_strdup(name);
    if (copy == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", map->source);
    struct upernet_tensor *t = &map->tensors[i];
    if (t->name != t->file_name)
        free((char *) t->name);
    t->name = copy;
    return UPERNET_OK;
}

enum upernet_status tensor_map_reindex(upernet_weights *map, upernet_error *err)
{
    if (map->index != NULL)
        memset(map->index, 0, map->index_slots * sizeof *map->index);
    enum upernet_status st = index_resize(map, map->count, err);
    if (st != UPERNET_OK)
        return st;
    memset(map->index, 0, map->index_slots * sizeof *map->index);
    for (size_t i = 0; i < map->count; i++) {
        const size_t other = index_insert(map, i);
        if (other != SIZE_MAX)
            return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: '%s' and '%s' both map to the name '%s'",
                                map->source, map->tensors[other].file_name, map->tensors[i].file_name,
                                map->tensors[i].name);
    }
    return UPERNET_OK;
}

/* ------------------------------------------------------------ public API */

size_t upernet_weights_count(const upernet_weights *map) { return map->count; }

const struct upernet_tensor *upernet_weights_at(const upernet_weights *map, size_t i)
{
    return i < map->count ? &map->tensors[i] : NULL;
}

const struct upernet_tensor *upernet_weights_find(const upernet_weights *map, const char *name)
{
    if (map->index_slots == 0)
        return NULL;
    const size_t mask = map->index_slots - 1;
    size_t slot = (size_t) name_hash(name) & mask;
    while (map->index[slot] != 0) {
        const struct upernet_tensor *t = &map->tensors[map->index[slot] - 1];
        if (strcmp(t->name, name) == 0)
            return t;
        slot = (slot + 1) & mask;
    }
    return NULL;
}

enum upernet_weights_format upernet_weights_format(const upernet_weights *map) { return map->format; }
enum upernet_key_naming upernet_weights_naming(const upernet_weights *map) { return map->naming; }
const char *upernet_weights_source(const upernet_weights *map) { return map->source; }

const char *upernet_weights_format_name(enum upernet_weights_format format)
{
    switch (format) {
    case UPERNET_WEIGHTS_SAFETENSORS: return "safetensors";
    case UPERNET_WEIGHTS_TORCH_ZIP: return "torch zip";
    case UPERNET_WEIGHTS_TORCH_LEGACY: return "torch legacy";
    case UPERNET_WEIGHTS_IN_MEMORY: return "in memory";
    }
    return "?";
}

const char *upernet_key_naming_name(enum upernet_key_naming naming)
{
    switch (naming) {
    case UPERNET_NAMING_HF: return "hf";
    case UPERNET_NAMING_MMSEG: return "mmseg";
    case UPERNET_NAMING_UNKNOWN: return "unknown";
    }
    return "?";
}

enum upernet_status upernet_weights_create(upernet_weights **out, upernet_error *err)
{
    *out = tensor_map_new("in-memory weights");
    if (*out == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "out of memory");
    return UPERNET_OK;
}

static enum upernet_status add_copy(upernet_weights *map, const char *name, enum upernet_dtype dtype, int ndim,
                                    const int64_t *shape, const void *values, size_t elem, upernet_error *err)
{
    if (map == NULL || name == NULL || ndim < 0 || ndim > UPERNET_MAX_DIMS || (ndim > 0 && shape == NULL))
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "invalid tensor '%s'", name ? name : "(null)");
    const size_t numel = tensor_shape_numel(ndim, shape);
    if (numel == SIZE_MAX || numel > SIZE_MAX / elem)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "tensor '%s': invalid shape", name);
    if (numel > 0 && values == NULL)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "tensor '%s': no values", name);
    if (upernet_weights_find(map, name) != NULL)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "duplicate tensor name '%s'", name);
    void *copy;
    enum upernet_status st = tensor_map_alloc(map, numel * elem, &copy, err);
    if (st != UPERNET_OK)
        return st;
    if (numel)
        memcpy(copy, values, numel * elem);
    return tensor_map_add(map, name, dtype, ndim, shape, dtype == UPERNET_DTYPE_F32 ? copy : NULL,
                          dtype == UPERNET_DTYPE_F32 ? NULL : copy, err);
}

enum upernet_status upernet_weights_add_f32(upernet_weights *map, const char *name, int ndim,
                                            const int64_t *shape, const float *values, upernet_error *err)
{
    return add_copy(map, name, UPERNET_DTYPE_F32, ndim, shape, values, sizeof(float), err);
}

enum upernet_status upernet_weights_add_i64(upernet_weights *map, const char *name, int ndim,
                                            const int64_t *shape, const int64_t *values, upernet_error *err)
{
    return add_copy(map, name, UPERNET_DTYPE_I64, ndim, shape, values, sizeof(int64_t), err);
}
