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

/* upernet_npy_read, upernet_npy_write and upernet_array_free are public
 * (include/upernet.h). The reader's core, from bytes in memory (`name`
 * names them in messages): */
enum upernet_status upernet_npy_parse(const void *bytes, size_t size, const char *name,
                                      upernet_array *out, upernet_error *err);

#endif
