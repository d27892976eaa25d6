/* upernet segment: images in, segmentation out. Per image: the class map as
 * a palette PNG at the image's size (the logits resized to it, then argmax,
 * as transformers' post_process_semantic_segmentation with target_sizes;
 * --at-model-size: the argmax at the model's input size), the map blended
 * over the picture, a JSON summary of the same map and, with --logits, the
 * logits as .npy. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/eval_dataset.h"
#include "cli/image_loop.h"
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
            "usage: upernet segment IMAGE|DIR... --model SIZE|CONFIG.json [--weights FILE] [-o DIR]\n"
            "                       [--size HxW] [--threads N] [--isa TIER] [--logits]\n"
            "                       [--labels FILE] [--resize-order pillow12|pillow13] [--strict]\n"
            "                       [--at-model-size] [--processor PREPROCESSOR_CONFIG.json]\n"
            "Segments each IMAGE (JPEG or PNG) and writes, in DIR (default: .), for an\n"
            "image NAME.jpg:\n"
            "  NAME.classes.png   class map at the image's size, 8-bit palette PNG: the\n"
            "                     logits resized bilinearly to it, then argmax, as\n"
            "                     transformers' post_process_semantic_segmentation(\n"
            "                     target_sizes=[(H, W)]) computes it\n"
            "  NAME.overlay.png   the class colours blended 50%% over the image, at its size\n"
            "  NAME.json          the map's size, classes present with pixel counts,\n"
            "                     shares and names\n"
            "  NAME.logits.npy    float32 logits (1,num_labels,H,W) at the model input\n"
            "                     size, with --logits\n"
            "Preprocessing is transformers' SegformerImageProcessor (Pillow path), with the\n"
            "settings of --processor F, else of the preprocessor_config.json next to the\n"
            "weights (in a model directory), else its defaults (512x512, 1/255, ImageNet\n"
            "mean and std); --size overrides the size.\n"
            "  --processor F a preprocessor_config.json (size, do_resize, resample 2 only,\n"
            "                do_rescale, rescale_factor, do_normalize, image_mean, image_std)\n"
            "  --model M     tiny, small, base, large, xlarge (or upernet-convnext-SIZE),\n"
            "                or the path of an HF config.json\n"
            "  --weights F   weights file (.safetensors, .bin, .pth); default: the\n"
            "                deterministic synthetic weights (for testing only);\n"
            "                synthetic:default or synthetic:trained picks their recipe\n"
            "  -o DIR        output directory (created with its parents if missing)\n"
            "  --size HxW    model input size (default 512x512 or the processor's; each\n"
            "                side >= 32)\n"
            "  --threads N   OpenMP threads (default: all; results do not depend on it)\n"
            "  --isa T       kernel tier: scalar, avx2, avx512, neon (can only lower it)\n"
            "  --labels F    class names/colours, TSV 'index<TAB>name<TAB>r<TAB>g<TAB>b'\n"
            "                (default: the names of the config.json's id2label, ADE20K's\n"
            "                for the built-in sizes; ADE20K colours for 150 labels,\n"
            "                generated otherwise)\n"
            "  --resize-order pillow12 (default, the reference) or pillow13 (see\n"
            "                `upernet preprocess --help`)\n"
            "  --strict      refuse weights holding keys the configuration does not use\n"
            "                (default: load them and name them in one warning)\n"
            "  --at-model-size  class map and JSON at the model's input size (the argmax\n"
            "                of the logits as they are; the overlay is still at the\n"
            "                image's size, the map resized nearest-neighbour)\n"
            "A DIR stands for the *.jpg, *.jpeg and *.png files directly in it (in byte\n"
            "order of their names). Decoding and writing overlap the forwards; a progress\n"
            "line (images/s, ETA) goes to stderr when it is a terminal and there are\n"
            "several images.\n"
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
    const upernet_labels *labels;
    const char *dir;
    int height, width;
    int write_logits;
    int at_model_size; /* class map at the model's input size, not the image's */
};

/* The image loop's consumer: writes one image's results from its logits at
 * the model size. */
