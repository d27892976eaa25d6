/* Prototypes of the FMA-peak loops (f32-fmapeak.inc); benchmark use only. */
#ifndef UPERNET_KERNELS_F32_FMAPEAK_H
#define UPERNET_KERNELS_F32_FMAPEAK_H

#include <stddef.h>

#include "upernet.h"

typedef double (*upernet_f32_fmapeak_fn)(size_t iterations, float *sink);

#define UPERNET_FMAPEAK_UKERNEL(tier, fn, lanes) double fn(size_t iterations, float *sink);
#include "kernels/f32-fmapeak/f32-fmapeak.inc"
#undef UPERNET_FMAPEAK_UKERNEL

#endif
