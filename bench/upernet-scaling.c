/* upernet-scaling: how one forward splits over threads, layer by layer, and
 * a model of its efficiency on a many-core machine, measured on whatever
 * machine is at hand (one thread).
 *
 *   upernet-scaling [--model SIZE] [--size N] [--threads T] [--repeat R]
 *                   [--isa TIER] [--peak-gain P] [--bandwidth-gain G]
 *                   [--barrier-us B]
 *
 * It runs R forwards of SIZE (synthetic weights) on an N x N input on one
 * thread with the model's step observer (src/model/model.h), which reports
 * for every op call its arithmetic, its work units as the op's driver splits
 * them for T threads, its worksharing loops and its CPU time (the work, even
 * on a shared machine); then prints per layer (the calls of the MLP's pixel
 * chunks summed): calls, GFLOP really computed, median one-thread ms, the
 * fewest work units of a call at T threads, the load balance they allow,
 * loops, and the modelled time at T threads; then the barriers per forward
 * and the modelled speed-up from 1 and from 2 threads to T, against linear
 * scaling and against the FMA peak's own gain.
 *
 * The model, per op call with one-thread time t and u work units:
 *   balance(T) = u / (T * ceil(u / T))    (a static schedule of equal units)
 *   compute-bound (the call does multiply-adds): t / (P * balance(T))
 *     with P the FMA peak's gain from 1 to T threads (--peak-gain, default
 *     T; the 16-core Xeon of issue 15 measured 164 -> 1309 GFLOP/s, 7.98)
 *   memory-bound (norms, resizes, pooling, layout): t / min(T * balance(T), G)
 *     with G the memory bandwidth gain from 1 to T threads (--bandwidth-gain,
 *     default 6.9: DRAM triad from 1 to 16 threads on that Xeon)
 *   plus B microseconds per barrier (--barrier-us, default 2).
 * At 2 threads both gains are taken to be 2.
 * It ignores what it cannot see from one thread: shared-cache and DRAM
 * contention inside the compute-bound layers, frequency changes, other
 * processes. A layer whose calls have fewer than MIN_UNITS units is listed
 * as a candidate for a finer split. */
#include "config.h"

#include <getopt.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "upernet.h"

#define MIN_UNITS 64
#define MAX_REPEAT 101

struct options {
    const char *model, *isa;
    size_t size, threads, repeat;
    double peak_gain, bandwidth_gain, barrier_us;
};

/* The calls of one forward, in schedule order. */
struct trace {
    struct upernet_step *steps;
    size_t count, cap;
};

static void record(void *ctx, const struct upernet_step *step)
{
    struct trace *tr = ctx;
    if (tr->count == tr->cap) {
        tr->cap = tr->cap ? 2 * tr->cap : 256;
        tr->steps = realloc(tr->steps, tr->cap * sizeof *tr->steps);
        if (tr->steps == NULL) {
            fputs("upernet-scaling: out of memory\n", stderr);
            exit(1);
        }
    }
    tr->steps[tr->count++] = *step;
}

static int by_value(const void *a, const void *b)
{
    const double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static double balance(size_t units, size_t threads)
{
    if (units == 0)
        return 1.0;
    const size_t rounds = (units + threads - 1) / threads;
    return (double) units / (double) (threads * rounds);
}

/* Modelled seconds of one call at `threads` threads. */
static double model_seconds(const struct upernet_step *s, double t1, size_t threads,
                            double peak_gain, double bandwidth_gain, double barrier_us)
{
    const double balanced = balance(s->cost.units, threads);
    double speedup = peak_gain * balanced;
    if (s->cost.macs == 0.0) {
        speedup = (double) threads * balanced;
        if (speedup > bandwidth_gain)
            speedup = bandwidth_gain;
    }
    return t1 / speedup + 1e-6 * barrier_us * (double) s->cost.loops;
}

static void layer_name(const struct upernet_step *s, char *out, size_t size)
{
    if (s->stage >= 0 && s->index >= 0)
        snprintf(out, size, "%s %d.%d", s->op, s->stage, s->index);
    else if (s->stage >= 0)
        snprintf(out, size, "%s %d", s->op, s->stage);
    else
        snprintf(out, size, "%s", s->op);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: upernet-scaling [--model SIZE] [--size N] [--threads T] [--repeat R]\n"
            "                       [--isa TIER] [--peak-gain P] [--bandwidth-gain G]\n"
            "                       [--barrier-us B]\n"
            "Per-layer work units, barriers and a T-thread efficiency model of one forward\n"
            "(synthetic weights), from R one-thread forwards on this machine.\n"
            "  --model SIZE        tiny (default), small, base, large, xlarge\n"
            "  --size N            input N x N (default 512)\n"
            "  --threads T         the thread count modelled (default 16)\n"
            "  --repeat R          timed forwards, median per call (default 5, at most %d)\n"
            "  --isa TIER          kernel tier (default: the best one)\n"
            "  --peak-gain P       FMA peak from 1 to T threads (default T)\n"
            "  --bandwidth-gain G  memory bandwidth from 1 to T threads (default 6.9)\n"
            "  --barrier-us B      cost of one barrier at T threads, us (default 2)\n",
            MAX_REPEAT);
}

