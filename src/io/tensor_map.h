/* The tensor map behind upernet_weights: name -> (dtype, shape, float32 or
 * int64 values), in file order, with a hash index for lookup by name, plus
 * the memory blocks (file mappings, storage records, converted copies) the
 * tensors point into. Readers fill it; nothing here knows the model. */
#ifndef UPERNET_IO_TENSOR_MAP_H
#define UPERNET_IO_TENSOR_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "upernet.h"

struct tensor_map_block {
    void *ptr;
    size_t size;
    int is_mapping; /* munmap instead of free */
};

struct upernet_weights {
    struct upernet_tensor *tensors;
    size_t count, capacity;
    size_t *index;        /* open-addressing hash of names: slot -> tensor index + 1 (0 = empty) */
    size_t index_slots;   /* power of two, > 2 * count */
    struct tensor_map_block *blocks;
    size_t n_blocks, blocks_capacity;
    enum upernet_weights_format format;
    enum upernet_key_naming naming;
    char *source;
    size_t converted_bytes; /* bytes allocated for copies, checked against a limit */
    size_t converted_limit;
};

/* An empty map (format IN_MEMORY, naming HF); `source` is copied. */
upernet_weights *tensor_map_new(const char *source);

/* Takes ownership of a block (freed or unmapped with the map). On failure
 * the block is released here and UPERNET_ERR_NOMEM returned. */
enum upernet_status tensor_map_own(upernet_weights *map, void *ptr, size_t size, int is_mapping,
                                   upernet_error *err);

/* Allocates `bytes` owned by the map, counted against converted_limit (a
 * hostile file cannot make upernet copy more than that). */
enum upernet_status tensor_map_alloc(upernet_weights *map, size_t bytes, void **out, upernet_error *err);

/* Appends a tensor whose data (float32 `data` or int64 `ints`) already lives
 * in memory the map owns or the caller keeps alive. Names are copied.
 * Fails on a duplicate name. */
enum upernet_status tensor_map_add(upernet_weights *map, const char *name, enum upernet_dtype stored_dtype,
                                   int ndim, const int64_t *shape, const float *data, const int64_t *ints,
                                   upernet_error *err);

/* Renames tensor `i` (the old name stays as file_name) and rebuilds nothing:
 * call tensor_map_reindex after all renames. */
enum upernet_status tensor_map_rename(upernet_weights *map, size_t i, const char *name, upernet_error *err);

/* Rebuilds the name index; fails naming the first duplicate. */
enum upernet_status tensor_map_reindex(upernet_weights *map, upernet_error *err);

/* numel of a shape, or SIZE_MAX when it overflows size_t / has a negative dim. */
size_t tensor_shape_numel(int ndim, const int64_t *shape);

#endif
