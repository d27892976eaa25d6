/* FP32 FMA peak with 16 independent vector multiply-add chains, one body for
 * the tiers with 32 vector registers (AVX-512, NEON): a tier's wrapper
 * (f32-fmapeak-16acc-<isa>.c) includes its kernels/simd/vec-<isa>.h, defines
 * UPERNET_FMAPEAK_FN as the function's name and includes this file. (AVX2
 * has 16 YMM registers only and keeps its own asm body,
 * f32-fmapeak-16acc-avx2.c.)
 *
 * Each round is 16 FMAs on registers only (acc_i += x * y); 16 chains cover
 * FMA latency x pipes on every current x86 and Arm core (4 x 2 = 8 needed on
 * Zen 4/5, 4 x 4 on the widest Arm cores). 16 accumulators + x + y fit the
 * 32 registers. The accumulators grow by x*y = 1e-7 per round: no overflow,
 * no denormals. Returns flops = iterations * 16 * VEC_WIDTH lanes * 2. */
#ifndef UPERNET_FMAPEAK_FN
#error "define UPERNET_FMAPEAK_FN (and include a kernels/simd/vec-<isa>.h) first"
#endif

#include "kernels/f32-fmapeak/fmapeak.h"

#define FOR_EACH_ACC(X)                                                                   \
    X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)

double UPERNET_FMAPEAK_FN(size_t iterations, float *sink)
{
    const vec_t x = vec_set1(1e-4f), y = vec_set1(1e-3f);
#define ACC_INIT(i) vec_t a##i = vec_set1((float) (i));
    FOR_EACH_ACC(ACC_INIT)
#undef ACC_INIT
    for (size_t i = 0; i < iterations; i++) {
#define ACC_FMA(i) a##i = vec_fmadd(x, y, a##i);
        FOR_EACH_ACC(ACC_FMA)
#undef ACC_FMA
    }
    vec_t s = vec_add(vec_add(vec_add(a0, a1), vec_add(a2, a3)),
                      vec_add(vec_add(a4, a5), vec_add(a6, a7)));
    s = vec_add(s, vec_add(vec_add(vec_add(a8, a9), vec_add(a10, a11)),
                           vec_add(vec_add(a12, a13), vec_add(a14, a15))));
    *sink = vec_reduce_add(s);
    return (double) iterations * 16 * VEC_WIDTH * 2;
}

#undef FOR_EACH_ACC