static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option long_options[] = {
        {"model", required_argument, NULL, 'm'},  {"size", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'}, {"repeat", required_argument, NULL, 'r'},
        {"isa", required_argument, NULL, 'i'},    {"bandwidth-gain", required_argument, NULL, 'g'},
        {"barrier-us", required_argument, NULL, 'b'}, {"peak-gain", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    *o = (struct options){"tiny", NULL, 512, 16, 5, 0.0, 6.9, 2.0};
    int opt, which = 0;
    while ((opt = getopt_long(argc, argv, "h", long_options, &which)) != -1) {
        char *end = NULL;
        switch (opt) {
        case 'm': o->model = optarg; break;
        case 'i': o->isa = optarg; break;
        case 's': o->size = strtoul(optarg, &end, 10); break;
        case 't': o->threads = strtoul(optarg, &end, 10); break;
        case 'r': o->repeat = strtoul(optarg, &end, 10); break;
        case 'p': o->peak_gain = strtod(optarg, &end); break;
        case 'g': o->bandwidth_gain = strtod(optarg, &end); break;
        case 'b': o->barrier_us = strtod(optarg, &end); break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return 2;
        }
        if (end != NULL && (*end != 0 || end == optarg)) {
            fprintf(stderr, "upernet-scaling: --%s: not a number: '%s'\n",
                    long_options[which].name, optarg);
            return 2;
        }
    }
    if (o->peak_gain == 0.0)
        o->peak_gain = (double) o->threads;
    if (optind != argc || o->size < 32 || o->threads < 2 || o->repeat < 1 ||
        o->repeat > MAX_REPEAT || !(o->peak_gain >= 1.0) || !(o->bandwidth_gain >= 1.0) ||
        !(o->barrier_us >= 0.0)) {
        fprintf(stderr, "upernet-scaling: need --size >= 32, --threads >= 2, --repeat 1..%d, "
                        "--peak-gain >= 1, --bandwidth-gain >= 1, --barrier-us >= 0\n",
                MAX_REPEAT);
        usage(stderr);
        return 2;
    }
    return 0;
}

/* One forward with the observer reporting splits for `threads`. */
static int traced_forward(const upernet_model *m, upernet_workspace *ws, const float *pixels,
                          float *logits, size_t n, size_t threads, struct trace *tr)
{
    upernet_error err;
    tr->count = 0;
    upernet_workspace_set_step_observer(ws, record, tr, threads);
    const enum upernet_status st = upernet_model_forward(m, ws, pixels, 1, n, n, logits, &err);
    upernet_workspace_set_step_observer(ws, NULL, NULL, 0);
    if (st != UPERNET_OK) {
        fprintf(stderr, "upernet-scaling: forward: %s\n", err.message);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct options o;
    const int parsed = parse_options(argc, argv, &o);
    if (parsed != 0)
        return parsed;
    upernet_error err;
    upernet_model_options options;
    upernet_model_options_init(&options);
    omp_set_num_threads(1);
    upernet_model *m = NULL;
    upernet_workspace *ws = NULL;
    if (upernet_isa_from_name(o.isa, &options.isa, &err) != UPERNET_OK ||
        upernet_model_open(o.model, &options, &m, &err) != UPERNET_OK ||
        upernet_workspace_create(m, &ws, &err) != UPERNET_OK) {
        fprintf(stderr, "upernet-scaling: %s\n", err.message);
        return 1;
    }
    const size_t n = o.size, labels = (size_t) upernet_model_num_labels(m);
    float *pixels = calloc(3 * n * n, sizeof *pixels);
    float *logits = malloc(labels * n * n * sizeof *logits);
    if (pixels == NULL || logits == NULL) {
        fputs("upernet-scaling: out of memory\n", stderr);
        return 1;
    }
    for (size_t i = 0; i < 3 * n * n; i++)
        pixels[i] = (float) ((i * 2654435761u) % 1000) / 500.0f - 1.0f;

    /* A warm-up forward, the splits at 2 threads, then the timed ones. */
    struct trace at_two = {0}, timed[MAX_REPEAT] = {{0}};
    if (traced_forward(m, ws, pixels, logits, n, 2, &at_two) != 0)
        return 1;
    for (size_t r = 0; r < o.repeat; r++)
        if (traced_forward(m, ws, pixels, logits, n, o.threads, &timed[r]) != 0 ||
            timed[r].count != at_two.count)
            return 1;

    const size_t steps = at_two.count;
    double *t1 = malloc(steps * sizeof *t1), samples[MAX_REPEAT];
    if (t1 == NULL)
        return 1;
    for (size_t i = 0; i < steps; i++) {
        for (size_t r = 0; r < o.repeat; r++)
            samples[r] = timed[r].steps[i].cpu_seconds;
        qsort(samples, o.repeat, sizeof samples[0], by_value);
        t1[i] = samples[o.repeat / 2];
    }

    const size_t T = o.threads;
    printf("upernet-scaling: %s %zux%zu, tier %s; one-thread times: median of %zu forwards on "
           "this machine; model for T = %zu threads (FMA peak gain %.2f, bandwidth gain %.2f, %.1f "
           "us a barrier)\n\n",
           o.model, n, n, upernet_isa_name(upernet_model_isa(m)), o.repeat, T, o.peak_gain,
           o.bandwidth_gain, o.barrier_us);
    printf("%-16s %5s %8s %9s %8s %8s %7s %6s %9s\n", "layer", "calls", "GFLOP", "ms@1",
           "GFLOP/s", "units@T", "bal@T", "loops", "ms@T");
    /* Layers in schedule order; a layer's calls share op, stage and index. */
    const struct upernet_step *ref = timed[0].steps;
    struct layer {
        const struct upernet_step *first;
        size_t calls, loops, min_units;
        double gflop, s1, sT;
    } *layers = calloc(steps, sizeof *layers);
    if (layers == NULL)
        return 1;
    size_t n_layers = 0;
    double total1 = 0, totalT = 0, total2 = 0, flops = 0, direct = 0;
    size_t loops = 0;
    for (size_t i = 0; i < steps; i++) {
        size_t k = 0;
        while (k < n_layers &&
               !(strcmp(layers[k].first->op, ref[i].op) == 0 &&
                 layers[k].first->stage == ref[i].stage && layers[k].first->index == ref[i].index))
            k++;
        struct layer *l = &layers[k];
        if (k == n_layers++ || l->first == NULL)
            *l = (struct layer){.first = &ref[i], .min_units = SIZE_MAX};
        else
            n_layers--;
        const double sT =
            model_seconds(&ref[i], t1[i], T, o.peak_gain, o.bandwidth_gain, o.barrier_us);
        l->calls++;
        l->loops += ref[i].cost.loops;
        if (ref[i].cost.units < l->min_units)
            l->min_units = ref[i].cost.units;
        l->gflop += 2e-9 * ref[i].cost.macs;
        l->s1 += t1[i];
        l->sT += sT;
        direct += 2e-9 * ref[i].cost.direct_macs;
        total2 += model_seconds(&at_two.steps[i], t1[i], 2, 2.0, 2.0, o.barrier_us);
    }
    size_t flagged = 0;
    char flagged_names[4096] = "";
    for (size_t k = 0; k < n_layers; k++) {
        const struct layer *l = &layers[k];
        char name[64];
        layer_name(l->first, name, sizeof name);
        printf("%-16s %5zu %8.3f %9.3f %8.1f %8zu %7.3f %6zu %9.3f\n", name, l->calls, l->gflop,
               1e3 * l->s1, l->s1 > 0 ? l->gflop / l->s1 : 0.0, l->min_units,
               balance(l->min_units, T), l->loops, 1e3 * l->sT);
        if (l->min_units < MIN_UNITS) {
            flagged++;
            const size_t used = strlen(flagged_names);
            snprintf(flagged_names + used, sizeof flagged_names - used, "%s%s (%zu)",
                     used ? ", " : "", name, l->min_units);
        }
        total1 += l->s1, totalT += l->sT, flops += l->gflop, loops += l->loops;
    }
    printf("\ncalls: %zu (one parallel region or more each); barriers per forward: %zu\n", steps,
           loops);
    printf("arithmetic: %.1f GFLOP (%.1f in direct-conv terms)\n", flops, direct);
    printf("layers with < %d units per call at T = %zu: %zu%s%s\n", MIN_UNITS, T, flagged,
           flagged ? ": " : "", flagged_names);
    printf("one thread: %.1f ms (%.1f GFLOP/s); model at 2 threads: %.1f ms; at %zu threads: "
           "%.1f ms\n",
           1e3 * total1, flops / total1, 1e3 * total2, T, 1e3 * totalT);
    /* Against linear scaling, and against what the FMA peak itself gains. */
    printf("model speed-up 1 -> %zu threads: %.2fx (%.1f%% of %zux, %.1f%% of the peak's %.2fx)\n",
           T, total1 / totalT, 100.0 * total1 / ((double) T * totalT), T,
           100.0 * total1 / (o.peak_gain * totalT), o.peak_gain);
    printf("model speed-up 2 -> %zu threads: %.2fx (%.1f%% of %.0fx, %.1f%% of the peak's %.2fx)\n",
           T, total2 / totalT, 100.0 * 2.0 * total2 / ((double) T * totalT), (double) T / 2.0,
           100.0 * 2.0 * total2 / (o.peak_gain * totalT), o.peak_gain / 2.0);
    for (size_t r = 0; r < o.repeat; r++)
        free(timed[r].steps);
    free(at_two.steps), free(t1), free(layers), free(pixels), free(logits);
    upernet_workspace_free(ws);
    upernet_model_free(m);
    return 0;
}
