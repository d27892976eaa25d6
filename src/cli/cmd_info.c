/* upernet info [--isa TIER]: CPU features, the chosen kernel tier and the
 * kernel in each dispatch slot. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "upernet.h"

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
    upernet_model_options model_options;
    if (cli_model_options("info", isa, 0, &model_options) != 0)
        return 1;

    char features[256];
    upernet_describe_cpu(features, sizeof features);
    printf("cpu features: %s\n", features);
    printf("tiers built:  ");
    for (int i = 0; i < UPERNET_ISA_COUNT; i++) {
        const enum upernet_isa t = (enum upernet_isa) i;
        if (upernet_isa_built(t))
            printf("%s%s ", upernet_isa_name(t),
                   upernet_isa_emulated(t)   ? "(emulated by SIMDe: testing only)"
                   : upernet_isa_supported(t) ? ""
                                              : "(not runnable)");
    }
    const enum upernet_isa best = upernet_isa_best_supported();
    const enum upernet_isa active = model_options.isa == UPERNET_ISA_AUTO ? best : model_options.isa;
    printf("\nbest tier:    %s\n", upernet_isa_name(best));
    printf("active tier:  %s\n", upernet_isa_name(active));
#ifdef _OPENMP
    printf("threads:      %d (OpenMP)\n", omp_get_max_threads());
#else
    printf("threads:      1 (built without OpenMP)\n");
#endif
    char slots[4096];
    upernet_describe_kernels(active, slots, sizeof slots);
    printf("kernels:\n%s", slots);
    return 0;
}

int cli_info_weights(const char *path)
{
    upernet_error err;
    upernet_weights *w = NULL;
    if (upernet_weights_open(path, &w, &err) != UPERNET_OK) {
        fprintf(stderr, "upernet info: %s\n", err.message);
        return 1;
    }
    size_t float_params = 0, int_params = 0;
    size_t per_dtype[UPERNET_DTYPE_BOOL + 1] = {0};
    for (size_t i = 0; i < upernet_weights_count(w); i++) {
        const struct upernet_tensor *t = upernet_weights_at(w, i);
        if (t->ints != NULL)
            int_params += t->numel;
        else
            float_params += t->numel;
        if ((int) t->stored_dtype >= 0 && t->stored_dtype <= UPERNET_DTYPE_BOOL)
            per_dtype[t->stored_dtype]++;
    }
    const char *size = upernet_weights_detect_size(w);
    printf("file:        %s\n", upernet_weights_source(w));
    printf("format:      %s\n", upernet_weights_format_name(upernet_weights_format(w)));
    printf("naming:      %s%s\n", upernet_key_naming_name(upernet_weights_naming(w)),
           upernet_weights_naming(w) == UPERNET_NAMING_MMSEG ? " (renamed to hf on load)" : "");
    printf("size:        %s\n", size != NULL ? size : "none of the built-in sizes");
    /* The feature maps the head reads (out_features): one
     * hidden_states_norms entry each; and whether the blocks have gamma. */
    static const char *const stage_names[] = {"stem", "stage1", "stage2", "stage3", "stage4"};
    printf("levels:     ");
    int levels = 0;
    for (size_t k = 0; k < sizeof stage_names / sizeof stage_names[0]; k++) {
        char key[96];
        snprintf(key, sizeof key, "backbone.hidden_states_norms.%s.weight", stage_names[k]);
        if (upernet_weights_find(w, key) != NULL) {
            printf(" %s", stage_names[k]);
            levels++;
        }
    }
    printf("%s\n", levels ? "" : " none (no backbone.hidden_states_norms)");
    int layer_scale = 0;
    for (size_t i = 0; i < upernet_weights_count(w) && !layer_scale; i++)
        layer_scale = strstr(upernet_weights_at(w, i)->name, ".layer_scale_parameter") != NULL;
    printf("layer scale: %s\n", layer_scale ? "yes" : "no (layer_scale_init_value <= 0)");
    printf("tensors:     %zu\n", upernet_weights_count(w));
    printf("parameters:  %zu floating, %zu integer\n", float_params, int_params);
    printf("dtypes:     ");
    for (int d = 0; d <= UPERNET_DTYPE_BOOL; d++)
        if (per_dtype[d])
            printf(" %s x%zu", upernet_dtype_name((enum upernet_dtype) d), per_dtype[d]);
    printf("\n");
    upernet_weights_free(w);
    return 0;
}
