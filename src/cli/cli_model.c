/* The model as every computing verb opens it: options from the command line
 * and the environment (the library itself reads no environment variable),
 * then upernet_model_open. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "upernet.h"

int cli_model_options(const char *verb, const char *isa, long threads,
                      upernet_model_options *options)
{
    upernet_model_options_init(options);
    upernet_error err;
    const char *source = "--isa";
    if (isa == NULL) {
        isa = getenv("UPERNET_ISA");
        source = "UPERNET_ISA";
    }
    if (isa != NULL && upernet_isa_from_name(isa, &options->isa, &err) != UPERNET_OK) {
        fprintf(stderr, "upernet %s: %s: %s\n", verb, source, err.message);
        return 1;
    }
    const char *conv3x3 = getenv("UPERNET_CONV3X3");
    if (conv3x3 == NULL || conv3x3[0] == '\0' || strcmp(conv3x3, "winograd") == 0) {
        options->conv3x3 = UPERNET_CONV3X3_WINOGRAD;
    } else if (strcmp(conv3x3, "direct") == 0) {
        options->conv3x3 = UPERNET_CONV3X3_DIRECT;
    } else {
        fprintf(stderr, "upernet %s: UPERNET_CONV3X3 '%s' is unknown (expected winograd or direct)\n",
                verb, conv3x3);
        return 1;
    }
    options->threads = (int) threads;
    return 0;
}

int cli_preprocessing(const char *verb, const char *processor, const char *weights_path,
                      int height, int width, upernet_preprocessing *out)
{
    upernet_preprocessing_init(out);
    char found[4096];
    struct stat sb;
    if (processor == NULL && weights_path != NULL) {
        const int is_dir = stat(weights_path, &sb) == 0 && S_ISDIR(sb.st_mode);
        const char *slash = strrchr(weights_path, '/');
        if (is_dir)
            snprintf(found, sizeof found, "%s/preprocessor_config.json", weights_path);
        else if (slash != NULL)
            snprintf(found, sizeof found, "%.*s/preprocessor_config.json",
                     (int) (slash - weights_path), weights_path);
        else
            snprintf(found, sizeof found, "preprocessor_config.json");
        if (stat(found, &sb) == 0 && S_ISREG(sb.st_mode))
            processor = found;
    }
    upernet_error err;
    if (processor != NULL && upernet_preprocessing_load(processor, out, &err) != UPERNET_OK) {
        fprintf(stderr, "upernet %s: %s\n", verb, err.message);
        return 1;
    }
    if (height > 0) { /* --size wins over the processor's size */
        out->height = height;
        out->width = width;
    }
    return 0;
}

/* "synthetic:RECIPE" as --weights: the built-in weights of that recipe
 * (tools/SYNTHETIC.md). 0, or -1 when `weights` names no recipe. */
static int synthetic_recipe(const char *weights, enum upernet_synthetic_recipe *recipe)
{
    if (strcmp(weights, "synthetic:default") == 0)
        *recipe = UPERNET_SYNTHETIC_DEFAULT;
    else if (strcmp(weights, "synthetic:trained") == 0)
        *recipe = UPERNET_SYNTHETIC_TRAINED;
    else
        return -1;
    return 0;
}

upernet_model *cli_load_model(const char *verb, const char *spec, const char *weights_path,
                              const upernet_model_options *options)
{
    upernet_model_options opts = *options;
    const char *source = spec;
    if (weights_path != NULL && strncmp(weights_path, "synthetic:", 10) == 0) {
        if (synthetic_recipe(weights_path, &opts.synthetic) != 0) {
            fprintf(stderr,
                    "upernet %s: --weights %s: unknown synthetic recipe (synthetic:default or "
                    "synthetic:trained)\n",
                    verb, weights_path);
            return NULL;
        }
        if (spec == NULL) {
            fprintf(stderr, "upernet %s: --weights %s needs --model\n", verb, weights_path);
            return NULL;
        }
    } else if (weights_path != NULL) {
        opts.config = spec;
        source = weights_path;
    }
    upernet_error err;
    upernet_model *model = NULL;
    if (upernet_model_open(source, &opts, &model, &err) != UPERNET_OK) {
        fprintf(stderr, "upernet %s: %s\n", verb, err.message);
        return NULL;
    }
    const char *unused = NULL;
    const size_t n_unused = upernet_model_unused_keys(model, &unused);
    if (n_unused > 0)
        fprintf(stderr,
                "upernet %s: warning: %s: %zu key%s the configuration does not use (ignored; "
                "--strict refuses them): %s\n",
                verb, source, n_unused, n_unused == 1 ? "" : "s", unused);
    return model;
}
