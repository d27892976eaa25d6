/* A small, strict .npy reader and writer for float32 arrays (pixels in,
 * logits out). Format: NumPy's NEP 1 — magic "\x93NUMPY", version 1.0, 2.0
 * or 3.0, a little-endian header length (2 bytes for 1.0, 4 otherwise), a
 * Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (..)}
 * padded with spaces and a newline, then the data in C order. Anything else
 * (other dtypes, Fortran order, object arrays, truncated or trailing data) is
 * refused with a message naming the file. */
#ifndef UPERNET_IO_NPY_H
#define UPERNET_IO_NPY_H

#include <stddef.h>

#include "upernet.h"

#define UPERNET_NPY_MAX_DIMS 8

struct upernet_npy {
    size_t ndim;
    size_t shape[UPERNET_NPY_MAX_DIMS];
    size_t numel;
    float *data; /* malloc'ed, numel floats */
};

/* Reads a '<f4' C-order array. `name` (the path) names it in messages. */
enum upernet_status upernet_npy_read_f32(const char *path, struct upernet_npy *out,
                                         upernet_error *err);
enum upernet_status upernet_npy_parse_f32(const void *bytes, size_t size, const char *name,
                                          struct upernet_npy *out, upernet_error *err);
void upernet_npy_free(struct upernet_npy *npy);

/* Writes a '<f4' C-order array (version 1.0 header, 64-byte aligned data)
 * to a temporary file in the same folder, renamed over `path` once
 * complete, so a failure never leaves a partial file at `path`. */
enum upernet_status upernet_npy_write_f32(const char *path, const size_t *shape, size_t ndim,
                                          const float *data, upernet_error *err);

#endif
