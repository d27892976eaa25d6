/* A three-stage pipeline over the samples, in list order:
 *   loader thread:   decode the image (and annotation), resize + normalise
 *   calling thread:  the forwards, which use the model's OpenMP threads
 *   finisher thread: the caller's consume (counting, writing files)
 * and finish (the scores resized to the image + argmax) on one of two
 * places. A spare core (the forwards use fewer threads than the process
 * may run on): the finisher thread, overlapping the next forwards. None
 * (the default of one process using every core): the calling thread, right
 * after the forwards and with their thread count. Finish is data-parallel
 * and the forwards' threads are all busy; a helper thread doing it would
 * preempt one of them while the others wait for it at their next barrier,
 * so it would cost its whole single-threaded time in wall time, while on
 * the forwards' T threads it costs 1/T of that (bench_evaluate.c measures
 * both). Decoding and consume are serial work and always overlap.
 * Sample i lives in slot i % LOOP_SLOTS and moves FREE -> LOADED ->
 * INFERRED -> FREE, so at most LOOP_SLOTS images are in memory whatever
 * the dataset size (a bounded queue), and consume sees them in list order.
 * A sample that failed at some step carries its message through the
 * remaining states (nothing more is done with it) and is reported by the
 * finisher, so messages also come in list order. The helper threads run
 * their own work single-threaded. */
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

#include "cli/image_loop.h"

#define LOOP_SLOTS 3

enum slot_state { SLOT_FREE, SLOT_LOADED, SLOT_INFERRED };

struct slot {
    enum slot_state state;
    int failed; /* this sample failed; `message` says why */
    char message[UPERNET_ERROR_MESSAGE_MAX + 64];
    upernet_prediction *prediction;
    upernet_image image;
    upernet_annotation labels;
    uint16_t *class_map;
    size_t class_map_cap;
};

struct loop {
    const struct eval_sample *samples;
    size_t count;
    const struct image_loop_options *options;
    struct slot slots[LOOP_SLOTS];
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int stopped; /* a failure without keep_going: every stage stops */
    int finish_beside; /* finish on the finisher thread (else on the caller's) */
    size_t failures;
    double start;
};

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

/* Waits until sample i's slot is in `state` (1) or the loop stopped (0). */
static int wait_for(struct loop *l, size_t i, enum slot_state state)
{
    pthread_mutex_lock(&l->lock);
    while (!l->stopped && l->slots[i % LOOP_SLOTS].state != state)
        pthread_cond_wait(&l->changed, &l->lock);
    const int ok = !l->stopped;
    pthread_mutex_unlock(&l->lock);
    return ok;
}

static void set_state(struct loop *l, size_t i, enum slot_state state)
{
    pthread_mutex_lock(&l->lock);
    l->slots[i % LOOP_SLOTS].state = state;
    pthread_cond_broadcast(&l->changed);
    pthread_mutex_unlock(&l->lock);
}

/* Records sample i's failure (its file named unless the message does). */
static void mark_failed(struct loop *l, size_t i, const char *message)
{
    struct slot *s = &l->slots[i % LOOP_SLOTS];
    const char *path = l->samples[i].image;
    s->failed = 1;
    if (strstr(message, path) != NULL)
        snprintf(s->message, sizeof s->message, "%s", message);
    else
        snprintf(s->message, sizeof s->message, "%s: %s", path, message);
}

static void single_threaded(void)
{
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
}

/* The threads each forward uses: the model's count, or OpenMP's default. */
static int forward_thread_count(int threads)
{
#ifdef _OPENMP
    return threads > 0 ? threads : omp_get_max_threads();
#else
    (void) threads;
    return 1;
#endif
}

/* The CPUs this process may run on (OpenMP counts those of its affinity
 * mask: taskset, mpirun's binding, a container's cpuset). */
static int usable_cores(void)
{
#ifdef _OPENMP
    return omp_get_num_procs();
#else
    const long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (int) online : 1;
#endif
}

int image_loop_spare_core(int threads)
{
    return forward_thread_count(threads) < usable_cores();
}

static void *loader(void *arg)
{
    struct loop *l = arg;
    single_threaded();
    upernet_error err;
    for (size_t i = 0; i < l->count; i++) {
        if (!wait_for(l, i, SLOT_FREE))
            break;
        struct slot *s = &l->slots[i % LOOP_SLOTS];
        const struct eval_sample *sample = &l->samples[i];
        upernet_image_free(&s->image);
        upernet_annotation_free(&s->labels);
        s->failed = 0;
        if (upernet_image_load(sample->image, &s->image, &err) != UPERNET_OK ||
            (sample->annotation != NULL &&
             upernet_annotation_load(sample->annotation, &s->labels, &err) != UPERNET_OK) ||
            upernet_prediction_prepare(s->prediction, &s->image, &err) != UPERNET_OK)
            mark_failed(l, i, err.message);
        set_state(l, i, SLOT_LOADED);
    }
    return NULL;
}

static void show_progress(const struct loop *l, size_t done)
{
    const double elapsed = seconds_now() - l->start;
    const double rate = elapsed > 0.0 ? (double) done / elapsed : 0.0;
    const double eta = rate > 0.0 ? (double) (l->count - done) / rate : 0.0;
    fprintf(stderr, "\r%zu/%zu images, %.2f images/s, ETA %d:%02d   ", done, l->count, rate,
            (int) (eta / 60.0), (int) eta % 60);
    if (done == l->count)
        fprintf(stderr, "\n");
}

