/* upernet evaluate: mIoU of a model on a dataset folder, as mmseg counts
 * it, in transformers' whole-image mode or mmseg's slide mode; sharded runs
 * write their counts and --merge adds them up. */
#include "config.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/eval_dataset.h"
#include "cli/image_loop.h"
#include "cli/eval_mpi.h"
#include "upernet.h"

static void evaluate_usage(FILE *out)
{
    fprintf(out,
            "usage: upernet evaluate --model M [--weights F] --images DIR --annotations DIR\n"
            "                        [--mode whole|slide] [--crop N] [--stride N]\n"
            "                        [--scale LONGxSHORT] [--resize pillow|opencv]\n"
            "                        [--aug none|ms-flip] [--no-reduce-zero-label]\n"
            "                        [--json OUT.json] [--shard K/N] [--threads N]\n"
            "                        [--limit N] [--quiet] [--isa TIER] [--labels FILE]\n"
            "                        [--processor PREPROCESSOR_CONFIG.json] [--strict]\n"
            "       upernet evaluate --merge PART.json... [--json OUT.json]\n"
            "Evaluates the model on every *.jpg, *.jpeg and *.png directly in --images\n"
            "(in byte order of their names), each against STEM.png in --annotations, and\n"
            "prints per class IoU and Acc, then aAcc, mIoU and mAcc, in %% (mmseg's counts).\n"
            "  --model M        tiny, small, base, large, xlarge, or an HF config.json\n"
            "  --weights F      weights file; default: synthetic weights (testing only)\n"
            "  --mode whole     transformers' pipeline: resize to --size (512x512), forward,\n"
            "                   logits resized to the image, argmax (the default)\n"
            "  --mode slide     mmseg's: keep-ratio rescale to --scale, overlapping --crop\n"
            "                   windows every --stride averaged, resized back, argmax\n"
            "  --crop N|HxW, --stride N|HxW, --scale LONGxSHORT\n"
            "                   slide geometry; default that of the model's mmseg config\n"
            "                   (tiny/small/base 512, 341, 2048x512; large/xlarge 640, 426,\n"
            "                   2560x640)\n"
            "  --size HxW       whole mode: the model input size (default 512x512)\n"
            "  --resize R       image resize: pillow (default in whole mode) or opencv\n"
            "                   (default in slide mode; OpenCV 4.6 INTER_LINEAR, bit-exact)\n"
            "  --aug ms-flip    mmseg's multi-scale (x0.5 .. x1.75) + flip test-time\n"
            "                   augmentation (slide mode; 12 views per image)\n"
            "  --no-reduce-zero-label  use annotation values as class indices (default:\n"
            "                   ADE20K's, 0 ignored and k is class k-1); 255 is ignored\n"
            "  --json OUT       also write the report as JSON (counts and metrics)\n"
            "  --shard K/N      evaluate only images K-1, K-1+N, ... (K in 1..N) and mark\n"
            "                   the report as shard K/N; add the shards up with --merge\n"
            "  --merge F...     sum shard reports (all N, once each, same model and mode)\n"
            "                   and print the full report\n"
            "  --threads N      OpenMP threads per process (default: all)\n"
            "  --limit N        only the first N images of the sorted list\n"
            "  --quiet          no progress line (it is also off when stderr is not a TTY)\n"
            "  --isa T          kernel tier: scalar, avx2, avx512, neon (can only lower it)\n"
            "  --labels F       class names, TSV 'index<TAB>name<TAB>r<TAB>g<TAB>b'\n"
            "                   (default: the config.json's id2label; ADE20K's for the\n"
            "                   built-in sizes)\n"
            "  --processor F    whole mode: a preprocessor_config.json (size, do_resize,\n"
            "                   resample 2 only, do_rescale, rescale_factor, do_normalize,\n"
            "                   image_mean, image_std; --size overrides its size); default:\n"
            "                   the one next to the weights, else SegformerImageProcessor()\n"
            "  --strict         refuse weights holding keys the configuration does not use\n"
            "                   (default: load them and name them in one warning)\n"
            "A missing annotation, an annotation without an image, a size mismatch, an\n"
            "annotation that is not 8-bit single-channel or an unreadable image stops the\n"
            "run before any inference: exit 1, nothing written.\n");
}

