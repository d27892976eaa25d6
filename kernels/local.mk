# Kernels: the generic part (CPU probe, dispatch table, scalar references,
# and the SSE2 variants: SSE2 is part of the x86-64 baseline, those sources
# are empty elsewhere) is built with the library's own flags; each ISA tier
# is a convenience library built with exactly its -m flags, so no vector
# instruction of a higher tier can reach generic code.
libupernet_core_la_SOURCES += \
	kernels/cpu-features.c kernels/cpu-features.h \
	kernels/dispatch.c kernels/dispatch.h \
	kernels/microkernels.h \
	kernels/f32-layernorm/f32-layernorm.inc \
	kernels/f32-layernorm/f32-layernorm-tpl.h \
	kernels/f32-layernorm/f32-layernorm-scalar.c \
	kernels/pack.c kernels/pack.h kernels/gelu.h \
	kernels/simd/gelu-coeffs.h kernels/simd/gelu-vec.h \
	kernels/f32-igemm/f32-igemm.inc \
	kernels/f32-igemm/f32-igemm-tpl.h \
	kernels/f32-igemm/f32-igemm-4x4-scalar.c \
	kernels/f32-dwconv7x7/f32-dwconv7x7.inc \
	kernels/f32-dwconv7x7/f32-dwconv7x7-tpl.h \
	kernels/f32-dwconv7x7/f32-dwconv7x7-scalar.c \
	kernels/f32-fmapeak/f32-fmapeak.inc kernels/f32-fmapeak/fmapeak.h \
	kernels/f32-fmapeak/f32-fmapeak-16acc-tpl.h \
	kernels/f32-fmapeak/f32-fmapeak-16acc-scalar.c \
	kernels/f32-winograd23/f32-winograd23-input.inc \
	kernels/f32-winograd23/f32-winograd23-output.inc \
	kernels/f32-winograd23/f32-winograd23-input-tpl.h \
	kernels/f32-winograd23/f32-winograd23-output-tpl.h \
	kernels/f32-winograd23/f32-winograd23-input-scalar.c \
	kernels/f32-winograd23/f32-winograd23-output-scalar.c \
	kernels/f32-bilinear/f32-bilinear-h.inc kernels/f32-bilinear/f32-bilinear-v.inc \
	kernels/f32-bilinear/f32-bilinear-h-scalar.c \
	kernels/f32-bilinear/f32-bilinear-v-scalar.c \
	kernels/f32-bilinear/f32-bilinear-h-4x4-sse2.c \
	kernels/f32-bilinear/f32-bilinear-v-stream-sse2.c \
	kernels/f32-bilinear/f32-bilinear-hp.inc \
	kernels/f32-bilinear/f32-bilinear-hp-scalar.c \
	kernels/f32-bilinear/f32-bilinear-hp-4x4-sse2.c \
	kernels/f32-bilinear-argmax/f32-bilinear-argmax.inc \
	kernels/f32-bilinear-argmax/f32-bilinear-argmax-tpl.h \
	kernels/f32-bilinear-argmax/f32-bilinear-argmax-scalar.c

UPERNET_AVX2_SOURCES = \
	kernels/f32-layernorm/f32-layernorm-8c-avx2.c \
	kernels/simd/vec-avx2.h \
	kernels/f32-igemm/f32-igemm-6x16-avx2.c \
	kernels/f32-dwconv7x7/f32-dwconv7x7-8c-avx2.c \
	kernels/f32-fmapeak/f32-fmapeak-16acc-avx2.c \
	kernels/f32-winograd23/f32-winograd23-input-8c-avx2.c \
	kernels/f32-winograd23/f32-winograd23-output-8c-avx2.c \
	kernels/f32-bilinear-argmax/f32-bilinear-argmax-8p-avx2.c
UPERNET_AVX512_SOURCES = \
	kernels/f32-layernorm/f32-layernorm-16c-avx512.c \
	kernels/simd/vec-avx512.h \
	kernels/f32-igemm/f32-igemm-8x32-avx512.c \
	kernels/f32-fmapeak/f32-fmapeak-16acc-avx512.c \
	kernels/f32-dwconv7x7/f32-dwconv7x7-16c-avx512.c \
	kernels/f32-winograd23/f32-winograd23-input-16c-avx512.c \
	kernels/f32-winograd23/f32-winograd23-output-16c-avx512.c \
	kernels/f32-bilinear-argmax/f32-bilinear-argmax-16p-avx512.c
UPERNET_NEON_SOURCES = \
	kernels/f32-layernorm/f32-layernorm-4c-neon.c \
	kernels/simd/vec-neon.h \
	kernels/f32-igemm/f32-igemm-8x8-neon.c \
	kernels/f32-fmapeak/f32-fmapeak-16acc-neon.c \
	kernels/f32-dwconv7x7/f32-dwconv7x7-4c-neon.c \
	kernels/f32-winograd23/f32-winograd23-input-4c-neon.c \
	kernels/f32-winograd23/f32-winograd23-output-4c-neon.c \
	kernels/f32-bilinear-argmax/f32-bilinear-argmax-4p-neon.c

if BUILD_AVX2
noinst_LTLIBRARIES += libupernet_avx2.la
libupernet_avx2_la_SOURCES = $(UPERNET_AVX2_SOURCES)
libupernet_avx2_la_CFLAGS = $(AM_CFLAGS) $(UPERNET_ISA_FLAGS_AVX2)
libupernet_core_la_LIBADD += libupernet_avx2.la
else
EXTRA_DIST += $(UPERNET_AVX2_SOURCES)
endif

if BUILD_AVX512
noinst_LTLIBRARIES += libupernet_avx512.la
libupernet_avx512_la_SOURCES = $(UPERNET_AVX512_SOURCES)
libupernet_avx512_la_CFLAGS = $(AM_CFLAGS) $(UPERNET_ISA_FLAGS_AVX512)
libupernet_core_la_LIBADD += libupernet_avx512.la
else
EXTRA_DIST += $(UPERNET_AVX512_SOURCES)
endif
# The <immintrin.h> of --enable-avx512-emulation builds (on their include path
# through UPERNET_ISA_FLAGS_AVX512, never in a _SOURCES list).
EXTRA_DIST += kernels/simd/simde-avx512/immintrin.h

if BUILD_NEON
noinst_LTLIBRARIES += libupernet_neon.la
libupernet_neon_la_SOURCES = $(UPERNET_NEON_SOURCES)
libupernet_neon_la_CFLAGS = $(AM_CFLAGS) $(UPERNET_ISA_FLAGS_NEON)
libupernet_core_la_LIBADD += libupernet_neon.la
else
EXTRA_DIST += $(UPERNET_NEON_SOURCES)
endif
