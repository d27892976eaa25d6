/* A three-stage pipeline over the samples, in list order:
 *   loader thread:   decode image and annotation, resize + normalise (prepare)
 *   calling thread:  the forwards (infer), which use every OpenMP thread
 *   finisher thread: resize the scores to the image + argmax (finish), count
 * Sample i lives in slot i % EVAL_SLOTS and moves FREE -> LOADED ->
 * INFERRED -> FREE, so at most EVAL_SLOTS images are in memory whatever the
 * dataset size (a bounded queue), and the counts are added in list order.
 * The helper threads run their own work single-threaded: the forward keeps
 * the cores, the helpers fill its gaps. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "cli/eval_loop.h"

#define EVAL_SLOTS 3

enum slot_state { SLOT_FREE, SLOT_LOADED, SLOT_INFERRED };

struct slot {
    enum slot_state state;
    upernet_prediction *prediction;
    upernet_image image;
    upernet_annotation labels;
    uint16_t *class_map;
    size_t class_map_cap;
};

struct loop {
    const struct eval_dataset *dataset;
    const struct eval_loop_options *options;
    upernet_iou_counts *counts;
    struct slot slots[EVAL_SLOTS];
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int failed; /* set once, with `message`; every stage then stops */
    char message[UPERNET_ERROR_MESSAGE_MAX + 64];
    double start;
};

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

/* Waits until slot i is in `state` (1) or the loop failed (0). */
static int wait_for(struct loop *l, size_t i, enum slot_state state)
{
    pthread_mutex_lock(&l->lock);
    while (!l->failed && l->slots[i % EVAL_SLOTS].state != state)
        pthread_cond_wait(&l->changed, &l->lock);
    const int ok = !l->failed;
    pthread_mutex_unlock(&l->lock);
    return ok;
}

static void set_state(struct loop *l, size_t i, enum slot_state state)
{
    pthread_mutex_lock(&l->lock);
    l->slots[i % EVAL_SLOTS].state = state;
    pthread_cond_broadcast(&l->changed);
    pthread_mutex_unlock(&l->lock);
}

static void fail(struct loop *l, const char *message)
{
    pthread_mutex_lock(&l->lock);
    if (!l->failed) {
        l->failed = 1;
        snprintf(l->message, sizeof l->message, "%s", message);
    }
    pthread_cond_broadcast(&l->changed);
    pthread_mutex_unlock(&l->lock);
}

static void single_threaded(void)
{
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
}

static void *loader(void *arg)
{
    struct loop *l = arg;
    single_threaded();
    upernet_error err;
    for (size_t i = 0; i < l->dataset->count; i++) {
        if (!wait_for(l, i, SLOT_FREE))
            break;
        struct slot *s = &l->slots[i % EVAL_SLOTS];
        const struct eval_sample *sample = &l->dataset->samples[i];
        upernet_image_free(&s->image);
        upernet_annotation_free(&s->labels);
        if (upernet_image_load(sample->image, &s->image, &err) != UPERNET_OK ||
            upernet_annotation_load(sample->annotation, &s->labels, &err) != UPERNET_OK ||
            upernet_prediction_prepare(s->prediction, &s->image, &err) != UPERNET_OK) {
            fail(l, err.message);
            break;
        }
        set_state(l, i, SLOT_LOADED);
    }
    return NULL;
}

static void show_progress(const struct loop *l, size_t done)
{
    const size_t total = l->dataset->count;
    const double elapsed = seconds_now() - l->start;
    const double rate = elapsed > 0.0 ? (double) done / elapsed : 0.0;
    const double eta = rate > 0.0 ? (double) (total - done) / rate : 0.0;
    fprintf(stderr, "\r%zu/%zu images, %.2f images/s, ETA %d:%02d   ", done, total, rate,
            (int) (eta / 60.0), (int) eta % 60);
    if (done == total)
        fprintf(stderr, "\n");
}

static void *finisher(void *arg)
{
    struct loop *l = arg;
    single_threaded();
    upernet_error err;
    const int progress = l->options->progress && isatty(STDERR_FILENO);
    for (size_t i = 0; i < l->dataset->count; i++) {
        if (!wait_for(l, i, SLOT_INFERRED))
            break;
        struct slot *s = &l->slots[i % EVAL_SLOTS];
        const size_t pixels = (size_t) s->image.width * (size_t) s->image.height;
        if (pixels > s->class_map_cap) {
            free(s->class_map);
            s->class_map = malloc(pixels * sizeof *s->class_map);
            s->class_map_cap = s->class_map != NULL ? pixels : 0;
            if (s->class_map == NULL) {
                fail(l, "out of memory for a class map");
                break;
            }
        }
        if (upernet_prediction_finish(s->prediction, s->class_map, &err) != UPERNET_OK ||
            upernet_iou_counts_add(l->counts, s->class_map, s->labels.labels, pixels,
                                   l->options->reduce_zero_label, &err) != UPERNET_OK) {
            char message[sizeof l->message];
            snprintf(message, sizeof message, "%s: %s", l->dataset->samples[i].image, err.message);
            fail(l, message);
            break;
        }
        set_state(l, i, SLOT_FREE);
        if (progress)
            show_progress(l, i + 1);
    }
    return NULL;
}

int eval_loop_run(const upernet_model *model, upernet_workspace *ws,
                  const struct eval_dataset *dataset,
                  const struct eval_loop_options *options, upernet_iou_counts *counts)
{
    struct loop l;
    memset(&l, 0, sizeof l);
    l.dataset = dataset;
    l.options = options;
    l.counts = counts;
    l.start = seconds_now();
    upernet_error err;
    for (int k = 0; k < EVAL_SLOTS; k++)
        if ((l.slots[k].prediction = upernet_prediction_create(options->config, &err)) == NULL) {
            fprintf(stderr, "upernet evaluate: %s\n", err.message);
            for (int j = 0; j < k; j++)
                upernet_prediction_free(l.slots[j].prediction);
            return -1;
        }
    pthread_mutex_init(&l.lock, NULL);
    pthread_cond_init(&l.changed, NULL);
    pthread_t load_thread, finish_thread;
    const int have_loader = pthread_create(&load_thread, NULL, loader, &l) == 0;
    const int have_finisher = have_loader && pthread_create(&finish_thread, NULL, finisher, &l) == 0;
    if (!have_finisher)
        fail(&l, "cannot start the image loop's threads");
    for (size_t i = 0; have_finisher && i < dataset->count; i++) {
        if (!wait_for(&l, i, SLOT_LOADED))
            break;
        if (upernet_prediction_infer(l.slots[i % EVAL_SLOTS].prediction, model, ws, &err) !=
            UPERNET_OK) {
            char message[sizeof l.message];
            snprintf(message, sizeof message, "%s: %s", dataset->samples[i].image, err.message);
            fail(&l, message);
            break;
        }
        set_state(&l, i, SLOT_INFERRED);
    }
    if (have_loader)
        pthread_join(load_thread, NULL);
    if (have_finisher)
        pthread_join(finish_thread, NULL);
    for (int k = 0; k < EVAL_SLOTS; k++) {
        upernet_prediction_free(l.slots[k].prediction);
        upernet_image_free(&l.slots[k].image);
        upernet_annotation_free(&l.slots[k].labels);
        free(l.slots[k].class_map);
    }
    pthread_cond_destroy(&l.changed);
    pthread_mutex_destroy(&l.lock);
    if (l.failed) {
        fprintf(stderr, "upernet evaluate: %s\n", l.message);
        return -1;
    }
    return 0;
}
