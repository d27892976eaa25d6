/* upernet convert IN OUT_DIR [--model SIZE|config.json]: turns any weights
 * file upernet reads (mmseg .pth, pytorch_model.bin, safetensors) into what
 * transformers' save_pretrained writes: OUT_DIR/model.safetensors (HF names),
 * config.json and preprocessor_config.json, so that
 * UperNetForSemanticSegmentation.from_pretrained(OUT_DIR) loads it. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "upernet.h"

static void convert_usage(FILE *out)
{
    fprintf(out,
            "usage: upernet convert IN OUT_DIR [--model SIZE|CONFIG.json]\n"
            "       upernet convert SIZE|CONFIG.json OUT_DIR   (the synthetic weights)\n"
            "Reads IN (an mmsegmentation .pth, a transformers pytorch_model.bin or a\n"
            "model.safetensors; recognised by content, never executed), checks it against\n"
            "the configuration and writes OUT_DIR/model.safetensors, config.json and\n"
            "preprocessor_config.json as transformers' save_pretrained does.\n"
            "  --model M   tiny, small, base, large, xlarge, or an HF config.json\n"
            "              (default: the built-in size whose shapes IN matches)\n"
            "IN may also be a size or a config.json (a name ending in .json): its\n"
            "deterministic synthetic weights (the built-in models of forward, segment\n"
            "and bench) are written, e.g. as a checkpoint file for tests.\n");
}

int cmd_convert(int argc, char **argv)
{
    static const struct option options[] = {
        {"model", required_argument, NULL, 'm'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *model_spec = NULL;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'm': model_spec = optarg; break;
        case 'h': convert_usage(stdout); return 0;
        default: convert_usage(stderr); return EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        convert_usage(stderr);
        return EXIT_USAGE;
    }
    const char *in = argv[optind], *out_dir = argv[optind + 1];
    upernet_error err;
    upernet_weights *w = NULL;
    /* a configuration (a config.json, or no such file: a size) stands for
     * its synthetic weights */
    const size_t in_len = strlen(in);
    const int synthetic =
        (in_len >= 5 && strcmp(in + in_len - 5, ".json") == 0) || access(in, F_OK) != 0;
    if (synthetic && model_spec == NULL)
        model_spec = in;
    if ((synthetic ? upernet_weights_synthetic(in, &w, &err)
                   : upernet_weights_open(in, &w, &err)) != UPERNET_OK) {
        fprintf(stderr, "upernet convert: %s\n", err.message);
        return 1;
    }
    int status = 1;
    if (upernet_weights_save_pretrained(w, model_spec, out_dir, &err) != UPERNET_OK) {
        fprintf(stderr, "upernet convert: %s\n", err.message);
    } else {
        printf("%s (%s, %s names) -> %s/{model.safetensors,config.json,preprocessor_config.json}: "
               "%zu tensors\n",
               upernet_weights_source(w), upernet_weights_format_name(upernet_weights_format(w)),
               upernet_key_naming_name(upernet_weights_naming(w)), out_dir,
               upernet_weights_count(w));
        status = 0;
    }
    upernet_weights_free(w);
    return status;
}
