/* FP32 FMA peak, AVX-512F, 16 ZMM chains: the body is
 * f32-fmapeak-16acc-tpl.h, over kernels/simd/vec-avx512.h. */
#include "config.h"

#include "kernels/simd/vec-avx512.h"

#define UPERNET_FMAPEAK_FN upernet_f32_fmapeak_ukernel_16acc__avx512
#include "kernels/f32-fmapeak/f32-fmapeak-16acc-tpl.h"