/* "N" or "HxW" -> height, width (1..8192). */
static int parse_pair(const char *option, const char *text, int *a, int *b)
{
    char *end;
    const long first = strtol(text, &end, 10);
    long second = first;
    if (*end == 'x')
        second = strtol(end + 1, &end, 10);
    if (*end != '\0' || first < 1 || second < 1 || first > 8192 || second > 8192) {
        fprintf(stderr, "upernet evaluate: %s: expected N or AxB (1..8192), got \"%s\"\n", option,
                text);
        return -1;
    }
    *a = (int) first;
    *b = (int) second;
    return 0;
}

static int parse_shard(const char *text, int *k, int *n)
{
    int used = 0;
    if (sscanf(text, "%d/%d%n", k, n, &used) != 2 || text[used] != '\0' || *n < 1 || *k < 1 ||
        *k > *n) {
        fprintf(stderr, "upernet evaluate: --shard: expected K/N with 1 <= K <= N, got \"%s\"\n",
                text);
        return -1;
    }
    return 0;
}

static void print_percent(double v)
{
    if (isnan(v))
        printf(" %8s", "nan");
    else
        printf(" %8.2f", 100.0 * v);
}

/* The table: per class IoU and Acc, then the summary, in % with 2 decimals. */
static int print_report(const char *model, const char *mode, const upernet_iou_counts *counts,
                        const upernet_labels *labels)
{
    upernet_iou_metrics m;
    upernet_error err;
    if (upernet_iou_metrics_compute(counts, &m, &err) != UPERNET_OK) {
        fprintf(stderr, "upernet evaluate: %s\n", err.message);
        return -1;
    }
    int width = 5;
    for (int c = 0; c < labels->count; c++)
        width = (int) strlen(labels->names[c]) > width ? (int) strlen(labels->names[c]) : width;
    printf("%-*s %8s %8s\n", width, "Class", "IoU", "Acc");
    for (int c = 0; c < counts->num_classes; c++) {
        printf("%-*s", width, labels->names[c]);
        print_percent(m.iou[c]);
        print_percent(m.acc[c]);
        printf("\n");
    }
    printf("\nmodel %s, mode %s, %lld images", model, mode, (long long) counts->images);
    if (counts->out_of_range_labels > 0)
        printf(", %lld pixels with labels >= %d (counted in area_pred only)",
               (long long) counts->out_of_range_labels, counts->num_classes);
    printf("\n%8s %8s %8s\n", "aAcc", "mIoU", "mAcc");
    print_percent(m.aacc);
    print_percent(m.miou);
    print_percent(m.macc);
    printf("\n");
    upernet_iou_metrics_free(&m);
    return 0;
}

static int write_json(const char *path, const upernet_eval_report *report,
                      const upernet_iou_counts *counts, const upernet_labels *labels)
{
    upernet_error err;
    if (upernet_eval_report_write(path, report, counts, labels, &err) != UPERNET_OK) {
        fprintf(stderr, "upernet evaluate: %s\n", err.message);
        return -1;
    }
    return 0;
}

