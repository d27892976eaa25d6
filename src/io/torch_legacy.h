/* torch.save(..., _use_new_zipfile_serialization=False): five pickles
 * (magic, protocol 1001, sys_info, the object, storage keys) followed by
 * each storage as an int64 element count and raw bytes. docs/SPECIFICATION.md §6.4. */
#ifndef UPERNET_IO_TORCH_LEGACY_H
#define UPERNET_IO_TORCH_LEGACY_H

#include <stddef.h>
#include <stdint.h>

#include "io/tensor_map.h"

/* The legacy magic: a LONG1 pickle of 0x1950a86a20f9469cfc6c. */
extern const uint8_t torch_legacy_magic[14];

enum upernet_status torch_legacy_read(const uint8_t *data, size_t size, upernet_weights *map, upernet_error *err);

#endif