static int write_results(void *ctx, const struct image_loop_view *view, upernet_error *err)
{
    struct segment_job *job = ctx;
    int classes, h, w;
    const float *logits = upernet_prediction_scores(view->prediction, &classes, &h, &w);
    char stem[1024], out[4096];
    output_stem(view->path, stem, sizeof stem);
    /* The class map at the image's size as transformers'
     * post_process_semantic_segmentation(target_sizes=[(H, W)]) makes it, or
     * the plain argmax at the model's size. */
    const int map_h = job->at_model_size ? h : view->image->height;
    const int map_w = job->at_model_size ? w : view->image->width;
    uint16_t *class_map = malloc((size_t) map_h * (size_t) map_w * sizeof *class_map);
    if (class_map == NULL) {
        err->status = UPERNET_ERR_NOMEM;
        snprintf(err->message, sizeof err->message, "%s: out of memory for a %dx%d class map",
                 view->path, map_h, map_w);
        return -1;
    }
    int rc = -1;
    if (upernet_postprocess_semantic(logits, classes, h, w, map_h, map_w, class_map, err) !=
        UPERNET_OK)
        goto done;
    snprintf(out, sizeof out, "%s/%s.classes.png", job->dir, stem);
    if (upernet_write_class_map_png(out, class_map, map_h, map_w, job->labels, err) != UPERNET_OK)
        goto done;
    snprintf(out, sizeof out, "%s/%s.overlay.png", job->dir, stem);
    if (upernet_write_overlay_png(out, view->image, class_map, map_h, map_w, job->labels, err) !=
        UPERNET_OK)
        goto done;
    snprintf(out, sizeof out, "%s/%s.json", job->dir, stem);
    if (upernet_write_summary_json(out, view->path, class_map, map_h, map_w, job->labels, err) !=
        UPERNET_OK)
        goto done;
    if (job->write_logits) {
        snprintf(out, sizeof out, "%s/%s.logits.npy", job->dir, stem);
        const size_t shape[4] = {1, (size_t) classes, (size_t) h, (size_t) w};
        if (upernet_npy_write(out, shape, 4, logits, err) != UPERNET_OK)
            goto done;
    }
    rc = 0;
done:
    free(class_map);
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

/* What one segment run was asked to do. */
struct segment_run {
    const char *model_spec, *weights, *dir, *isa, *labels_path;
    long threads;
    int height, width, write_logits, compat, strict, at_model_size;
    const upernet_preprocessing *preprocessing;
};

static int segment_all(const struct eval_dataset *inputs, const struct segment_run *run)
{
    upernet_model_options model_options;
    if (cli_model_options("segment", run->isa, run->threads, &model_options) != 0)
        return 1;
    model_options.strict = run->strict;
    if (make_directories(run->dir) != 0) {
        fprintf(stderr, "upernet segment: %s: cannot create the output directory: %s\n", run->dir,
                strerror(errno));
        return 1;
    }
    struct stat st;
    if (stat(run->dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "upernet segment: %s: not a directory\n", run->dir);
        return 1;
    }
    upernet_error err;
    int status = 1;
    upernet_labels labels = {0, NULL, NULL};
    struct segment_job job = {.dir = run->dir, .height = run->height, .width = run->width,
                              .write_logits = run->write_logits,
                              .at_model_size = run->at_model_size};
    upernet_workspace *ws = NULL;
    const double load_start = seconds_now();
    upernet_model *model = cli_load_model("segment", run->model_spec, run->weights, &model_options);
    if (model == NULL)
        return 1;
    const int num_labels = upernet_model_num_labels(model);
    /* the model's classes (its config.json's id2label) unless --labels */
    job.labels = upernet_model_labels(model);
    if (run->labels_path != NULL) {
        if (upernet_labels_load(run->labels_path, &labels, &err) != UPERNET_OK) {
            fprintf(stderr, "upernet segment: %s\n", err.message);
            goto done;
        }
        if (labels.count != num_labels) {
            fprintf(stderr, "upernet segment: %s: %d labels, but the model has %d\n",
                    run->labels_path, labels.count, num_labels);
            goto done;
        }
        job.labels = &labels;
    }
    if (upernet_workspace_create(model, &ws, &err) != UPERNET_OK ||
        upernet_workspace_plan(ws, (size_t) run->height, (size_t) run->width, &err) != UPERNET_OK) {
        fprintf(stderr, "upernet segment: %s\n", err.message);
        goto done;
    }
    if (inputs->count > 1)
        fprintf(stderr, "upernet segment: model %s loaded in %.1f s, %zu images\n",
                run->model_spec, seconds_now() - load_start, inputs->count);
    const upernet_eval_config config = {.mode = UPERNET_EVAL_WHOLE,
                                        .resize = UPERNET_EVAL_RESIZE_PILLOW,
                                        .whole_height = run->height,
                                        .whole_width = run->width,
                                        .pillow_order = (enum upernet_resize_compat) run->compat,
                                        .preprocessing = run->preprocessing};
    const struct image_loop_options loop = {.verb = "segment", .config = &config,
                                            .threads = (int) run->threads,
                                            .progress = inputs->count > 1, .keep_going = 1,
                                            .consume = write_results, .ctx = &job};
    size_t failures;
    if (image_loop_run(model, ws, inputs->samples, inputs->count, &loop, &failures) == 0)
        status = failures == 0 ? 0 : 1;
done:
    upernet_labels_free(&labels);
    upernet_workspace_free(ws);
    upernet_model_free(model);
    return status;
}

int cmd_segment(int argc, char **argv)
{
    static const struct option options[] = {
        {"model", required_argument, NULL, 'm'},  {"weights", required_argument, NULL, 'w'},
        {"output", required_argument, NULL, 'o'}, {"size", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'}, {"isa", required_argument, NULL, 'I'},
        {"logits", no_argument, NULL, 'l'},       {"labels", required_argument, NULL, 'L'},
        {"resize-order", required_argument, NULL, 'r'}, {"strict", no_argument, NULL, 'S'},
        {"at-model-size", no_argument, NULL, 'A'}, {"processor", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    const char *model_spec = NULL, *weights = NULL, *dir = ".", *isa = NULL, *labels_path = NULL;
    const char *processor = NULL;
    int height = 0, width = 0, write_logits = 0, strict = 0, at_model_size = 0, compat = UPERNET_RESIZE_PILLOW_CLASSIC, opt;
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
        case 'A': at_model_size = 1; break;
        case 'p': processor = optarg; break;
        case 'h': segment_usage(stdout); return 0;
        default: segment_usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind >= argc || model_spec == NULL) {
        fprintf(stderr, "upernet segment: at least one IMAGE and --model are required\n");
        segment_usage(stderr);
        return EXIT_USAGE;
    }
    upernet_preprocessing pre;
    if (cli_preprocessing("segment", processor, weights, height, width, &pre) != 0)
        return 1;
    if (pre.do_resize && (pre.height < 32 || pre.width < 32)) {
        fprintf(stderr, "upernet segment: the model input size %dx%d is below 32x32\n",
                pre.height, pre.width);
        return 1;
    }
    struct eval_dataset inputs = {0};
    for (int i = optind; i < argc; i++)
        if (eval_dataset_add_images("segment", argv[i], &inputs) != 0) {
            eval_dataset_free(&inputs);
            return 1;
        }
    const size_t n_images = inputs.count;
    /* Two inputs with the same stem would overwrite each other's results. */
    for (size_t i = 0; i < n_images; i++)
        for (size_t j = 0; j < i; j++) {
            char a[1024], b[1024];
            output_stem(inputs.samples[i].image, a, sizeof a);
            output_stem(inputs.samples[j].image, b, sizeof b);
            if (strcmp(a, b) == 0) {
                fprintf(stderr, "upernet segment: %s and %s would both write %s/%s.*\n",
                        inputs.samples[j].image, inputs.samples[i].image, dir, a);
                eval_dataset_free(&inputs);
                return EXIT_USAGE;
            }
        }
    const int status = segment_all(&inputs, &(struct segment_run){
        .model_spec = model_spec, .weights = weights, .dir = dir, .isa = isa,
        .labels_path = labels_path, .threads = threads, .height = pre.height, .width = pre.width,
        .preprocessing = &pre,
        .write_logits = write_logits, .compat = compat, .strict = strict,
        .at_model_size = at_model_size});
    eval_dataset_free(&inputs);
    return status;
}