/* --merge: every shard of one run, once each. */
static int merge(char **paths, int n, const char *json_path)
{
    upernet_eval_report first = {0}, part;
    upernet_iou_counts total = {0}, counts;
    upernet_labels labels = {0}, part_labels;
    upernet_error err;
    char *seen = NULL;
    int status = 1;
    for (int i = 0; i < n; i++) {
        if (upernet_eval_report_read(paths[i], &part, &counts, &part_labels, &err) != UPERNET_OK) {
            fprintf(stderr, "upernet evaluate: %s\n", err.message);
            goto done;
        }
        int ok = 1;
        if (part.shard_count == 0) {
            fprintf(stderr, "upernet evaluate: %s: not a shard report (no \"shard\")\n", paths[i]);
            ok = 0;
        } else if (i == 0) {
            first = part;
            total = counts;
            labels = part_labels;
            seen = calloc((size_t) part.shard_count + 1, 1);
            if (seen == NULL) {
                fprintf(stderr, "upernet evaluate: out of memory\n");
                goto done;
            }
            seen[part.shard_index] = 1;
            continue;
        } else if (strcmp(part.model, first.model) != 0 || strcmp(part.mode, first.mode) != 0) {
            fprintf(stderr,
                    "upernet evaluate: %s: model %s, mode %s; %s has model %s, mode %s\n",
                    paths[i], part.model, part.mode, paths[0], first.model, first.mode);
            ok = 0;
        } else if (part.shard_count != first.shard_count) {
            fprintf(stderr, "upernet evaluate: %s: shard %d/%d of another split than %s (%d/%d)\n",
                    paths[i], part.shard_index, part.shard_count, paths[0], first.shard_index,
                    first.shard_count);
            ok = 0;
        } else if (seen[part.shard_index]) {
            fprintf(stderr, "upernet evaluate: %s: shard %d/%d given twice\n", paths[i],
                    part.shard_index, part.shard_count);
            ok = 0;
        } else if (upernet_iou_counts_merge(&total, &counts, &err) != UPERNET_OK) {
            fprintf(stderr, "upernet evaluate: %s: %s\n", paths[i], err.message);
            ok = 0;
        }
        if (ok)
            seen[part.shard_index] = 1;
        free((char *) part.model);
        free((char *) part.mode);
        upernet_iou_counts_free(&counts);
        upernet_labels_free(&part_labels);
        if (!ok)
            goto done;
    }
    for (int k = 1; k <= first.shard_count; k++)
        if (!seen[k]) {
            fprintf(stderr, "upernet evaluate: shard %d/%d is missing\n", k, first.shard_count);
            goto done;
        }
    if (print_report(first.model, first.mode, &total, &labels) != 0)
        goto done;
    upernet_eval_report merged = {first.model, first.mode, 0, 0};
    if (json_path != NULL && write_json(json_path, &merged, &total, &labels) != 0)
        goto done;
    status = 0;
done:
    free(seen);
    free((char *) first.model);
    free((char *) first.mode);
    upernet_iou_counts_free(&total);
    upernet_labels_free(&labels);
    return status;
}

/* --labels FILE, else the model's classes (its config.json's id2label). */
static int load_labels(const char *path, const upernet_model *model, upernet_labels *labels)
{
    upernet_error err;
    const int num_labels = upernet_model_num_labels(model);
    enum upernet_status st = path != NULL ? upernet_labels_load(path, labels, &err)
                                          : upernet_labels_copy(upernet_model_labels(model), labels,
                                                                &err);
    if (st != UPERNET_OK) {
        fprintf(stderr, "upernet evaluate: %s\n", err.message);
        return -1;
    }
    if (labels->count != num_labels) {
        fprintf(stderr, "upernet evaluate: %s: %d labels, but the model has %d\n", path,
                labels->count, num_labels);
        upernet_labels_free(labels);
        return -1;
    }
    return 0;
}

/* The image loop's consumer: the counts of one image. */
struct count_job {
    upernet_iou_counts *counts;
    int reduce_zero_label;
};

static int count_image(void *ctx, const struct image_loop_view *view, upernet_error *err)
{
    const struct count_job *job = ctx;
    const size_t pixels = (size_t) view->image->width * (size_t) view->image->height;
    return upernet_iou_counts_add(job->counts, view->class_map, view->labels->labels, pixels,
                                  job->reduce_zero_label, err) == UPERNET_OK
               ? 0
               : -1;
}

/* What one evaluation run was asked to do. */
struct evaluate_run {
    const char *model_spec, *weights, *images, *annotations, *json_path, *labels_path, *isa;
    long threads, limit;
    int shard, shards, quiet, reduce_zero_label, strict;
    const upernet_eval_config *config;
    const char *model_name, *mode_name;
};

