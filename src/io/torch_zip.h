/* torch.save's zip format (default since torch 1.6). docs/SPECIFICATION.md §6.2. */
#ifndef UPERNET_IO_TORCH_ZIP_H
#define UPERNET_IO_TORCH_ZIP_H

#include <stddef.h>
#include <stdint.h>

#include "io/tensor_map.h"

/* Reads the tensors of a zip checkpoint held in data[0..size) into map.
 * TorchScript archives are refused. */
enum upernet_status torch_zip_read(const uint8_t *data, size_t size, upernet_weights *map, upernet_error *err);

/* The same from a file, read through stdio rather than mapped: every record
 * is copied into its own buffer anyway, so a mapping would only double the
 * memory touched while loading. */
enum upernet_status torch_zip_read_file(const char *path, size_t size, upernet_weights *map, upernet_error *err);

#endif
