#include "config.h"

#include "kernels/cpu-features.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

/* XGETBV via its opcode bytes' mnemonic: needs no -mxsave, so this file stays
 * free of ISA flags. Only called once CPUID says OSXSAVE is set. */
static unsigned long long read_xcr0(void)
{
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long) edx << 32) | eax;
}

static void probe(struct upernet_cpu_features *f)
{
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
        return;
    const bool osxsave = (ecx >> 27) & 1;
    const bool avx = (ecx >> 28) & 1;
    f->fma = (ecx >> 12) & 1;
    if (osxsave) {
        const unsigned long long xcr0 = read_xcr0();
        /* XMM (bit 1) and YMM (bit 2) state for AVX; plus opmask, ZMM_Hi256 and
         * Hi16_ZMM (bits 5-7) for AVX-512. */
        f->os_saves_ymm = avx && (xcr0 & 0x6) == 0x6;
        f->os_saves_zmm = f->os_saves_ymm && (xcr0 & 0xE6) == 0xE6;
    }
    if (__get_cpuid_max(0, NULL) >= 7) {
        __cpuid_count(7, 0, eax, ebx, ecx, edx);
        f->avx2 = (ebx >> 5) & 1;
        f->avx512f = (ebx >> 16) & 1;
        f->avx512dq = (ebx >> 17) & 1;
        f->avx512bw = (ebx >> 30) & 1;
        f->avx512vl = (ebx >> 31) & 1;
    }
}
#elif defined(__aarch64__) && defined(HAVE_SYS_AUXV_H)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1 << 1)
#endif
static void probe(struct upernet_cpu_features *f)
{
    f->asimd = (getauxval(AT_HWCAP) & HWCAP_ASIMD) != 0;
}
#else
static void probe(struct upernet_cpu_features *f)
{
    (void) f;
}
#endif

static struct upernet_cpu_features host_features;
static pthread_once_t host_features_once = PTHREAD_ONCE_INIT;

static void probe_host(void)
{
    probe(&host_features);
}

const struct upernet_cpu_features *upernet_cpu_features(void)
{
    pthread_once(&host_features_once, probe_host);
    return &host_features;
}

void upernet_cpu_features_describe(const struct upernet_cpu_features *f, char *buf, size_t size)
{
    const struct { bool on; const char *name; } list[] = {
        {f->fma, "fma"},           {f->avx2, "avx2"},
        {f->avx512f, "avx512f"},   {f->avx512bw, "avx512bw"},
        {f->avx512dq, "avx512dq"}, {f->avx512vl, "avx512vl"},
        {f->os_saves_ymm, "os-ymm"}, {f->os_saves_zmm, "os-zmm"},
        {f->asimd, "asimd"},
    };
    size_t used = 0;
    if (size == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
        if (!list[i].on)
            continue;
        int n = snprintf(buf + used, size - used, "%s%s", used ? " " : "", list[i].name);
        if (n < 0 || (size_t) n >= size - used)
            break;
        used += (size_t) n;
    }
    if (used == 0)
        snprintf(buf, size, "(none)");
}
