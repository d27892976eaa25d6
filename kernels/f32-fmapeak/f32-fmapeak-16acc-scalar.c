/* FP32 "peak" of the scalar tier: 16 independent scalar multiply-add chains.
 *
 * The scalar tier is built for the baseline ISA, so each round is 16 scalar
 * acc = acc*m + a (a multiply and an add on x86-64, which has no baseline
 * FMA; one fused FMADD on AArch64), the most scalar code issues: % of this
 * is the yardstick for the scalar kernels. An empty asm statement per chain
 * keeps the compiler from vectorising them. acc converges to a/(1-m) = 1:
 * no overflow, no denormals. Returns flops = iterations * 16 * 2. */
#include "config.h"

#include "kernels/f32-fmapeak/fmapeak.h"

/* An asm operand that keeps a float in a floating-point register. */
#if defined(__x86_64__) || defined(__i386__)
#define FLOAT_REGISTER(v) "+x"(v)
#elif defined(__aarch64__)
#define FLOAT_REGISTER(v) "+w"(v)
#else
#define FLOAT_REGISTER(v) "+g"(v)
#endif

double upernet_f32_fmapeak_ukernel_16acc__scalar(size_t iterations, float *sink)
{
    float acc[16];
    for (int j = 0; j < 16; j++)
        acc[j] = (float) j;
    const float m = 0.999f, a = 1e-3f;
    for (size_t i = 0; i < iterations; i++) {
#pragma GCC unroll 16
        for (int j = 0; j < 16; j++) {
            acc[j] = acc[j] * m + a;
            __asm__ volatile("" : FLOAT_REGISTER(acc[j]));
        }
    }
    float s = 0.0f;
    for (int j = 0; j < 16; j++)
        s += acc[j];
    *sink = s;
    return (double) iterations * 16 * 2;
}
