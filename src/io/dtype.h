/* Element types found in weight files, and their conversion to what the
 * model uses: float32 for floating tensors, int64 for integer ones. */
#ifndef UPERNET_IO_DTYPE_H
#define UPERNET_IO_DTYPE_H

#include <stddef.h>
#include <stdint.h>

#include "upernet.h"

/* Bytes per element (0 for an out-of-range value). */
size_t upernet_dtype_size(enum upernet_dtype dtype);

/* True for F32/F16/BF16/F64 (converted to float32 on load). */
int upernet_dtype_is_float(enum upernet_dtype dtype);

/* safetensors spelling ("F32", "BF16", "I64", ...) <-> enum. Returns -1 when
 * the string names no type upernet reads. */
int upernet_dtype_from_safetensors(const char *name);

/* torch storage class name ("FloatStorage", "HalfStorage", ...) -> enum, or -1. */
int upernet_dtype_from_torch_storage(const char *class_name);

/* Reads element `index` of little-endian (or big-endian when swap != 0) raw
 * storage bytes as a float / int64. The caller has bounds-checked `index`. */
float upernet_dtype_load_f32(const uint8_t *bytes, enum upernet_dtype dtype, size_t index, int swap);
int64_t upernet_dtype_load_i64(const uint8_t *bytes, enum upernet_dtype dtype, size_t index, int swap);

/* IEEE half / bfloat16 bit patterns -> float. */
float upernet_f16_to_f32(uint16_t h);
float upernet_bf16_to_f32(uint16_t b);

#endif
