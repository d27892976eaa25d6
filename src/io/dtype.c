#include "config.h"

#include "io/dtype.h"

#include <string.h>

static const struct {
    enum upernet_dtype dtype;
    size_t size;
    int is_float;
    const char *safetensors; /* as written in a safetensors header */
    const char *torch;       /* torch legacy storage class */
} dtype_table[] = {
    {UPERNET_DTYPE_F32, 4, 1, "F32", "FloatStorage"},
    {UPERNET_DTYPE_F16, 2, 1, "F16", "HalfStorage"},
    {UPERNET_DTYPE_BF16, 2, 1, "BF16", "BFloat16Storage"},
    {UPERNET_DTYPE_F64, 8, 1, "F64", "DoubleStorage"},
    {UPERNET_DTYPE_I64, 8, 0, "I64", "LongStorage"},
    {UPERNET_DTYPE_I32, 4, 0, "I32", "IntStorage"},
    {UPERNET_DTYPE_I16, 2, 0, "I16", "ShortStorage"},
    {UPERNET_DTYPE_I8, 1, 0, "I8", "CharStorage"},
    {UPERNET_DTYPE_U8, 1, 0, "U8", "ByteStorage"},
    {UPERNET_DTYPE_BOOL, 1, 0, "BOOL", "BoolStorage"},
};
#define N_DTYPES (sizeof dtype_table / sizeof dtype_table[0])

size_t upernet_dtype_size(enum upernet_dtype dtype)
{
    for (size_t i = 0; i < N_DTYPES; i++)
        if (dtype_table[i].dtype == dtype)
            return dtype_table[i].size;
    return 0;
}

int upernet_dtype_is_float(enum upernet_dtype dtype)
{
    for (size_t i = 0; i < N_DTYPES; i++)
        if (dtype_table[i].dtype == dtype)
            return dtype_table[i].is_float;
    return 0;
}

const char *upernet_dtype_name(enum upernet_dtype dtype)
{
    for (size_t i = 0; i < N_DTYPES; i++)
        if (dtype_table[i].dtype == dtype)
            return dtype_table[i].safetensors;
    return "?";
}

int upernet_dtype_from_safetensors(const char *name)
{
    for (size_t i = 0; i < N_DTYPES; i++)
        if (strcmp(dtype_table[i].safetensors, name) == 0)
            return (int) dtype_table[i].dtype;
    return -1;
}

int upernet_dtype_from_torch_storage(const char *class_name)
{
    for (size_t i = 0; i < N_DTYPES; i++)
        if (strcmp(dtype_table[i].torch, class_name) == 0)
            return (int) dtype_table[i].dtype;
    return -1;
}

float upernet_f16_to_f32(uint16_t h)
{
    const uint32_t sign = (uint32_t) (h & 0x8000u) << 16;
    const uint32_t exponent = (h >> 10) & 0x1Fu;
    uint32_t mantissa = h & 0x3FFu;
    uint32_t bits;
    if (exponent == 0x1F) { /* inf / nan */
        bits = sign | 0x7F800000u | (mantissa << 13);
    } else if (exponent != 0) { /* normal */
        bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
    } else if (mantissa == 0) { /* +-0 */
        bits = sign;
    } else { /* subnormal: renormalise */
        uint32_t e = 113;
        while ((mantissa & 0x400u) == 0) {
            mantissa <<= 1;
            e--;
        }
        bits = sign | (e << 23) | ((mantissa & 0x3FFu) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

float upernet_bf16_to_f32(uint16_t b)
{
    const uint32_t bits = (uint32_t) b << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* Reads `size` bytes at p as an unsigned little-endian (or big-endian) value. */
static uint64_t load_uint(const uint8_t *p, size_t size, int swap)
{
    uint64_t v = 0;
    for (size_t i = 0; i < size; i++) {
        const size_t k = swap ? i : size - 1 - i;
        v = (v << 8) | p[k];
    }
    return v;
}

float upernet_dtype_load_f32(const uint8_t *bytes, enum upernet_dtype dtype, size_t index, int swap)
{
    const size_t size = upernet_dtype_size(dtype);
    const uint64_t v = load_uint(bytes + index * size, size, swap);
    switch (dtype) {
    case UPERNET_DTYPE_F32: {
        const uint32_t b = (uint32_t) v;
        float f;
        memcpy(&f, &b, sizeof f);
        return f;
    }
    case UPERNET_DTYPE_F16: return upernet_f16_to_f32((uint16_t) v);
    case UPERNET_DTYPE_BF16: return upernet_bf16_to_f32((uint16_t) v);
    case UPERNET_DTYPE_F64: {
        double d;
        memcpy(&d, &v, sizeof d);
        return (float) d;
    }
    default: return (float) upernet_dtype_load_i64(bytes, dtype, index, swap);
    }
}

int64_t upernet_dtype_load_i64(const uint8_t *bytes, enum upernet_dtype dtype, size_t index, int swap)
{
    const size_t size = upernet_dtype_size(dtype);
    const uint64_t v = load_uint(bytes + index * size, size, swap);
    switch (dtype) {
    case UPERNET_DTYPE_I64: return (int64_t) v;
    case UPERNET_DTYPE_I32: return (int32_t) (uint32_t) v;
    case UPERNET_DTYPE_I16: return (int16_t) (uint16_t) v;
    case UPERNET_DTYPE_I8: return (int8_t) (uint8_t) v;
    case UPERNET_DTYPE_U8: return (int64_t) v;
    case UPERNET_DTYPE_BOOL: return v != 0;
    default: return (int64_t) upernet_dtype_load_f32(bytes, dtype, index, swap);
    }
}
