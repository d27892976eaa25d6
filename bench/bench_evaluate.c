/* `upernet evaluate`'s image loop over a synthetic dataset: images/s of the
 * pipelined loop (src/cli/image_loop.c: decoding, resizing and counting on
 * helper threads around the forwards, post-processing beside them or on
 * their threads) and its overhead against the same forwards run back to
 * back on prepared pixels. Each iteration runs both, one after the other,
 * so the two are measured under the same machine load:
 *   evaluate/tiny/whole_256x256/threads:N   images/s (pipelined; all threads,
 *       post-processing where `upernet evaluate` puts it), forwards_images/s,
 *       overhead_% = pipelined time / forwards time - 1;
 *   .../finish:beside or .../finish:forward_threads   the same with the
 *       post-processing in the other place, for comparison.
 * The images are PNGs of ADE20K-like sizes written once to a temporary
 * folder (removed at exit) and each loop reads them EVAL_BENCH_PASSES
 * times over; the model is tiny with its synthetic weights. */
#include "config.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_common.h"
#include "bench/shim.h"
#include "cli/eval_dataset.h"
#include "cli/image_loop.h"
#include "upernet.h"

#define EVAL_BENCH_IMAGES 8
/* Each loop runs the files this many times over: the loop's one-time costs
 * (starting its threads, the first touch of its slots' buffers, filling
 * and draining the pipeline) then weigh about as little as in a dataset
 * run of thousands of images (with 8 images they were a third of the
 * measured overhead). */
#define EVAL_BENCH_PASSES 3
#define EVAL_BENCH_SAMPLES (EVAL_BENCH_IMAGES * EVAL_BENCH_PASSES)
#define EVAL_BENCH_INPUT 256

static char dataset_dir[64];

static void remove_dataset(void)
{
    char path[128];
    for (int i = 0; i < EVAL_BENCH_IMAGES; i++) {
        snprintf(path, sizeof path, "%s/images/%02d.png", dataset_dir, i);
        unlink(path);
        snprintf(path, sizeof path, "%s/annotations/%02d.png", dataset_dir, i);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/images", dataset_dir);
    rmdir(path);
    snprintf(path, sizeof path, "%s/annotations", dataset_dir);
    rmdir(path);
    rmdir(dataset_dir);
}

/* Writes the images (sizes of typical ADE20K photos, scaled down) and their
 * annotations (palette PNGs, class stripes). */
static bool make_dataset(upernet_bench_state *s)
{
    if (dataset_dir[0] != '\0')
        return true;
    snprintf(dataset_dir, sizeof dataset_dir, "/tmp/upernet-bench-eval-XXXXXX");
    char path[128];
    upernet_labels labels = {0};
    upernet_error err;
    if (mkdtemp(dataset_dir) == NULL || upernet_labels_generic(151, &labels, &err) != UPERNET_OK) {
        upernet_bench_skip(s, "cannot create the synthetic dataset");
        dataset_dir[0] = '\0';
        return false;
    }
    atexit(remove_dataset);
    snprintf(path, sizeof path, "%s/images", dataset_dir);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/annotations", dataset_dir);
    mkdir(path, 0777);
    static const int sizes[EVAL_BENCH_IMAGES][2] = {{342, 256}, {256, 342}, {384, 256},
                                                    {256, 256}, {320, 240}, {300, 400},
                                                    {512, 384}, {341, 256}};
    bool ok = true;
    for (int i = 0; ok && i < EVAL_BENCH_IMAGES; i++) {
        const int w = sizes[i][0], h = sizes[i][1];
        upernet_image image = {w, h, malloc((size_t) w * h * 3)};
        uint16_t *map = malloc((size_t) w * h * sizeof *map);
        ok = image.rgb != NULL && map != NULL;
        for (int y = 0; ok && y < h; y++)
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++)
                    image.rgb[((size_t) y * w + x) * 3 + c] = (uint8_t) ((x * (c + 1) + y * 3 + i * 40) & 255);
                map[(size_t) y * w + x] = (uint16_t) ((y / 16 + i) % 151);
            }
        snprintf(path, sizeof path, "%s/images/%02d.png", dataset_dir, i);
        ok = ok && upernet_write_rgb_png(path, &image, &err) == UPERNET_OK;
        snprintf(path, sizeof path, "%s/annotations/%02d.png", dataset_dir, i);
        ok = ok && upernet_write_class_map_png(path, map, h, w, &labels, &err) == UPERNET_OK;
        free(image.rgb);
        free(map);
    }
    upernet_labels_free(&labels);
    if (!ok)
        upernet_bench_skip(s, "cannot write the synthetic dataset");
    return ok;
}

