/* upernet preprocess: an image file to the pixel_values transformers'
 * SegformerImageProcessor (Pillow path) would produce, as float32 .npy. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "upernet.h"

/* Input sizes above this are refused: the model's activations at 8192x8192
 * would need hundreds of GiB anyway. */
#define CLI_MAX_SIDE 8192

int cli_parse_size(const char *verb, const char *text, int *height, int *width)
{
    char *end;
    long h = strtol(text, &end, 10);
    long w = h;
    if (end != text && (*end == 'x' || *end == 'X')) {
        const char *rest = end + 1;
        w = strtol(rest, &end, 10);
        if (end == rest)
            w = -1;
    }
    if (end == text || *end != '\0' || h < 1 || w < 1 || h > CLI_MAX_SIDE || w > CLI_MAX_SIDE) {
        fprintf(stderr, "upernet %s: --size takes HxW (or N for NxN), each in 1..%d, not '%s'\n",
                verb, CLI_MAX_SIDE, text);
        return -1;
    }
    *height = (int) h;
    *width = (int) w;
    return 0;
}

int cli_parse_resize_order(const char *verb, const char *text, int *compat)
{
    if (strcmp(text, "pillow12") == 0) {
        *compat = UPERNET_RESIZE_PILLOW_CLASSIC;
        return 0;
    }
    if (strcmp(text, "pillow13") == 0) {
        *compat = UPERNET_RESIZE_PILLOW_13;
        return 0;
    }
    fprintf(stderr, "upernet %s: --resize-order takes pillow12 or pillow13, not '%s'\n", verb, text);
    return -1;
}

static void preprocess_usage(FILE *out)
{
    fprintf(out,
            "usage: upernet preprocess IMAGE [--size HxW] [--resize-order pillow12|pillow13]\n"
            "                          [--processor PREPROCESSOR_CONFIG.json] --output PIXELS.npy\n"
            "Decodes IMAGE (JPEG or PNG) and writes the float32 (1,3,H,W) pixel values that\n"
            "transformers' SegformerImageProcessor (Pillow path) produces: Pillow-exact\n"
            "decoding and BILINEAR resize to HxW (default 512x512, aspect ratio not kept),\n"
            "rescale by 1/255, normalise with the ImageNet mean and std.\n"
            "  --size HxW     output height x width (default 512x512, or the processor's)\n"
            "  --processor F  a preprocessor_config.json: its size, do_resize, resample\n"
            "                 (2, BILINEAR, only), do_rescale, rescale_factor, do_normalize,\n"
            "                 image_mean and image_std replace the defaults above\n"
            "  --resize-order pillow12 (default, the reference) or pillow13: Pillow 13\n"
            "                 filters vertically first when both sides change and the\n"
            "                 height loses over twice as many pixels as the width\n"
            "  --output FILE  the .npy file to write (written atomically)\n");
}

int cmd_preprocess(int argc, char **argv)
{
    static const struct option options[] = {{"size", required_argument, NULL, 's'},
                                            {"output", required_argument, NULL, 'o'},
                                            {"resize-order", required_argument, NULL, 'r'},
                                            {"processor", required_argument, NULL, 'p'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    const char *output = NULL, *processor = NULL;
    int height = 0, width = 0, compat = UPERNET_RESIZE_PILLOW_CLASSIC, opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "ho:", options, NULL)) != -1) {
        switch (opt) {
        case 's':
            if (cli_parse_size("preprocess", optarg, &height, &width) != 0)
                return EXIT_USAGE;
            break;
        case 'o': output = optarg; break;
        case 'p': processor = optarg; break;
        case 'r':
            if (cli_parse_resize_order("preprocess", optarg, &compat) != 0)
                return EXIT_USAGE;
            break;
        case 'h': preprocess_usage(stdout); return 0;
        default: preprocess_usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind + 1 != argc || output == NULL) {
        fprintf(stderr, "upernet preprocess: one IMAGE and --output are required\n");
        preprocess_usage(stderr);
        return EXIT_USAGE;
    }
    const char *path = argv[optind];
    upernet_preprocessing pre;
    if (cli_preprocessing("preprocess", processor, NULL, height, width, &pre) != 0)
        return 1;
    upernet_error err;
    upernet_image image;
    if (upernet_image_load(path, &image, &err) != UPERNET_OK) {
        fprintf(stderr, "upernet preprocess: %s\n", err.message);
        return 1;
    }
    upernet_preprocessing_output_size(&pre, &image, &height, &width);
    const size_t n = (size_t) 3 * (size_t) height * (size_t) width;
    float *pixels = malloc(n * sizeof *pixels);
    int status = 1;
    if (pixels == NULL) {
        fprintf(stderr, "upernet preprocess: out of memory for %dx%d pixel values\n", height,
                width);
    } else if (upernet_preprocess_with(&image, &pre, (enum upernet_resize_compat) compat, pixels,
                                       &err) != UPERNET_OK) {
        fprintf(stderr, "upernet preprocess: %s: %s\n", path, err.message);
    } else {
        const size_t shape[4] = {1, 3, (size_t) height, (size_t) width};
        if (upernet_npy_write(output, shape, 4, pixels, &err) != UPERNET_OK)
            fprintf(stderr, "upernet preprocess: %s\n", err.message);
        else
            status = 0;
    }
    free(pixels);
    upernet_image_free(&image);
    return status;
}
