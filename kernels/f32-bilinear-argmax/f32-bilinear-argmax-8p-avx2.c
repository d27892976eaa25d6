/* f32 bilinear vertical step + argmax, AVX2, 8 pixels per vector: the
 * body and its contract are f32-bilinear-argmax-tpl.h, over
 * kernels/simd/vec-avx2.h. */
#include "config.h"

#include "kernels/simd/vec-avx2.h"

#define UPERNET_BILINEAR_ARGMAX_FN upernet_f32_bilinear_argmax_ukernel_8p__avx2
#include "kernels/f32-bilinear-argmax/f32-bilinear-argmax-tpl.h"
