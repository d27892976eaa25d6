/* f32 indirect GEMM, 6x16 tile, AVX2+FMA: the body and its contract
 * are f32-igemm-tpl.h, over kernels/simd/vec-avx2.h. */
#include "config.h"

#include "kernels/simd/vec-avx2.h"

#define UPERNET_IGEMM_FN upernet_f32_igemm_ukernel_6x16__avx2
#define UPERNET_IGEMM_MR 6
#include "kernels/f32-igemm/f32-igemm-tpl.h"
