/* f32 Winograd F(2x2,3x3) input transform, AVX-512F, 16 channels per vector: the body and its
 * contract are f32-winograd23-input-tpl.h, over kernels/simd/vec-avx512.h. */
#include "config.h"

#include "kernels/simd/vec-avx512.h"

#define UPERNET_WINOGRAD23_INPUT_FN upernet_f32_winograd23_input_ukernel_16c__avx512
#include "kernels/f32-winograd23/f32-winograd23-input-tpl.h"
