/* f32 indirect GEMM, 8x32 tile, AVX-512F: the body and its contract
 * are f32-igemm-tpl.h, over kernels/simd/vec-avx512.h. */
#include "config.h"

#include "kernels/simd/vec-avx512.h"

#define UPERNET_IGEMM_FN upernet_f32_igemm_ukernel_8x32__avx512
#define UPERNET_IGEMM_MR 8
#include "kernels/f32-igemm/f32-igemm-tpl.h"