static int count_image(void *ctx, const struct image_loop_view *view, upernet_error *err)
{
    return upernet_iou_counts_add(ctx, view->class_map, view->labels->labels,
                                  (size_t) view->image->width * (size_t) view->image->height, 1,
                                  err) == UPERNET_OK
               ? 0
               : -1;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

struct evaluate_case {
    int threads;
    enum image_loop_finish finish;
};

static void run_evaluate(upernet_bench_state *s, const void *arg)
{
    const struct evaluate_case *c = arg;
    const int threads = c->threads;
    if (!make_dataset(s))
        return;
    char images[96], annotations[96];
    snprintf(images, sizeof images, "%s/images", dataset_dir);
    snprintf(annotations, sizeof annotations, "%s/annotations", dataset_dir);
    struct eval_dataset dataset;
    if (eval_dataset_list("bench", images, annotations, &dataset) != 0) {
        upernet_bench_skip(s, "cannot list the synthetic dataset");
        return;
    }
    struct eval_sample samples[EVAL_BENCH_SAMPLES];
    for (int i = 0; i < EVAL_BENCH_SAMPLES; i++)
        samples[i] = dataset.samples[(size_t) i % dataset.count];
    const upernet_eval_config config = {.mode = UPERNET_EVAL_WHOLE,
                                        .whole_height = EVAL_BENCH_INPUT,
                                        .whole_width = EVAL_BENCH_INPUT};
    upernet_error err;
    upernet_model_options options;
    upernet_model_options_init(&options);
    options.threads = threads;
    upernet_model *model = NULL;
    upernet_workspace *ws = NULL;
    upernet_iou_counts counts = {0};
    const size_t plane = (size_t) EVAL_BENCH_INPUT * EVAL_BENCH_INPUT;
    float *pixels = bench_alloc_floats(3 * plane, 0.0f);
    float *logits = NULL;
    if (upernet_model_open("tiny", &options, &model, &err) != UPERNET_OK ||
        upernet_workspace_create(model, &ws, &err) != UPERNET_OK ||
        upernet_iou_counts_init(&counts, upernet_model_num_labels(model), &err) != UPERNET_OK) {
        upernet_bench_skip(s, err.message);
        goto done;
    }
    logits = bench_alloc_floats((size_t) upernet_model_num_labels(model) * plane, 0.0f);
    bench_fill_uniform(pixels, 3 * plane);
    const struct image_loop_options loop = {.verb = "bench", .config = &config,
                                            .want_class_map = 1, .consume = count_image,
                                            .ctx = &counts, .threads = threads,
                                            .finish = c->finish};
    size_t failures;
    /* Untimed warm-up: the arena, the caches, the page cache of the files. */
    bool ok = upernet_model_forward(model, ws, pixels, 1, EVAL_BENCH_INPUT, EVAL_BENCH_INPUT,
                                    logits, &err) == UPERNET_OK;
    double forwards = 0.0, pipelined = 0.0;
    while (ok && upernet_bench_keep_running(s)) {
        const double t0 = now_seconds();
        for (int i = 0; ok && i < EVAL_BENCH_SAMPLES; i++)
            ok = upernet_model_forward(model, ws, pixels, 1, EVAL_BENCH_INPUT, EVAL_BENCH_INPUT,
                                       logits, &err) == UPERNET_OK;
        const double t1 = now_seconds();
        ok = ok && image_loop_run(model, ws, samples, EVAL_BENCH_SAMPLES, &loop, &failures) == 0;
        const double t2 = now_seconds();
        forwards += t1 - t0;
        pipelined += t2 - t1;
    }
    if (!ok) {
        upernet_bench_skip(s, "a forward or the image loop failed");
        goto done;
    }
    const double images_done = upernet_bench_iterations(s) * EVAL_BENCH_SAMPLES;
    upernet_bench_counter(s, "images/s", images_done / pipelined, false);
    upernet_bench_counter(s, "forwards_images/s", images_done / forwards, false);
    upernet_bench_counter(s, "overhead_%", 100.0 * (pipelined / forwards - 1.0), false);
done:
    free(pixels);
    free(logits);
    upernet_iou_counts_free(&counts);
    upernet_workspace_free(ws);
    upernet_model_free(model);
    eval_dataset_free(&dataset);
}

void bench_register_evaluate(void)
{
    /* All threads, as `upernet evaluate` runs by default; then the
     * post-processing placement it does not choose. */
    static struct evaluate_case cases[2];
    static char names[2][128];
    const int threads = omp_get_max_threads();
    const int beside = image_loop_spare_core(threads);
    cases[0] = (struct evaluate_case){threads, IMAGE_LOOP_FINISH_AUTO};
    cases[1] = (struct evaluate_case){threads, beside ? IMAGE_LOOP_FINISH_FORWARD_THREADS
                                                      : IMAGE_LOOP_FINISH_BESIDE};
    snprintf(names[0], sizeof names[0], "evaluate/tiny/whole_%dx%d/threads:%d", EVAL_BENCH_INPUT,
             EVAL_BENCH_INPUT, threads);
    snprintf(names[1], sizeof names[1], "%.96s/finish:%s", names[0],
             beside ? "forward_threads" : "beside");
    const struct upernet_bench_options once = {.iterations = 1, .min_time_s = 0};
    for (int i = 0; i < 2; i++)
        upernet_bench_register_with(names[i], run_evaluate, &cases[i], &once);
}
