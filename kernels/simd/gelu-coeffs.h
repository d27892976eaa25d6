/* Coefficients of the vectorised exact-erf GELU shared by every SIMD tier
 * (kernels/simd/gelu-vec.h); plain constants, no ISA code.
 *
 *   gelu(x) = 0.5*x*(1 + erf(x/sqrt(2)))
 *
 * erf(x/sqrt(2)) is approximated by the odd rational function
 *
 *   E(x) = x * P(u) / Q(u),   u = x*x,
 *   P(u) = P0 + P1 u + ... + P5 u^5,   Q(u) = 1 + Q1 u + ... + Q5 u^5,
 *
 * fitted on [0, 5.5] (our own fit: iteratively reweighted least squares
 * towards minimax, in double, then rounded to float). Beyond 5.5 the exact
 * erf(x/sqrt 2) is within 3.8e-8 of 1 and E keeps rising past 1 (E(6) =
 * 1 + 2.6e-6), so x is first clamped to [-CLAMP, CLAMP] = [-6, 6] and E is
 * then clamped to [-1, 1]: for |x| >= ~5.4 the result is exactly +-1, so
 * gelu(x) = x exactly for x >= 6 and 0 for x <= -6 (the exact value there
 * is below 6e-9 in magnitude).
 *
 * Accuracy against erf in double (tests/kernels/test_gelu.c sweeps [-10, 10]
 * at step 2^-17 through each tier's igemm kernel and prints the figure):
 *   fit error of E with these float coefficients, evaluated in double: 2.2e-8
 *   E evaluated in float (FMA Horner, one correctly rounded division):
 *     max |E - erf| measured 3.6e-7 (AVX2 here; NEON under qemu and AVX-512
 *     under SIMDe emulation give the same), tested against a bound of 4e-7
 * so |gelu_simd(x) - gelu(x)| <= 0.5*|x|*4e-7 + 2^-24*|gelu(x)|: about 3 ulp
 * relative for x > 0, and at most 1e-6 absolute anywhere (x < 0 included).
 * Infinities follow the formula (gelu(+inf) = +inf; gelu(-inf) = NaN, as
 * 0.5*x*(1+erf) gives) and a NaN stays NaN (the clamps pass NaN through). */
#ifndef UPERNET_KERNELS_SIMD_GELU_COEFFS_H
#define UPERNET_KERNELS_SIMD_GELU_COEFFS_H

#define UPERNET_GELU_CLAMP 6.0f
#define UPERNET_GELU_P0 7.978844643e-01f
#define UPERNET_GELU_P1 6.770636141e-02f
#define UPERNET_GELU_P2 9.354590438e-03f
#define UPERNET_GELU_P3 3.376626701e-04f
#define UPERNET_GELU_P4 1.270434859e-05f
#define UPERNET_GELU_P5 4.549819010e-08f
#define UPERNET_GELU_Q1 2.515232563e-01f
#define UPERNET_GELU_Q2 2.864618227e-02f
#define UPERNET_GELU_Q3 1.884476747e-03f
#define UPERNET_GELU_Q4 7.364941121e-05f
#define UPERNET_GELU_Q5 1.197500183e-06f

#endif
