/* What the CPU and the operating system let us run. Probed once; cheap to
 * call again. Only generic code: this file is compiled without any -m flag. */
#ifndef UPERNET_KERNELS_CPU_FEATURES_H
#define UPERNET_KERNELS_CPU_FEATURES_H

#include <stdbool.h>
#include <stddef.h>

struct upernet_cpu_features {
    /* x86-64: CPUID bits, and whether the OS saves the register state (XCR0). */
    bool fma, avx2, avx512f, avx512bw, avx512dq, avx512vl;
    bool os_saves_ymm, os_saves_zmm;
    /* AArch64: Advanced SIMD (always present on Linux/AArch64, still probed). */
    bool asimd;
};

/* The host's features (probed on the first call). */
const struct upernet_cpu_features *upernet_cpu_features(void);

/* Writes a space-separated list such as "fma avx2 avx512f ... os-zmm" into buf. */
void upernet_cpu_features_describe(const struct upernet_cpu_features *f, char *buf, size_t size);

#endif
