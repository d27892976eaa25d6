/* Exact GELU (docs/SPECIFICATION.md §4.4), the scalar form shared by the scalar kernels,
 * the operator layer and the tests: 0.5*x*(1 + erf(x/sqrt(2))) in float, as
 * PyTorch's scalar path evaluates it. SIMD variants use their own vectorised
 * erf and are held to a tolerance against this. Generic C only. */
#ifndef UPERNET_KERNELS_GELU_H
#define UPERNET_KERNELS_GELU_H

#include <math.h>

static inline float upernet_gelu_scalar(float x)
{
    return 0.5f * x * (1.0f + erff(x * 0.70710678118654752440f));
}

#endif
