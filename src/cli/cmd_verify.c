/* upernet verify: the check the HF conversion script runs. Segments one image
 * at 512x512 and compares logits[0, 0, :3, :3] with the expected slice at
 * atol 1e-4: for the real checkpoints the slices of docs/SPECIFICATION.md §9
 * (ADE_val_00000001.jpg), for the built-in synthetic weights slices that
 * transformers computed on data/images/jpeg-683x512.jpg
 * (tools/make_verify_slices.py). */
#include "config.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "upernet.h"

#define VERIFY_ATOL 1e-4

struct expected_slice {
    const char *size;
    float values[9]; /* logits[0, 0, :3, :3], row-major */
};

/* The conversion script's expected slices (real weights, ADE_val_00000001.jpg). */
static const struct expected_slice real_slices[] = {
    {"tiny", {-8.8110f, -8.8110f, -8.6521f, -8.8110f, -8.8110f, -8.6521f, -8.7746f, -8.7746f, -8.6130f}},
    {"small", {-8.8236f, -8.8236f, -8.6771f, -8.8236f, -8.8236f, -8.6771f, -8.7638f, -8.7638f, -8.6240f}},
    {"base", {-8.8558f, -8.8558f, -8.6905f, -8.8558f, -8.8558f, -8.6905f, -8.7669f, -8.7669f, -8.6021f}},
    {"large", {-8.6660f, -8.6660f, -8.6210f, -8.6660f, -8.6660f, -8.6210f, -8.6310f, -8.6310f, -8.5964f}},
    {"xlarge", {-8.4980f, -8.4980f, -8.3977f, -8.4980f, -8.4980f, -8.3977f, -8.4379f, -8.4379f, -8.3412f}},
};

/* transformers' logits with the synthetic weights (src/model/synthetic.c ==
 * tools/synthetic.py) on data/images/jpeg-683x512.jpg through
 * SegformerImageProcessorPil: output of tools/make_verify_slices.py. */
static const struct expected_slice synthetic_slices[] = {
#include "cli/verify_synthetic_slices.inc"
};

/* FNV-1a 64 of the decoded RGB of data/images/jpeg-683x512.jpg: the synthetic
 * slices only hold for that image. */
#define SYNTHETIC_IMAGE_FNV 0x3114f22213fb9f79ull

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* "upernet-convnext-tiny", "openmmlab/upernet-convnext-tiny" -> "tiny". */
static const char *size_name(const char *model)
{
    const char *slash = strrchr(model, '/');
    if (slash != NULL)
        model = slash + 1;
    if (strncmp(model, "upernet-convnext-", 17) == 0)
        model += 17;
    return model;
}

static const struct expected_slice *find_slice(const struct expected_slice *table, size_t n,
                                               const char *size)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(table[i].size, size) == 0)
            return &table[i];
    return NULL;
}

