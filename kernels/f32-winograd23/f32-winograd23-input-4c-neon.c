/* f32 Winograd F(2x2,3x3) input transform, NEON, 4 channels per vector: the body and its
 * contract are f32-winograd23-input-tpl.h, over kernels/simd/vec-neon.h. */
#include "config.h"

#include "kernels/simd/vec-neon.h"

#define UPERNET_WINOGRAD23_INPUT_FN upernet_f32_winograd23_input_ukernel_4c__neon
#include "kernels/f32-winograd23/f32-winograd23-input-tpl.h"
