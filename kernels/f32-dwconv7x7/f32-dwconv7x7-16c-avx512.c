/* f32 7x7 depthwise convolution, AVX-512F, 16 channels per vector: the body
 * and its contract are f32-dwconv7x7-tpl.h, over kernels/simd/vec-avx512.h. */
#include "config.h"

#include "kernels/simd/vec-avx512.h"

#define UPERNET_DWCONV7X7_FN upernet_f32_dwconv7x7_ukernel_16c__avx512
#include "kernels/f32-dwconv7x7/f32-dwconv7x7-tpl.h"