int cli_cache_dir(const char *size, char *out, size_t out_size)
{
    const char *root = getenv("UPERNET_CACHE");
    int n;
    if (root != NULL && root[0] != '\0') {
        n = snprintf(out, out_size, "%s/upernet-convnext-%s", root, size);
    } else {
        const char *home = getenv("HOME");
        if (home == NULL || home[0] == '\0')
            return -1;
        n = snprintf(out, out_size, "%s/.cache/upernet/upernet-convnext-%s", home, size);
    }
    return n > 0 && (size_t) n < out_size ? 0 : -1;
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void verify_usage(FILE *out)
{
    fprintf(out,
            "usage: upernet verify --model SIZE [--weights FILE] [--image FILE] [--isa TIER]\n"
            "                      [--threads N] [--strict] [--processor FILE]\n"
            "Runs the HF conversion script's check: segments the image at 512x512, prints\n"
            "logits[0, 0, :3, :3] and compares it with the expected slice at atol 1e-4.\n"
            "Prints \"Looks ok!\" and exits 0 when it matches, lists the differences and\n"
            "exits 1 otherwise.\n"
            "  --model SIZE   tiny, small, base, large or xlarge (or upernet-convnext-SIZE)\n"
            "  --weights F    the real checkpoint (model.safetensors, pytorch_model.bin or\n"
            "                 an mmseg .pth); compared with the published slice\n"
            "  --image F      default: ADE_val_00000001.jpg in the cache\n"
            "  --processor F  a preprocessor_config.json (default: the one next to the\n"
            "                 weights, else SegformerImageProcessor()'s 512x512 settings)\n"
            "  --strict       refuse weights holding keys the configuration does not use\n"
            "                 (default: load them and name them in one warning)\n"
            "Without --weights the cache is searched (model.safetensors, then\n"
            "pytorch_model.bin); if it has none, the built-in synthetic weights are\n"
            "used, whose expected slice is known for data/images/jpeg-683x512.jpg only.\n"
            "Cache: $UPERNET_CACHE/upernet-convnext-SIZE, default\n"
            "~/.cache/upernet/upernet-convnext-SIZE (make fetch-weights MODEL=...).\n");
}

int cmd_verify(int argc, char **argv)
{
    static const struct option options[] = {
        {"model", required_argument, NULL, 'm'},   {"weights", required_argument, NULL, 'w'},
        {"image", required_argument, NULL, 'i'},   {"isa", required_argument, NULL, 'I'},
        {"threads", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
        {"strict", no_argument, NULL, 'S'},        {"processor", required_argument, NULL, 'p'},
        {NULL, 0, NULL, 0}};
    const char *model_arg = NULL, *weights = NULL, *image_path = NULL, *isa = NULL;
    const char *processor = NULL;
    long threads = 0;
    int strict = 0, opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'm': model_arg = optarg; break;
        case 'w': weights = optarg; break;
        case 'i': image_path = optarg; break;
        case 'I': isa = optarg; break;
        case 't':
            if (cli_parse_positive("verify", "--threads", optarg, 4096, &threads) != 0)
                return EXIT_USAGE;
            break;
        case 'S': strict = 1; break;
        case 'p': processor = optarg; break;
        case 'h': verify_usage(stdout); return 0;
        default: verify_usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc || model_arg == NULL) {
        fprintf(stderr, "upernet verify: --model is required\n");
        verify_usage(stderr);
        return EXIT_USAGE;
    }
    const char *size = size_name(model_arg);
    const size_t n_real = sizeof real_slices / sizeof real_slices[0];
    const struct expected_slice *real = find_slice(real_slices, n_real, size);
    if (real == NULL) {
        fprintf(stderr, "upernet verify: unknown model size '%s' (tiny, small, base, large, xlarge)\n",
                model_arg);
        return EXIT_USAGE;
    }
    upernet_model_options model_options;
    if (cli_model_options("verify", isa, threads, &model_options) != 0)
        return 1;
    model_options.strict = strict;

    char cache[2048], cached_weights[2200], cached_image[2200];
    const int have_cache = cli_cache_dir(size, cache, sizeof cache) == 0;
    if (weights == NULL && have_cache) {
        snprintf(cached_weights, sizeof cached_weights, "%s/model.safetensors", cache);
        if (!is_file(cached_weights))
            snprintf(cached_weights, sizeof cached_weights, "%s/pytorch_model.bin", cache);
        if (is_file(cached_weights))
            weights = cached_weights;
    }
    if (image_path == NULL) {
        if (!have_cache) {
            fprintf(stderr, "upernet verify: no --image and no cache directory (set HOME or UPERNET_CACHE)\n");
            return 1;
        }
        snprintf(cached_image, sizeof cached_image, "%s/ADE_val_00000001.jpg", cache);
        image_path = cached_image;
    }
    const struct expected_slice *expected = real;
    if (weights == NULL) {
        expected = find_slice(synthetic_slices, sizeof synthetic_slices / sizeof synthetic_slices[0],
                              size);
    }
    printf("model: upernet-convnext-%s\nweights: %s\nimage: %s\n", size,
           weights != NULL ? weights : "synthetic (built in; no --weights and none in the cache)",
           image_path);

    upernet_error err;
    upernet_image image;
    if (upernet_image_load(image_path, &image, &err) != UPERNET_OK) {
        fprintf(stderr, "upernet verify: %s\n", err.message);
        if (weights != NULL && strcmp(image_path, cached_image) == 0)
            fprintf(stderr, "upernet verify: fetch it with: make fetch-weights MODEL=upernet-convnext-%s\n",
                    size);
        return 1;
    }
    if (weights == NULL && expected != NULL &&
        fnv1a(image.rgb, (size_t) image.width * (size_t) image.height * 3) != SYNTHETIC_IMAGE_FNV)
        expected = NULL; /* slices for the synthetic weights exist for one image only */

    /* the conversion script's SegformerImageProcessor(), unless a
     * preprocessor_config.json says otherwise */
    upernet_preprocessing pre;
    if (cli_preprocessing("verify", processor, weights, 0, 0, &pre) != 0) {
        upernet_image_free(&image);
        return 1;
    }
    int H, W;
    upernet_preprocessing_output_size(&pre, &image, &H, &W);
    int status = 1;
    float *pixels = malloc((size_t) 3 * H * W * sizeof *pixels);
    float *logits = NULL;
    upernet_model *model = NULL;
    upernet_workspace *ws = NULL;
    if (pixels == NULL ||
        upernet_preprocess_with(&image, &pre, UPERNET_RESIZE_PILLOW_CLASSIC, pixels, &err) !=
            UPERNET_OK) {
        fprintf(stderr, "upernet verify: %s: %s\n", image_path,
                pixels == NULL ? "out of memory" : err.message);
        goto done;
    }
    model = cli_load_model("verify", size, weights, &model_options);
    if (model == NULL)
        goto done;
    logits = malloc((size_t) upernet_model_num_labels(model) * (size_t) H * (size_t) W *
                    sizeof *logits);
    if (logits == NULL) {
        fprintf(stderr, "upernet verify: out of memory for the logits\n");
        goto done;
    }
    if (upernet_workspace_create(model, &ws, &err) != UPERNET_OK ||
        upernet_model_forward(model, ws, pixels, 1, (size_t) H, (size_t) W, logits, &err) !=
            UPERNET_OK) {
        fprintf(stderr, "upernet verify: %s\n", err.message);
        goto done;
    }
    printf("logits[0, 0, :3, :3]:\n");
    for (int r = 0; r < 3; r++)
        printf("  [%10.4f %10.4f %10.4f]\n", logits[r * W], logits[r * W + 1], logits[r * W + 2]);
    if (expected == NULL) {
        printf("No expected slice: the synthetic weights' slice is only known for\n"
               "data/images/jpeg-683x512.jpg; pass --weights for a real checkpoint.\n");
        goto done;
    }
    int bad = 0;
    double largest = 0.0;
    for (int k = 0; k < 9; k++) {
        const float got = logits[(k / 3) * W + k % 3];
        const double diff = fabs((double) got - (double) expected->values[k]);
        largest = diff > largest || isnan(diff) ? diff : largest;
        if (!(diff <= VERIFY_ATOL)) {
            if (bad++ == 0)
                printf("Differences beyond atol %g:\n", VERIFY_ATOL);
            printf("  [%d, %d]: got %.6f, expected %.6f, |diff| %.3g\n", k / 3, k % 3, got,
                   expected->values[k], diff);
        }
    }
    /* How close the check came: the largest difference and what is left of
     * the tolerance (negative: over it). */
    printf("Largest |diff|: %.3g (atol %g, margin %.3g = %.0f%% of atol)\n", largest, VERIFY_ATOL,
           VERIFY_ATOL - largest, 100.0 * (VERIFY_ATOL - largest) / VERIFY_ATOL);
    if (bad == 0) {
        printf("Looks ok!\n");
        status = 0;
    } else {
        printf("Mismatch in %d of 9 values.\n", bad);
    }
done:
    free(logits);
    free(pixels);
    upernet_workspace_free(ws);
    upernet_model_free(model);
    upernet_image_free(&image);
    return status;
}