/* The evaluation on this process's part of the images (all of them, a
 * --shard, or an MPI rank's slice); every rank takes the same collective
 * steps, so one rank's failure fails all of them and nothing is written.
 * Rank 0 prints the report and writes the JSON. */
static int evaluate_ranks(const struct eval_ranks *ranks, const struct evaluate_run *run)
{
    struct eval_dataset dataset = {0};
    int ok = eval_dataset_list("evaluate", run->images, run->annotations, &dataset) == 0;
    if (!eval_mpi_all_ok(ranks, ok)) {
        eval_dataset_free(&dataset);
        return 1;
    }
    if (ranks->count > 1)
        eval_dataset_select(&dataset, run->limit, ranks->rank + 1, ranks->count);
    else
        eval_dataset_select(&dataset, run->limit, run->shard, run->shards);
    upernet_model_options model_options;
    upernet_labels labels = {0};
    upernet_iou_counts counts = {0};
    upernet_model *model = NULL;
    upernet_workspace *ws = NULL;
    upernet_error err;
    ok = cli_model_options("evaluate", run->isa, run->threads, &model_options) == 0 &&
         eval_dataset_check("evaluate", &dataset) == 0;
    model_options.strict = run->strict;
    /* Nothing is loaded until every rank's images passed the checks. */
    ok = eval_mpi_all_ok(ranks, ok) &&
         (model = cli_load_model("evaluate", run->model_spec, run->weights, &model_options)) != NULL &&
         load_labels(run->labels_path, model, &labels) == 0;
    if (ok && (upernet_workspace_create(model, &ws, &err) != UPERNET_OK ||
               upernet_iou_counts_init(&counts, upernet_model_num_labels(model), &err) != UPERNET_OK)) {
        fprintf(stderr, "upernet evaluate: %s\n", err.message);
        ok = 0;
    }
    struct count_job job = {&counts, run->reduce_zero_label};
    const struct image_loop_options loop = {.verb = "evaluate", .threads = (int) run->threads,
                                            .config = run->config,
                                            .want_class_map = 1,
                                            .progress = !run->quiet && ranks->rank == 0,
                                            .consume = count_image,
                                            .ctx = &job};
    size_t failures;
    ok = eval_mpi_all_ok(ranks, ok) &&
         image_loop_run(model, ws, dataset.samples, dataset.count, &loop, &failures) == 0;
    ok = eval_mpi_all_ok(ranks, ok) && eval_mpi_reduce_counts(ranks, &counts) == 0;
    if (ok && ranks->rank == 0) {
        const upernet_eval_report report = {run->model_name, run->mode_name, run->shard,
                                            run->shards};
        ok = print_report(run->model_name, run->mode_name, &counts, &labels) == 0 &&
             (run->json_path == NULL ||
              write_json(run->json_path, &report, &counts, &labels) == 0);
    }
    upernet_iou_counts_free(&counts);
    upernet_labels_free(&labels);
    upernet_workspace_free(ws);
    upernet_model_free(model);
    eval_dataset_free(&dataset);
    return ok ? 0 : 1;
}

