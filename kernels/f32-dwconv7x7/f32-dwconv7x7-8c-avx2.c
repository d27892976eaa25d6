/* f32 7x7 depthwise convolution, AVX2+FMA, 8 channels per vector: the body
 * and its contract are f32-dwconv7x7-tpl.h, over kernels/simd/vec-avx2.h. */
#include "config.h"

#include "kernels/simd/vec-avx2.h"

#define UPERNET_DWCONV7X7_FN upernet_f32_dwconv7x7_ukernel_8c__avx2
#include "kernels/f32-dwconv7x7/f32-dwconv7x7-tpl.h"
