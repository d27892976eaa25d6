/* The public face of the kernel tiers (include/upernet.h) over the CPU probe
 * and the dispatch tables (kernels/), and the library's version. */
#include "config.h"

#include <stdio.h>

#include "kernels/cpu-features.h"
#include "kernels/dispatch.h"

const char *upernet_version(void)
{
    return UPERNET_VERSION_STRING;
}

bool upernet_isa_supported(enum upernet_isa isa)
{
    return (unsigned) isa < UPERNET_ISA_COUNT && upernet_isa_runnable(upernet_cpu_features(), isa);
}

enum upernet_isa upernet_isa_best_supported(void)
{
    return upernet_isa_best(upernet_cpu_features());
}

void upernet_describe_cpu(char *buf, size_t size)
{
    upernet_cpu_features_describe(upernet_cpu_features(), buf, size);
}

void upernet_describe_kernels(enum upernet_isa isa, char *buf, size_t size)
{
    if (size == 0)
        return;
    if (isa != UPERNET_ISA_AUTO && !upernet_isa_supported(isa)) {
        snprintf(buf, size, "  (tier %s cannot run here)\n", upernet_isa_name(isa));
        return;
    }
    upernet_error err;
    const struct upernet_kernel_table *t = upernet_kernels_for(isa, &err);
    if (t == NULL)
        snprintf(buf, size, "  (%s)\n", err.message);
    else
        upernet_kernels_describe(t, buf, size);
}