int cmd_evaluate(int argc, char **argv)
{
    enum { OPT_MODE = 256, OPT_CROP, OPT_STRIDE, OPT_SCALE, OPT_RESIZE, OPT_AUG, OPT_NO_REDUCE,
           OPT_JSON, OPT_SHARD, OPT_MERGE, OPT_LIMIT, OPT_QUIET, OPT_SIZE, OPT_PROCESSOR,
           OPT_STRICT };
    static const struct option options[] = {
        {"model", required_argument, NULL, 'm'},    {"weights", required_argument, NULL, 'w'},
        {"images", required_argument, NULL, 'i'},   {"annotations", required_argument, NULL, 'a'},
        {"mode", required_argument, NULL, OPT_MODE}, {"crop", required_argument, NULL, OPT_CROP},
        {"stride", required_argument, NULL, OPT_STRIDE},
        {"scale", required_argument, NULL, OPT_SCALE},
        {"resize", required_argument, NULL, OPT_RESIZE}, {"aug", required_argument, NULL, OPT_AUG},
        {"no-reduce-zero-label", no_argument, NULL, OPT_NO_REDUCE},
        {"json", required_argument, NULL, OPT_JSON}, {"shard", required_argument, NULL, OPT_SHARD},
        {"merge", no_argument, NULL, OPT_MERGE},     {"threads", required_argument, NULL, 't'},
        {"limit", required_argument, NULL, OPT_LIMIT}, {"quiet", no_argument, NULL, OPT_QUIET},
        {"isa", required_argument, NULL, 'I'},       {"labels", required_argument, NULL, 'L'},
        {"size", required_argument, NULL, OPT_SIZE}, {"help", no_argument, NULL, 'h'},
        {"processor", required_argument, NULL, OPT_PROCESSOR},
        {"strict", no_argument, NULL, OPT_STRICT},
        {NULL, 0, NULL, 0}};
    const char *model_spec = NULL, *weights = NULL, *images = NULL, *annotations = NULL;
    const char *json_path = NULL, *isa = NULL, *labels_path = NULL, *resize = NULL;
    const char *processor = NULL;
    int size_given = 0, strict = 0;
    int crop[2] = {0, 0}, stride[2] = {0, 0}, scale[2] = {0, 0}, shard = 0, shards = 0;
    int merging = 0, quiet = 0, reduce_zero_label = 1, opt;
    long threads = 0, limit = 0;
    upernet_eval_config config = {.mode = UPERNET_EVAL_WHOLE, .whole_height = 512,
                                  .whole_width = 512};
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'm': model_spec = optarg; break;
        case 'w': weights = optarg; break;
        case 'i': images = optarg; break;
        case 'a': annotations = optarg; break;
        case OPT_MODE:
            if (strcmp(optarg, "whole") == 0) {
                config.mode = UPERNET_EVAL_WHOLE;
            } else if (strcmp(optarg, "slide") == 0) {
                config.mode = UPERNET_EVAL_SLIDE;
            } else {
                fprintf(stderr, "upernet evaluate: --mode: whole or slide, not \"%s\"\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_CROP:
            if (parse_pair("--crop", optarg, &crop[0], &crop[1]) != 0)
                return EXIT_USAGE;
            break;
        case OPT_STRIDE:
            if (parse_pair("--stride", optarg, &stride[0], &stride[1]) != 0)
                return EXIT_USAGE;
            break;
        case OPT_SCALE:
            if (parse_pair("--scale", optarg, &scale[0], &scale[1]) != 0)
                return EXIT_USAGE;
            break;
        case OPT_SIZE:
            if (parse_pair("--size", optarg, &config.whole_height, &config.whole_width) != 0)
                return EXIT_USAGE;
            size_given = 1;
            break;
        case OPT_PROCESSOR: processor = optarg; break;
        case OPT_STRICT: strict = 1; break;
        case OPT_RESIZE:
            if (strcmp(optarg, "pillow") != 0 && strcmp(optarg, "opencv") != 0) {
                fprintf(stderr, "upernet evaluate: --resize: pillow or opencv, not \"%s\"\n",
                        optarg);
                return EXIT_USAGE;
            }
            resize = optarg;
            break;
        case OPT_AUG:
            if (strcmp(optarg, "none") != 0 && strcmp(optarg, "ms-flip") != 0) {
                fprintf(stderr, "upernet evaluate: --aug: none or ms-flip, not \"%s\"\n", optarg);
                return EXIT_USAGE;
            }
            config.ms_flip = strcmp(optarg, "ms-flip") == 0;
            break;
        case OPT_NO_REDUCE: reduce_zero_label = 0; break;
        case OPT_JSON: json_path = optarg; break;
        case OPT_SHARD:
            if (parse_shard(optarg, &shard, &shards) != 0)
                return EXIT_USAGE;
            break;
        case OPT_MERGE: merging = 1; break;
        case 't':
            if (cli_parse_positive("evaluate", "--threads", optarg, 4096, &threads) != 0)
                return EXIT_USAGE;
            break;
        case OPT_LIMIT:
            if (cli_parse_positive("evaluate", "--limit", optarg, 1L << 30, &limit) != 0)
                return EXIT_USAGE;
            break;
        case OPT_QUIET: quiet = 1; break;
        case 'I': isa = optarg; break;
        case 'L': labels_path = optarg; break;
        case 'h': evaluate_usage(stdout); return 0;
        default: evaluate_usage(stderr); return EXIT_USAGE;
        }
    }
    if (merging) {
        if (optind >= argc || model_spec != NULL || images != NULL || shards != 0) {
            fprintf(stderr, "upernet evaluate: --merge takes report files (and --json) only\n");
            return EXIT_USAGE;
        }
        return merge(argv + optind, argc - optind, json_path);
    }
    if (optind < argc || model_spec == NULL || images == NULL || annotations == NULL) {
        fprintf(stderr, "upernet evaluate: --model, --images and --annotations are required%s\n",
                optind < argc ? " (and no other arguments)" : "");
        evaluate_usage(stderr);
        return EXIT_USAGE;
    }
    if (config.ms_flip && config.mode != UPERNET_EVAL_SLIDE) {
        fprintf(stderr, "upernet evaluate: --aug ms-flip needs --mode slide\n");
        return EXIT_USAGE;
    }
    const int slide = config.mode == UPERNET_EVAL_SLIDE;
    config.resize = resize != NULL ? (strcmp(resize, "opencv") == 0 ? UPERNET_EVAL_RESIZE_OPENCV
                                                                     : UPERNET_EVAL_RESIZE_PILLOW)
                                   : (slide ? UPERNET_EVAL_RESIZE_OPENCV : UPERNET_EVAL_RESIZE_PILLOW);
    if (slide) {
        upernet_error err;
        const int all_given = crop[0] && stride[0] && scale[0];
        if (!all_given && upernet_slide_params_for_size(model_spec, &config.slide, &err) != UPERNET_OK) {
            fprintf(stderr, "upernet evaluate: %s\n", err.message);
            return EXIT_USAGE;
        }
        if (crop[0]) {
            config.slide.crop_height = crop[0];
            config.slide.crop_width = crop[1];
        }
        if (stride[0]) {
            config.slide.stride_height = stride[0];
            config.slide.stride_width = stride[1];
        }
        if (scale[0]) {
            config.slide.scale_long = scale[0];
            config.slide.scale_short = scale[1];
        }
    }
    /* whole mode: a preprocessor_config.json's settings when there is one */
    upernet_preprocessing pre;
    if (cli_preprocessing("evaluate", processor, weights, size_given ? config.whole_height : 0,
                          config.whole_width, &pre) != 0)
        return 1;
    if (!slide) {
        config.whole_height = pre.height;
        config.whole_width = pre.width;
        config.preprocessing = &pre;
    }
    char mode_name[32];
    snprintf(mode_name, sizeof mode_name, "%s%s", slide ? "slide" : "whole",
             config.ms_flip ? "+ms-flip" : "");
    char model_name[4096];
    snprintf(model_name, sizeof model_name, "%s%s%s", model_spec, weights ? "@" : "",
             weights ? weights : "");

    struct eval_ranks ranks;
    if (eval_mpi_start(&ranks) != 0)
        return 1;
    if (ranks.count > 1 && shards > 0) {
        if (ranks.rank == 0)
            fprintf(stderr, "upernet evaluate: --shard and mpirun split the images both; use one\n");
        eval_mpi_stop(&ranks);
        return EXIT_USAGE;
    }
    const int status = evaluate_ranks(&ranks, &(struct evaluate_run){
        .model_spec = model_spec, .weights = weights, .images = images,
        .annotations = annotations, .json_path = json_path, .labels_path = labels_path,
        .isa = isa, .threads = threads, .limit = limit, .shard = shard, .shards = shards,
        .quiet = quiet, .reduce_zero_label = reduce_zero_label, .strict = strict,
        .config = &config,
        .model_name = model_name, .mode_name = mode_name});
    eval_mpi_stop(&ranks);
    return status;
}
