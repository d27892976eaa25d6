/* upernet forward: runs the model on a pixel tensor (.npy, float32
 * (N,3,H,W) like transformers' pixel_values) and writes the logits (.npy,
 * float32 (N,num_labels,H,W) like its logits). */
#include "config.h"

#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "upernet.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* Most forwards --concurrent runs at once. */
#define CLI_MAX_CONCURRENT 64

static void forward_usage(FILE *out)
{
    fprintf(out,
            "usage: upernet forward [--model SIZE|CONFIG.json] [--weights FILE|DIR] --input PIXELS.npy\n"
            "                       --logits OUT.npy [--isa TIER] [--threads N] [--repeat N]\n"
            "                       [--concurrent P] [--verbose] [--strict]\n"
            "Runs UperNet-ConvNeXt on PIXELS.npy, float32 (N,3,H,W) normalised like\n"
            "transformers' pixel_values (N >= 1 images, H, W >= 32), and writes float32\n"
            "logits (N,num_labels,H,W) to OUT.npy.\n"
            "  --model M     tiny, small, base, large, xlarge (or upernet-convnext-SIZE),\n"
            "                or the path of an HF config.json\n"
            "  --weights F   weights file: model.safetensors, pytorch_model.bin or an mmseg\n"
            "                .pth (recognised by content), or a directory holding one\n"
            "                (and its config.json, used when --model is not given;\n"
            "                without either, the built-in size the shapes match)\n"
            "                (default: the deterministic synthetic weights of --model)\n"
            "                synthetic:default or synthetic:trained: the synthetic\n"
            "                weights of that recipe (trained: a trained checkpoint's\n"
            "                scales, logits ~+-25; tools/SYNTHETIC.md)\n"
            "  --isa T       kernel tier: scalar, avx2, avx512, neon (can only lower it)\n"
            "  --threads N   OpenMP threads (default: all)\n"
            "  --repeat N    run the forward N times, printing forward_ms=<ms> per run on stderr\n"
            "  --concurrent P  run P forwards at once (P <= threads, at most 64) on the one\n"
            "                loaded model, each with its own workspace and threads/P OpenMP\n"
            "                threads, each of them --repeat times; prints images_per_s=<rate>\n"
            "                over all of them on stderr. The logits written are the first\n"
            "                one's (bitwise those of a serial run)\n"
            "  --verbose     print the tier, load time and activation arena size on stderr\n"
            "  --strict      refuse weights holding keys the configuration does not use\n"
            "                (default: load them and name them in one warning, as\n"
            "                transformers' from_pretrained does)\n");
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One of the concurrent forwards: its own workspace and logits, the shared
 * read-only model and pixels. */
struct worker {
    const upernet_model *model;
    upernet_workspace *ws;
    const float *pixels;
    size_t batch, height, width;
    long repeat;
    bool print_times;
    float *logits;
    enum upernet_status status;
    upernet_error err;
};

static void *run_worker(void *arg)
{
    struct worker *w = arg;
    w->status = UPERNET_OK;
    for (long r = 0; r < w->repeat && w->status == UPERNET_OK; r++) {
        const double start = now_ms();
        w->status = upernet_model_forward(w->model, w->ws, w->pixels, w->batch, w->height,
                                          w->width, w->logits, &w->err);
        if (w->status == UPERNET_OK && w->print_times)
            fprintf(stderr, "forward_ms=%.3f\n", now_ms() - start);
    }
    return NULL;
}

/* Runs `count` workers at once (the first on the calling thread) and
 * returns the wall time of the whole, ms; 0 with a message printed when a
 * thread cannot start or a forward fails. */
static double run_workers(struct worker *workers, size_t count)
{
    pthread_t threads[CLI_MAX_CONCURRENT];
    size_t started = 1;
    const double start = now_ms();
    for (; started < count; started++)
        if (pthread_create(&threads[started], NULL, run_worker, &workers[started]) != 0) {
            fprintf(stderr, "upernet forward: cannot start concurrent forward %zu\n",
                    started + 1);
            break;
        }
    run_worker(&workers[0]);
    for (size_t i = 1; i < started; i++)
        pthread_join(threads[i], NULL);
    const double elapsed = now_ms() - start;
    if (started < count)
        return 0.0;
    for (size_t i = 0; i < count; i++)
        if (workers[i].status != UPERNET_OK) {
            fprintf(stderr, "upernet forward: %s\n", workers[i].err.message);
            return 0.0;
        }
    return elapsed > 0.0 ? elapsed : 1e-9;
}

int cmd_forward(int argc, char **argv)
{
    static const struct option options[] = {
        {"model", required_argument, NULL, 'm'},   {"weights", required_argument, NULL, 'w'},
        {"input", required_argument, NULL, 'i'},   {"logits", required_argument, NULL, 'o'},
        {"isa", required_argument, NULL, 'I'},     {"threads", required_argument, NULL, 't'},
        {"repeat", required_argument, NULL, 'r'},  {"verbose", no_argument, NULL, 'v'},
        {"concurrent", required_argument, NULL, 'c'}, {"strict", no_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    const char *model_spec = NULL, *weights = NULL, *input = NULL, *output = NULL, *isa = NULL;
    long threads = 0, repeat = 1, concurrent = 1;
    int verbose = 0, repeat_given = 0, strict = 0, opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'm': model_spec = optarg; break;
        case 'w': weights = optarg; break;
        case 'i': input = optarg; break;
        case 'o': output = optarg; break;
        case 'I': isa = optarg; break;
        case 't':
            if (cli_parse_positive("forward", "--threads", optarg, 4096, &threads) != 0)
                return EXIT_USAGE;
            break;
        case 'r':
            if (cli_parse_positive("forward", "--repeat", optarg, 1000000, &repeat) != 0)
                return EXIT_USAGE;
            repeat_given = 1;
            break;
        case 'c':
            if (cli_parse_positive("forward", "--concurrent", optarg, CLI_MAX_CONCURRENT,
                                   &concurrent) != 0)
                return EXIT_USAGE;
            break;
        case 'v': verbose = 1; break;
        case 'S': strict = 1; break;
        case 'h': forward_usage(stdout); return 0;
        default: forward_usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc || (model_spec == NULL && weights == NULL) || input == NULL ||
        output == NULL) {
        if (optind == argc)
            fprintf(stderr, "upernet forward: --model or --weights, --input and --logits are "
                            "required\n");
        forward_usage(stderr);
        return EXIT_USAGE;
    }
#ifdef _OPENMP
    const long all_threads = threads > 0 ? threads : omp_get_max_threads();
#else
    const long all_threads = threads > 0 ? threads : 1;
#endif
    if (concurrent > all_threads) {
        fprintf(stderr, "upernet forward: --concurrent %ld needs at least %ld threads (have %ld)\n",
                concurrent, concurrent, all_threads);
        return EXIT_USAGE;
    }
    /* Each concurrent forward gets an equal share of the threads. */
    const long threads_each = all_threads / concurrent;
    upernet_model_options model_options;
    if (cli_model_options("forward", isa, threads_each, &model_options) != 0)
        return 1;
    model_options.strict = strict;

    upernet_error err;
    upernet_array pixels;
    if (upernet_npy_read(input, &pixels, &err) != UPERNET_OK) {
        fprintf(stderr, "upernet forward: %s\n", err.message);
        return 1;
    }
    if (pixels.ndim != 4 || pixels.shape[0] < 1 || pixels.shape[1] != 3 ||
        pixels.shape[2] < 32 || pixels.shape[3] < 32) {
        fprintf(stderr,
                "upernet forward: %s: expected shape (N, 3, H, W) with N >= 1, H, W >= 32, got %zu "
                "dimensions (",
                input, pixels.ndim);
        for (size_t d = 0; d < pixels.ndim; d++)
            fprintf(stderr, "%s%zu", d ? ", " : "", pixels.shape[d]);
        fprintf(stderr, ")\n");
        upernet_array_free(&pixels);
        return 1;
    }
    const size_t N = pixels.shape[0], H = pixels.shape[2], W = pixels.shape[3];

    int status = 1;
    struct worker workers[CLI_MAX_CONCURRENT] = {{0}};
    const size_t P = (size_t) concurrent;
    double t0 = now_ms();
    upernet_model *model = cli_load_model("forward", model_spec, weights, &model_options);
    if (model == NULL)
        goto done;
    const double load_ms = now_ms() - t0;
    const size_t labels = (size_t) upernet_model_num_labels(model);
    for (size_t i = 0; i < P; i++) {
        struct worker *w = &workers[i];
        *w = (struct worker){model, NULL, pixels.data, N, H, W, repeat, repeat_given || verbose,
                             NULL, UPERNET_OK, {0}};
        if (upernet_workspace_create(model, &w->ws, &err) != UPERNET_OK ||
            upernet_workspace_plan(w->ws, H, W, &err) != UPERNET_OK) {
            fprintf(stderr, "upernet forward: %s\n", err.message);
            goto done;
        }
        w->logits = malloc(N * labels * H * W * sizeof *w->logits);
        if (w->logits == NULL) {
            fprintf(stderr, "upernet forward: out of memory for %zux%zux%zux%zu logits\n", N,
                    labels, H, W);
            goto done;
        }
    }
    if (verbose)
        fprintf(stderr,
                "tier=%s conv3x3=%s threads=%ld concurrent=%zu model=%s load_ms=%.1f "
                "weights_bytes=%zu arena_bytes=%zu input=%zux%zux%zu\n",
                upernet_isa_name(upernet_model_isa(model)),
                upernet_conv3x3_name(upernet_model_conv3x3(model)), threads_each, P,
                model_spec != NULL ? model_spec : weights, load_ms,
                upernet_model_weight_bytes(model), upernet_workspace_bytes(workers[0].ws), N, H,
                W);
    const double elapsed_ms = run_workers(workers, P);
    if (elapsed_ms == 0.0)
        goto done;
    if (P > 1)
        fprintf(stderr, "images_per_s=%.4f\n",
                (double) (P * N) * (double) repeat / (1e-3 * elapsed_ms));
    const size_t shape[4] = {N, labels, H, W};
    if (upernet_npy_write(output, shape, 4, workers[0].logits, &err) != UPERNET_OK) {
        fprintf(stderr, "upernet forward: %s\n", err.message);
        goto done;
    }
    status = 0;
done:
    for (size_t i = 0; i < P; i++) {
        free(workers[i].logits);
        upernet_workspace_free(workers[i].ws);
    }
    upernet_model_free(model);
    upernet_array_free(&pixels);
    return status;
}
