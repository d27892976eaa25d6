/* upernet segment: images in, segmentation out. Per image: the class map as
 * a palette PNG (at the model's input size), the map blended over the
 * original picture (at its own size), a JSON summary and, with --logits, the
 * logits as .npy. Also holds the model loading shared with `verify`. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/commands.h"
#include "upernet.h"

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static void segment_usage(FILE *out)
{
    fprintf(out,
            "usage: upernet segment IMAGE... --model SIZE|CONFIG.json [--weights FILE] [-o DIR]\n"
            "                       [--size HxW] [--threads N] [--isa TIER] [--logits]\n"
            "                       [--labels FILE] [--resize-order pillow12|pillow13] [--strict]\n"
            "Segments each IMAGE (JPEG or PNG) and writes, in DIR (default: .), for an\n"
            "image NAME.jpg:\n"
            "  NAME.classes.png   class map at the model input size, 8-bit palette PNG\n"
            "  NAME.overlay.png   the class colours blended 50%% over the image, at its size\n"
            "  NAME.json          classes present with pixel counts, shares and names\n"
            "  NAME.logits.npy    float32 logits (1,num_labels,H,W), with --logits\n"
            "Preprocessing is transformers' SegformerImageProcessor (Pillow path).\n"
            "  --model M     tiny, small, base, large, xlarge (or upernet-convnext-SIZE),\n"
            "                or the path of an HF config.json\n"
            "  --weights F   weights file (.safetensors, .bin, .pth); default: the\n"
            "                deterministic synthetic weights (for testing only)\n"
            "  -o DIR        output directory (created with its parents if missing)\n"
            "  --size HxW    model input size (default 512x512, each side >= 32)\n"
            "  --threads N   OpenMP threads (default: all; results do not depend on it)\n"
            "  --isa T       kernel tier: scalar, avx2, avx512, neon (can only lower it)\n"
            "  --labels F    class names/colours, TSV 'index<TAB>name<TAB>r<TAB>g<TAB>b'\n"
            "                (default: ADE20K for 150 labels, generated otherwise)\n"
            "  --resize-order pillow12 (default, the reference) or pillow13 (see\n"
            "                `upernet preprocess --help`)\n"
            "  --strict      refuse weights holding keys the configuration does not use\n"
            "                (default: load them and name them in one warning)\n"
            "Progress and the time per image go to stderr when several images are given.\n"
            "Exit status 1 if any image failed (the others are still processed).\n");
}

/* "dir/photo.v2.jpg" -> "photo.v2" */
static void output_stem(const char *path, char *stem, size_t size)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    snprintf(stem, size, "%s", base);
    char *dot = strrchr(stem, '.');
    if (dot != NULL && dot != stem)
        *dot = '\0';
}

struct segment_job {
    upernet_model *model;
    upernet_workspace *ws;
    const upernet_labels *labels;
    const char *dir;
    int height, width;
    int write_logits;
    int compat; /* enum upernet_resize_compat */
    float *pixels;      /* 3 * height * width */
    float *logits;      /* labels * height * width */
    uint16_t *class_map; /* height * width */
};

static int segment_one(struct segment_job *job, const char *path, upernet_error *err)
{
    upernet_image image;
    if (upernet_image_load(path, &image, err) != UPERNET_OK)
        return -1;
    int rc = -1;
    char stem[1024], out[4096];
    output_stem(path, stem, sizeof stem);
    if (upernet_preprocess_compat(&image, job->height, job->width,
                                  (enum upernet_resize_compat) job->compat, job->pixels, err) != UPERNET_OK)
        goto done;
    if (upernet_model_forward(job->model, job->ws, job->pixels, 1, (size_t) job->height,
                              (size_t) job->width,
                              job->logits, err) != UPERNET_OK)
        goto done;
    upernet_argmax(job->logits, job->labels->count, job->height, job->width, job->class_map);
    snprintf(out, sizeof out, "%s/%s.classes.png", job->dir, stem);
    if (upernet_write_class_map_png(out, job->class_map, job->height, job->width, job->labels,
                                    err) != UPERNET_OK)
        goto done;
    snprintf(out, sizeof out, "%s/%s.overlay.png", job->dir, stem);
    if (upernet_write_overlay_png(out, &image, job->class_map, job->height, job->width,
                                  job->labels, err) != UPERNET_OK)
        goto done;
    snprintf(out, sizeof out, "%s/%s.json", job->dir, stem);
    if (upernet_write_summary_json(out, path, job->class_map, job->height, job->width, job->labels,
                                   err) != UPERNET_OK)
        goto done;
    if (job->write_logits) {
        snprintf(out, sizeof out, "%s/%s.logits.npy", job->dir, stem);
        const size_t shape[4] = {1, (size_t) job->labels->count, (size_t) job->height,
                                 (size_t) job->width};
        if (upernet_npy_write(out, shape, 4, job->logits, err) != UPERNET_OK)
            goto done;
    }
    rc = 0;
done:
    upernet_image_free(&image);
    return rc;
}

