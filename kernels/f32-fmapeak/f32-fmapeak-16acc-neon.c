/* FP32 FMA peak, AArch64 NEON, 16 Q-register chains: the body is
 * f32-fmapeak-16acc-tpl.h, over kernels/simd/vec-neon.h. */
#include "config.h"

#include "kernels/simd/vec-neon.h"

#define UPERNET_FMAPEAK_FN upernet_f32_fmapeak_ukernel_16acc__neon
#include "kernels/f32-fmapeak/f32-fmapeak-16acc-tpl.h"
