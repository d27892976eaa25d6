/* The part shared by the two torch formats: turning an unpickled object into
 * tensors. Finds the state dict (the object itself, or its 'state_dict' /
 * 'model' entry as in mmseg checkpoints), resolves each tensor's storage to
 * raw record bytes, bounds-checks the view and copies it by strides into
 * float32 / int64 where it cannot be used in place. docs/SPECIFICATION.md §6.2-6.4. */
#ifndef UPERNET_IO_TORCH_COMMON_H
#define UPERNET_IO_TORCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "io/pickle.h"
#include "io/tensor_map.h"

/* Storage records by key: a small string hash map. */
struct torch_record {
    char *key;
    const uint8_t *bytes;
    size_t size;
    int dtype; /* legacy format: the storage's element type; -1 when unknown */
};

struct torch_records {
    struct torch_record *slots;
    size_t n_slots, count;
};

/* Finds a record (NULL if absent) / adds one (key copied). */
struct torch_record *torch_records_find(const struct torch_records *records, const char *key);
enum upernet_status torch_records_add(struct torch_records *records, const char *key, const uint8_t *bytes,
                                      size_t size, int dtype, upernet_error *err);
void torch_records_free(struct torch_records *records);

/* Loads the bytes of storage `key` on a cache miss (zip format); NULL when
 * every record is known in advance (legacy format). */
typedef enum upernet_status (*torch_record_loader)(void *ctx, const char *key, const uint8_t **bytes,
                                                   size_t *size, upernet_error *err);

enum upernet_status torch_collect_tensors(const struct pickle_object *root, upernet_weights *map,
                                          struct torch_records *records, torch_record_loader load, void *ctx,
                                          int big_endian, upernet_error *err);

#endif
