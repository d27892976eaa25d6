/* f32 Winograd F(2x2,3x3) output transform, AVX2, 8 channels per vector: the body and its
 * contract are f32-winograd23-output-tpl.h, over kernels/simd/vec-avx2.h. */
#include "config.h"

#include "kernels/simd/vec-avx2.h"

#define UPERNET_WINOGRAD23_OUTPUT_FN upernet_f32_winograd23_output_ukernel_8c__avx2
#include "kernels/f32-winograd23/f32-winograd23-output-tpl.h"
