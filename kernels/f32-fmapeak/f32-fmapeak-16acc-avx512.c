/* FP32 FMA peak, AVX-512F: 16 independent ZMM multiply-add chains.
 *
 * Each round is 16 vfmadd231ps on registers only (acc_i += x * y); 16 chains
 * cover FMA latency x pipes on every current x86 core (4 x 2 = 8 needed on
 * Zen 4/5). 16 accumulators + x + y fit the 32 ZMM registers.
 * The accumulators grow by x*y = 1e-7 per round: no overflow, no denormals.
 * Returns flops = iterations * 16 * 16 lanes * 2. */
#include "config.h"

#include <immintrin.h>

#include "kernels/f32-fmapeak/fmapeak.h"

double upernet_f32_fmapeak_ukernel_16acc__avx512(size_t iterations, float *sink)
{
    const __m512 x = _mm512_set1_ps(1e-4f), y = _mm512_set1_ps(1e-3f);
    __m512 a0 = _mm512_set1_ps(0.0f), a1 = _mm512_set1_ps(1.0f), a2 = _mm512_set1_ps(2.0f);
    __m512 a3 = _mm512_set1_ps(3.0f), a4 = _mm512_set1_ps(4.0f), a5 = _mm512_set1_ps(5.0f);
    __m512 a6 = _mm512_set1_ps(6.0f), a7 = _mm512_set1_ps(7.0f), a8 = _mm512_set1_ps(8.0f);
    __m512 a9 = _mm512_set1_ps(9.0f), a10 = _mm512_set1_ps(10.0f), a11 = _mm512_set1_ps(11.0f);
    __m512 a12 = _mm512_set1_ps(12.0f), a13 = _mm512_set1_ps(13.0f), a14 = _mm512_set1_ps(14.0f);
    __m512 a15 = _mm512_set1_ps(15.0f);
    for (size_t i = 0; i < iterations; i++) {
        a0 = _mm512_fmadd_ps(x, y, a0), a1 = _mm512_fmadd_ps(x, y, a1);
        a2 = _mm512_fmadd_ps(x, y, a2), a3 = _mm512_fmadd_ps(x, y, a3);
        a4 = _mm512_fmadd_ps(x, y, a4), a5 = _mm512_fmadd_ps(x, y, a5);
        a6 = _mm512_fmadd_ps(x, y, a6), a7 = _mm512_fmadd_ps(x, y, a7);
        a8 = _mm512_fmadd_ps(x, y, a8), a9 = _mm512_fmadd_ps(x, y, a9);
        a10 = _mm512_fmadd_ps(x, y, a10), a11 = _mm512_fmadd_ps(x, y, a11);
        a12 = _mm512_fmadd_ps(x, y, a12), a13 = _mm512_fmadd_ps(x, y, a13);
        a14 = _mm512_fmadd_ps(x, y, a14), a15 = _mm512_fmadd_ps(x, y, a15);
    }
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                             _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a8, a9),
                                                     _mm512_add_ps(a10, a11)),
                                       _mm512_add_ps(_mm512_add_ps(a12, a13),
                                                     _mm512_add_ps(a14, a15))));
    *sink = _mm512_reduce_add_ps(s);
    return (double) iterations * 16 * 16 * 2;
}
