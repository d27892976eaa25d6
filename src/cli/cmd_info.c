/* upernet info [--isa TIER]: CPU features, the chosen kernel tier and the
 * kernel in each dispatch slot. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli_weights.h"
#include "cli/commands.h"
#include "kernels/dispatch.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static void info_usage(FILE *out)
{
    fprintf(out, "usage: upernet info [--isa scalar|avx2|avx512|neon]\n"
                 "       upernet info WEIGHTS   (format, naming, detected size, parameters, dtypes)\n"
                 "Prints the CPU features upernet detected, the tiers built into this binary,\n"
                 "the kernel tier in use and the kernel each dispatch slot holds.\n");
}

int cmd_info(int argc, char **argv)
{
    static const struct option options[] = {
        {"isa", required_argument, NULL, 'i'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *isa = NULL;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'i': isa = optarg; break;
        case 'h': info_usage(stdout); return 0;
        default: info_usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind == argc - 1)
        return cli_info_weights(argv[optind]); /* upernet info WEIGHTS */
    if (optind != argc) {
        info_usage(stderr);
        return EXIT_USAGE;
    }
    if (cli_select_isa(isa) != 0)
        return 1;

    const struct upernet_cpu_features *f = upernet_cpu_features();
    char features[256];
    upernet_cpu_features_describe(f, features, sizeof features);
    printf("cpu features: %s\n", features);
    printf("tiers built:  ");
    for (int i = 0; i < UPERNET_ISA_COUNT; i++) {
        const enum upernet_isa t = (enum upernet_isa) i;
        if (upernet_isa_built(t))
            printf("%s%s ", upernet_isa_name(t),
                   upernet_isa_emulated(t)        ? "(emulated by SIMDe: testing only)"
                   : upernet_isa_runnable(f, t) ? ""
                                                : "(not runnable)");
    }
    printf("\nbest tier:    %s\n", upernet_isa_name(upernet_isa_best(f)));
    const struct upernet_kernel_table *t = upernet_kernels();
    printf("active tier:  %s\n", upernet_isa_name(t->isa));
#ifdef _OPENMP
    printf("threads:      %d (OpenMP)\n", omp_get_max_threads());
#else
    printf("threads:      1 (built without OpenMP)\n");
#endif
    char slots[4096];
    upernet_kernels_describe(t, slots, sizeof slots);
    printf("kernels:\n%s", slots);
    return 0;
}
