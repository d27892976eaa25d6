/* f32 bilinear vertical step + argmax, NEON, 4 pixels per vector: the
 * body and its contract are f32-bilinear-argmax-tpl.h, over
 * kernels/simd/vec-neon.h. */
#include "config.h"

#include "kernels/simd/vec-neon.h"

#define UPERNET_BILINEAR_ARGMAX_FN upernet_f32_bilinear_argmax_ukernel_4p__neon
#include "kernels/f32-bilinear-argmax/f32-bilinear-argmax-tpl.h"
