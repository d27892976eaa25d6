/* FP32 FMA peak, AVX2+FMA: 16 independent YMM multiply-add chains.
 *
 * Each round is 16 FMAs, acc_i = acc_i * m + acc_i, on registers only; 16
 * chains cover FMA latency x pipes on every current x86 core (4 x 2 = 8
 * needed on Zen 4/5). 16 accumulators fill the 16 YMM registers, so the
 * constant m = 2^-20 is each FMA's memory operand (a load on the load ports,
 * not the FMA pipes) and the instructions are written in asm: with
 * intrinsics GCC keeps m in a register and spills accumulators instead,
 * which puts store-to-load latency into three chains. The accumulators grow
 * by (1 + 2^-20) per round: no overflow for any realistic iteration count.
 * Returns flops = iterations * 16 * 8 lanes * 2. */
#include "config.h"

#include <immintrin.h>

#include "kernels/f32-fmapeak/fmapeak.h"

double upernet_f32_fmapeak_ukernel_16acc__avx2(size_t iterations, float *sink)
{
    /* m lives in memory: vfmadd132ps takes it as its memory operand, so the
     * 16 accumulators alone occupy the 16 YMM registers. */
    const __m256 m = _mm256_set1_ps(0x1p-20f);
    __m256 a0 = _mm256_set1_ps(1.0f), a1 = _mm256_set1_ps(2.0f), a2 = _mm256_set1_ps(3.0f);
    __m256 a3 = _mm256_set1_ps(4.0f), a4 = _mm256_set1_ps(5.0f), a5 = _mm256_set1_ps(6.0f);
    __m256 a6 = _mm256_set1_ps(7.0f), a7 = _mm256_set1_ps(8.0f), a8 = _mm256_set1_ps(9.0f);
    __m256 a9 = _mm256_set1_ps(10.0f), a10 = _mm256_set1_ps(11.0f), a11 = _mm256_set1_ps(12.0f);
    __m256 a12 = _mm256_set1_ps(13.0f), a13 = _mm256_set1_ps(14.0f), a14 = _mm256_set1_ps(15.0f);
    __m256 a15 = _mm256_set1_ps(16.0f);
    for (size_t i = 0; i < iterations; i++) {
#define FMA_SELF(a) "vfmadd132ps %[m], %[" a "], %[" a "]\n\t"
        /* Two statements of 8: asm takes at most 30 operands ("+x" is two). */
        __asm__ volatile(FMA_SELF("a0") FMA_SELF("a1") FMA_SELF("a2") FMA_SELF("a3")
                         FMA_SELF("a4") FMA_SELF("a5") FMA_SELF("a6") FMA_SELF("a7")
                         : [a0] "+x"(a0), [a1] "+x"(a1), [a2] "+x"(a2), [a3] "+x"(a3),
                           [a4] "+x"(a4), [a5] "+x"(a5), [a6] "+x"(a6), [a7] "+x"(a7)
                         : [m] "m"(m));
        __asm__ volatile(FMA_SELF("a8") FMA_SELF("a9") FMA_SELF("a10") FMA_SELF("a11")
                         FMA_SELF("a12") FMA_SELF("a13") FMA_SELF("a14") FMA_SELF("a15")
                         : [a8] "+x"(a8), [a9] "+x"(a9), [a10] "+x"(a10), [a11] "+x"(a11),
                           [a12] "+x"(a12), [a13] "+x"(a13), [a14] "+x"(a14), [a15] "+x"(a15)
                         : [m] "m"(m));
#undef FMA_SELF
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a8, a9),
                                                     _mm256_add_ps(a10, a11)),
                                       _mm256_add_ps(_mm256_add_ps(a12, a13),
                                                     _mm256_add_ps(a14, a15))));
    *sink = _mm256_cvtss_f32(s);
    return (double) iterations * 16 * 8 * 2;
}