/* Finish: sample i's class map at its image's size (when wanted). */
static void finish_one(struct loop *l, size_t i, struct slot *s)
{
    upernet_error err;
    const size_t pixels = (size_t) s->image.width * (size_t) s->image.height;
    if (!l->options->want_class_map)
        return;
    if (pixels > s->class_map_cap) {
        free(s->class_map);
        s->class_map = malloc(pixels * sizeof *s->class_map);
        s->class_map_cap = s->class_map != NULL ? pixels : 0;
        if (s->class_map == NULL) {
            mark_failed(l, i, "out of memory for a class map");
            return;
        }
    }
    if (upernet_prediction_finish(s->prediction, s->class_map, &err) != UPERNET_OK)
        mark_failed(l, i, err.message);
}

static void consume_one(struct loop *l, size_t i, struct slot *s)
{
    upernet_error err;
    const struct image_loop_options *o = l->options;
    const struct image_loop_view view = {
        i, l->samples[i].image, &s->image, l->samples[i].annotation != NULL ? &s->labels : NULL,
        s->prediction, o->want_class_map ? s->class_map : NULL};
    if (o->consume(o->ctx, &view, &err) != 0)
        mark_failed(l, i, err.message);
}

static void *finisher(void *arg)
{
    struct loop *l = arg;
    single_threaded();
    const int progress = l->options->progress && isatty(STDERR_FILENO);
    for (size_t i = 0; i < l->count; i++) {
        if (!wait_for(l, i, SLOT_INFERRED))
            break;
        struct slot *s = &l->slots[i % LOOP_SLOTS];
        if (!s->failed && l->finish_beside)
            finish_one(l, i, s);
        if (!s->failed)
            consume_one(l, i, s);
        if (s->failed) {
            if (progress)
                fprintf(stderr, "\n");
            fprintf(stderr, "upernet %s: %s\n", l->options->verb, s->message);
            pthread_mutex_lock(&l->lock);
            l->failures++;
            if (!l->options->keep_going) {
                l->stopped = 1;
                pthread_cond_broadcast(&l->changed);
            }
            pthread_mutex_unlock(&l->lock);
            if (!l->options->keep_going)
                break;
        }
        set_state(l, i, SLOT_FREE);
        if (progress)
            show_progress(l, i + 1);
    }
    return NULL;
}

int image_loop_run(const upernet_model *model, upernet_workspace *ws,
                   const struct eval_sample *samples, size_t count,
                   const struct image_loop_options *options, size_t *failures)
{
    struct loop l;
    memset(&l, 0, sizeof l);
    l.samples = samples;
    l.count = count;
    l.options = options;
    l.start = seconds_now();
    *failures = 0;
    upernet_error err;
    for (int k = 0; k < LOOP_SLOTS; k++)
        if ((l.slots[k].prediction = upernet_prediction_create(options->config, &err)) == NULL) {
            fprintf(stderr, "upernet %s: %s\n", options->verb, err.message);
            for (int j = 0; j < k; j++)
                upernet_prediction_free(l.slots[j].prediction);
            return -1;
        }
    l.finish_beside = options->finish == IMAGE_LOOP_FINISH_BESIDE ||
                      (options->finish == IMAGE_LOOP_FINISH_AUTO &&
                       image_loop_spare_core(options->threads));
#ifdef _OPENMP
    /* finish on this thread runs with the forwards' thread count */
    const int caller_threads = omp_get_max_threads();
    omp_set_num_threads(forward_thread_count(options->threads));
#endif
    pthread_mutex_init(&l.lock, NULL);
    pthread_cond_init(&l.changed, NULL);
    pthread_t load_thread, finish_thread;
    const int have_loader = pthread_create(&load_thread, NULL, loader, &l) == 0;
    const int have_finisher = have_loader && pthread_create(&finish_thread, NULL, finisher, &l) == 0;
    int started = have_finisher;
    if (!started) {
        fprintf(stderr, "upernet %s: cannot start the image loop's threads\n", options->verb);
        pthread_mutex_lock(&l.lock);
        l.stopped = 1;
        pthread_cond_broadcast(&l.changed);
        pthread_mutex_unlock(&l.lock);
    }
    for (size_t i = 0; started && i < count; i++) {
        if (!wait_for(&l, i, SLOT_LOADED))
            break;
        struct slot *s = &l.slots[i % LOOP_SLOTS];
        if (!s->failed && upernet_prediction_infer(s->prediction, model, ws, &err) != UPERNET_OK)
            mark_failed(&l, i, err.message);
        if (!s->failed && !l.finish_beside)
            finish_one(&l, i, s);
        set_state(&l, i, SLOT_INFERRED);
    }
    if (have_loader)
        pthread_join(load_thread, NULL);
    if (have_finisher)
        pthread_join(finish_thread, NULL);
    for (int k = 0; k < LOOP_SLOTS; k++) {
        upernet_prediction_free(l.slots[k].prediction);
        upernet_image_free(&l.slots[k].image);
        upernet_annotation_free(&l.slots[k].labels);
        free(l.slots[k].class_map);
    }
    pthread_cond_destroy(&l.changed);
    pthread_mutex_destroy(&l.lock);
#ifdef _OPENMP
    omp_set_num_threads(caller_threads);
#endif
    *failures = l.failures;
    return started && (options->keep_going || l.failures == 0) ? 0 : -1;
}
