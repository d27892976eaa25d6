/* f32 layer norm, AVX2+FMA, 8 channels per vector: the body and its contract are
 * f32-layernorm-tpl.h, over kernels/simd/vec-avx2.h. */
#include "config.h"

#include "kernels/simd/vec-avx2.h"

#define UPERNET_LAYERNORM_FN upernet_f32_layernorm_ukernel_8c__avx2
#include "kernels/f32-layernorm/f32-layernorm-tpl.h"