/* mkdir -p: creates `dir` and any missing parents. */
static int make_directories(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int) sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = path + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(path, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

int cmd_segment(int argc, char **argv)
{
    static const struct option options[] = {
        {"model", required_argument, NULL, 'm'},  {"weights", required_argument, NULL, 'w'},
        {"output", required_argument, NULL, 'o'}, {"size", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'}, {"isa", required_argument, NULL, 'I'},
        {"logits", no_argument, NULL, 'l'},       {"labels", required_argument, NULL, 'L'},
        {"resize-order", required_argument, NULL, 'r'}, {"strict", no_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    const char *model_spec = NULL, *weights = NULL, *dir = ".", *isa = NULL, *labels_path = NULL;
    int height = 512, width = 512, write_logits = 0, strict = 0, compat = UPERNET_RESIZE_PILLOW_CLASSIC, opt;
    long threads = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "ho:", options, NULL)) != -1) {
        switch (opt) {
        case 'm': model_spec = optarg; break;
        case 'w': weights = optarg; break;
        case 'o': dir = optarg; break;
        case 's':
            if (cli_parse_size("segment", optarg, &height, &width) != 0)
                return EXIT_USAGE;
            if (height < 32 || width < 32) {
                fprintf(stderr, "upernet segment: --size must be at least 32x32\n");
                return EXIT_USAGE;
            }
            break;
        case 't':
            if (cli_parse_positive("segment", "--threads", optarg, 4096, &threads) != 0)
                return EXIT_USAGE;
            break;
        case 'I': isa = optarg; break;
        case 'l': write_logits = 1; break;
        case 'L': labels_path = optarg; break;
        case 'r':
            if (cli_parse_resize_order("segment", optarg, &compat) != 0)
                return EXIT_USAGE;
            break;
        case 'S': strict = 1; break;
        case 'h': segment_usage(stdout); return 0;
        default: segment_usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind >= argc || model_spec == NULL) {
        fprintf(stderr, "upernet segment: at least one IMAGE and --model are required\n");
        segment_usage(stderr);
        return EXIT_USAGE;
    }
    const int n_images = argc - optind;
    char **images = argv + optind;
    /* Two inputs with the same stem would overwrite each other's results. */
    for (int i = 0; i < n_images; i++)
        for (int j = 0; j < i; j++) {
            char a[1024], b[1024];
            output_stem(images[i], a, sizeof a);
            output_stem(images[j], b, sizeof b);
            if (strcmp(a, b) == 0) {
                fprintf(stderr, "upernet segment: %s and %s would both write %s/%s.*\n",
                        images[j], images[i], dir, a);
                return EXIT_USAGE;
            }
        }
    upernet_model_options model_options;
    if (cli_model_options("segment", isa, threads, &model_options) != 0)
        return 1;
    model_options.strict = strict;
    if (make_directories(dir) != 0) {
        fprintf(stderr, "upernet segment: %s: cannot create the output directory: %s\n", dir,
                strerror(errno));
        return 1;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "upernet segment: %s: not a directory\n", dir);
        return 1;
    }

    upernet_error err;
    int status = 1;
    upernet_labels labels = {0, NULL, NULL};
    struct segment_job job = {0};
    job.dir = dir;
    job.height = height;
    job.width = width;
    job.write_logits = write_logits;
    job.compat = compat;
    job.labels = &labels;
    const double load_start = seconds_now();
    job.model = cli_load_model("segment", model_spec, weights, &model_options);
    if (job.model == NULL)
        return 1;
    const int num_labels = upernet_model_num_labels(job.model);
    enum upernet_status ls;
    if (labels_path != NULL)
        ls = upernet_labels_load(labels_path, &labels, &err);
    else if (num_labels == 150)
        ls = upernet_labels_ade20k(&labels, &err);
    else
        ls = upernet_labels_generic(num_labels, &labels, &err);
    if (ls != UPERNET_OK) {
        fprintf(stderr, "upernet segment: %s\n", err.message);
        goto done;
    }
    if (labels.count != num_labels) {
        fprintf(stderr, "upernet segment: %s: %d labels, but the model has %d\n", labels_path,
                labels.count, num_labels);
        goto done;
    }
    if (upernet_workspace_create(job.model, &job.ws, &err) != UPERNET_OK ||
        upernet_workspace_plan(job.ws, (size_t) height, (size_t) width, &err) != UPERNET_OK) {
        fprintf(stderr, "upernet segment: %s\n", err.message);
        goto done;
    }
    const size_t plane = (size_t) height * (size_t) width;
    job.pixels = malloc(3 * plane * sizeof *job.pixels);
    job.logits = malloc((size_t) num_labels * plane * sizeof *job.logits);
    job.class_map = malloc(plane * sizeof *job.class_map);
    if (job.pixels == NULL || job.logits == NULL || job.class_map == NULL) {
        fprintf(stderr, "upernet segment: out of memory for %dx%d inputs and logits\n", height,
                width);
        goto done;
    }
    if (n_images > 1)
        fprintf(stderr, "upernet segment: model %s loaded in %.1f s, %d images\n", model_spec,
                seconds_now() - load_start, n_images);
    int failures = 0;
    for (int i = 0; i < n_images; i++) {
        const double start = seconds_now();
        if (segment_one(&job, images[i], &err) != 0) {
            fprintf(stderr, "upernet segment: %s\n", err.message);
            failures++;
        } else if (n_images > 1) {
            fprintf(stderr, "[%d/%d] %s: %.2f s\n", i + 1, n_images, images[i],
                    seconds_now() - start);
        }
    }
    status = failures == 0 ? 0 : 1;
done:
    free(job.pixels);
    free(job.logits);
    free(job.class_map);
    upernet_labels_free(&labels);
    upernet_workspace_free(job.ws);
    upernet_model_free(job.model);
    return status;
}
