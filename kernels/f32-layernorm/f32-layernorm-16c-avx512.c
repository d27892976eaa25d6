/* f32 layer norm, AVX-512F, 16 channels per vector: the body and its contract are
 * f32-layernorm-tpl.h, over kernels/simd/vec-avx512.h. */
#include "config.h"

#include "kernels/simd/vec-avx512.h"

#define UPERNET_LAYERNORM_FN upernet_f32_layernorm_ukernel_16c__avx512
#include "kernels/f32-layernorm/f32-layernorm-tpl.h"
