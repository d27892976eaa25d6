/* f32 layer norm, AArch64 NEON, 4 channels per vector: the body and its contract are
 * f32-layernorm-tpl.h, over kernels/simd/vec-neon.h. */
#include "config.h"

#include "kernels/simd/vec-neon.h"

#define UPERNET_LAYERNORM_FN upernet_f32_layernorm_ukernel_4c__neon
#include "kernels/f32-layernorm/f32-layernorm-tpl.h"
