/* safetensors: an 8-byte little-endian header length N, N bytes of JSON
 * ({"name": {"dtype", "shape", "data_offsets"}, "__metadata__": {...}}),
 * then the tensors' bytes, tiling the rest of the file. docs/SPECIFICATION.md §6.5. */
#ifndef UPERNET_IO_SAFETENSORS_H
#define UPERNET_IO_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "io/tensor_map.h"

#define SAFETENSORS_MAX_HEADER 100000000u /* as the reference library */

/* Reads data[0..size) into map. Aligned little-endian F32 tensors point into
 * `data` (zero copy); others are converted. */
enum upernet_status safetensors_read(const uint8_t *data, size_t size, upernet_weights *map, upernet_error *err);

#endif
