/* Stand-in for <immintrin.h> in builds configured with
 * --enable-avx512-emulation, and only for the AVX-512 kernel sources (this
 * directory is on their include path alone): SIMDe (libsimde-dev) provides
 * every _mm512_* intrinsic on top of the real AVX2+FMA ones, so the AVX-512
 * kernels compile with -mavx2 -mfma instead of -mavx512* and run, slowly,
 * on any AVX2+FMA CPU. That lets CI test the AVX-512 code paths on machines
 * without AVX-512; such a build is for testing only (bench skips the
 * emulated tier). Building on AVX2+FMA rather than plain C matters for the
 * numbers: SIMDe then computes _mm512_fmadd_ps as two fused 256-bit FMAs,
 * rounded once like the real instruction; its portable fallback rounds the
 * product first, which the GELU accuracy test rightly rejects.
 *
 * What the kernels use beyond SIMDe 0.7 is added here: the __mmask16 type
 * name, _cvtu32_mask16, _mm512_reduce_add_ps, and masked loads/stores that
 * touch only the lanes the mask selects, as the instructions do (a plain emulation that read or wrote all
 * 16 lanes would hide, or cause, out-of-bounds accesses at channel tails:
 * the ASan build would report them). */
#ifndef UPERNET_SIMDE_AVX512_IMMINTRIN_H
#define UPERNET_SIMDE_AVX512_IMMINTRIN_H

#include_next <immintrin.h> /* the compiler's own: AVX2, FMA */
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>

typedef simde__mmask16 __mmask16;

static inline simde__m512 upernet_emulated_maskz_loadu_ps(simde__mmask16 k, const float *p)
{
    float lanes[16] = {0};
    for (int i = 0; i < 16; i++)
        if (k & (1u << i))
            lanes[i] = p[i];
    return simde_mm512_loadu_ps(lanes);
}

static inline void upernet_emulated_mask_storeu_ps(float *p, simde__mmask16 k, simde__m512 v)
{
    float lanes[16];
    simde_mm512_storeu_ps(lanes, v);
    for (int i = 0; i < 16; i++)
        if (k & (1u << i))
            p[i] = lanes[i];
}

/* Horizontal sum in GCC's order for _mm512_reduce_add_ps: the two 256-bit
 * halves, then the two 128-bit halves, then lanes (0+2, 1+3), then those
 * two. SIMDe 0.7 has no such function. */
static inline float upernet_emulated_reduce_add_ps(simde__m512 v)
{
    float a[16], h8[8], h4[4];
    simde_mm512_storeu_ps(a, v);
    for (int i = 0; i < 8; i++)
        h8[i] = a[8 + i] + a[i];
    for (int i = 0; i < 4; i++)
        h4[i] = h8[4 + i] + h8[i];
    return (h4[0] + h4[2]) + (h4[1] + h4[3]);
}

#undef _mm512_reduce_add_ps
#define _mm512_reduce_add_ps upernet_emulated_reduce_add_ps
#undef _mm512_maskz_loadu_ps
#undef _mm512_mask_storeu_ps
#define _mm512_maskz_loadu_ps upernet_emulated_maskz_loadu_ps
#define _mm512_mask_storeu_ps upernet_emulated_mask_storeu_ps
#define _cvtu32_mask16(x) ((simde__mmask16) (x))

#endif
