/* f32 bilinear vertical step + argmax, AVX-512F, 16 pixels per vector: the
 * body and its contract are f32-bilinear-argmax-tpl.h, over
 * kernels/simd/vec-avx512.h. */
#include "config.h"

#include "kernels/simd/vec-avx512.h"

#define UPERNET_BILINEAR_ARGMAX_FN upernet_f32_bilinear_argmax_ukernel_16p__avx512
#include "kernels/f32-bilinear-argmax/f32-bilinear-argmax-tpl.h"
