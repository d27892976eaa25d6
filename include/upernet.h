/* upernet: UperNet-ConvNeXt semantic segmentation on CPUs.
 *
 * The one public header. Everything a program needs (errors, the kernel tier,
 * models, images) is declared here; nothing below the CLI prints or exits:
 * every failure comes back as a code plus a message naming the file, key or
 * value at fault. */
#ifndef UPERNET_H
#define UPERNET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- errors */

enum upernet_status {
    UPERNET_OK = 0,
    UPERNET_ERR_ARGUMENT,     /* a caller passed an invalid value */
    UPERNET_ERR_NOMEM,        /* an allocation failed */
    UPERNET_ERR_IO,           /* open/read/write/rename failed */
    UPERNET_ERR_FORMAT,       /* a file is malformed or not what it claims */
    UPERNET_ERR_UNSUPPORTED,  /* valid, but not something upernet handles */
    UPERNET_ERR_MISMATCH,     /* weights/config/shape disagree */
    UPERNET_ERR_LIMIT         /* input would need absurd resources */
};

#define UPERNET_ERROR_MESSAGE_MAX 512

typedef struct upernet_error {
    enum upernet_status status;
    char message[UPERNET_ERROR_MESSAGE_MAX];
} upernet_error;

/* A short fixed name for a status ("format error", ...). */
const char *upernet_status_name(enum upernet_status status);

/* ------------------------------------------------------- kernel tiers (ISA) */

enum upernet_isa {
    UPERNET_ISA_SCALAR = 0,
    UPERNET_ISA_AVX2,     /* AVX2 + FMA (x86-64) */
    UPERNET_ISA_AVX512,   /* AVX-512 F+BW+DQ+VL (x86-64) */
    UPERNET_ISA_NEON,     /* AArch64 Advanced SIMD */
    UPERNET_ISA_COUNT
};

/* "scalar", "avx2", "avx512", "neon". */
const char *upernet_isa_name(enum upernet_isa isa);

/* Selects the kernel tier used from now on. `request` is a tier name, or NULL
 * to use $UPERNET_ISA, or the best tier the CPU and build support if that is
 * unset or empty. A request can only lower the tier: asking for a tier this CPU
 * or build lacks fails with UPERNET_ERR_UNSUPPORTED and leaves the current
 * selection unchanged. Call it before any forward pass (not concurrently with
 * one). Without a call, the first use of a kernel selects as with NULL. */
enum upernet_status upernet_select_isa(const char *request, upernet_error *err);

/* The tier in use (selecting it as with NULL first if needed). */
enum upernet_isa upernet_active_isa(void);

#ifdef __cplusplus
}
#endif

#endif /* UPERNET_H */
