/* f32 7x7 depthwise convolution, AArch64 NEON, 4 channels per vector: the body
 * and its contract are f32-dwconv7x7-tpl.h, over kernels/simd/vec-neon.h. */
#include "config.h"

#include "kernels/simd/vec-neon.h"

#define UPERNET_DWCONV7X7_FN upernet_f32_dwconv7x7_ukernel_4c__neon
#include "kernels/f32-dwconv7x7/f32-dwconv7x7-tpl.h"
