/* upernet-benchdb compare: is the current run slower than a baseline?
 *
 * The rule, per benchmark present in both (each repetition's CPU time for
 * single-threaded benchmarks, real time for multi-threaded ones):
 *   1. at least --min-reps repetitions on each side (default 3);
 *   2. a one-sided Mann-Whitney U test in the direction of the change of the
 *      medians gives p <= --alpha (default 0.05). With 3 + 3 repetitions the
 *      smallest p possible is 0.05 (every current repetition beyond every
 *      baseline one), so the default asks for complete separation there;
 *   3. the medians differ by at least max(--threshold % (default 10: the
 *      minimum effect; at 5 % one A/A compare in two raised a false alarm on
 *      a loaded 2-vCPU VM, see make bench-aa), the spread of either
 *      sample, the between-run noise): spread = (max - min) / median of one
 *      run's repetitions; between-run noise = the largest relative range of
 *      the medians among earlier runs of one commit on this machine (reruns
 *      of the same code; the last 30 runs). A change smaller than what reruns
 *      of unchanged code have shown here is not believed.
 * Before that, when both runs hold at least 8 code benchmarks and the
 * machine got slower, the current repetitions are divided by the machine
 * drift, the median over benchmarks of current/baseline median: load from
 * elsewhere slows a whole run, a code change slows some benchmarks (one
 * slowing more than half of them all alike is left to the instruction-count
 * gate; --no-normalize judges raw times). A faster machine is not corrected
 * for: its gains are uneven across benchmarks, and a regression must be
 * slower in raw time.
 * A slower benchmark meeting all three is a REGRESSION (exit status 1), a
 * faster one an improvement. Benchmarks that measure the machine (memory
 * bandwidth, FMA peak) are shown as such and never fail the comparison:
 * when they moved, the machine was busier, which explains other changes.
 *
 * The baseline is "previous" (the run before the current one on the same
 * machine), "run:ID", or a commit hash prefix: every run of that commit on
 * this machine, pooled (more repetitions, more power). Runs are compared only
 * on the same machine (host, CPU model and CPU count). */
#include "config.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/benchdb.h"
#include "bench/mann-whitney.h"

/* The time judged: CPU time of single-threaded benchmarks (the time the
 * OS gave to other processes on a shared machine does not count; measured
 * here, it halves false alarms and finds a 2x slowdown that real time often
 * misses under load), real time of multi-threaded ones (Google Benchmark's
 * CPU time is the main thread's only) and of results without a CPU time. */
#define TIME_COLUMN \
    "CASE WHEN threads = 1 AND cpu_time_ns > 0 THEN cpu_time_ns ELSE real_time_ns END"
#define TIME_COLUMN_X \
    "CASE WHEN x.threads = 1 AND x.cpu_time_ns > 0 THEN x.cpu_time_ns ELSE x.real_time_ns END"

/* Below this many code benchmarks in both runs, the median ratio says more
 * about the benchmarks than about the machine: no drift correction. */
#define MIN_BENCHMARKS_FOR_DRIFT 8
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

struct series {
    char name[256];
    double *base, *cur;
    size_t nbase, ncur, cap_base, cap_cur;
};

struct series_set {
    struct series *items;
    size_t count, cap;
};

static struct series *series_find(struct series_set *set, const char *name, bool create)
{
    for (size_t i = 0; i < set->count; i++)
        if (strcmp(set->items[i].name, name) == 0)
            return &set->items[i];
    if (!create)
        return NULL;
    if (set->count == set->cap) {
        set->cap = set->cap ? 2 * set->cap : 64;
        set->items = realloc(set->items, set->cap * sizeof *set->items);
        if (set->items == NULL)
            abort();
    }
    struct series *s = &set->items[set->count++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    return s;
}

static void push(double **v, size_t *n, size_t *cap, double x)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 8;
        *v = realloc(*v, *cap * sizeof **v);
        if (*v == NULL)
            abort();
    }
    (*v)[(*n)++] = x;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* (max - min) / median of a sorted sample. */
static double spread(const double *sorted, size_t n, double med)
{
    return n > 1 && med > 0 ? (sorted[n - 1] - sorted[0]) / med : 0.0;
}

/* Loads the real times of run `id` into one side of the set. */
static void load_run(struct benchdb *db, long long id, struct series_set *set, bool current)
{
    struct benchdb_stmt *st = benchdb_prepare(
        db, "SELECT name, " TIME_COLUMN " FROM results WHERE run_id = ?"
            " AND error IS NULL AND real_time_ns IS NOT NULL ORDER BY name, repetition");
    if (st == NULL)
        return;
    benchdb_bind_int64(st, 1, id);
    while (benchdb_step(st) == BENCHDB_ROW) {
        const char *name = benchdb_column_text(st, 0);
        struct series *s = series_find(set, name, current);
        if (s == NULL) /* only benchmarks of the current run matter */
            continue;
        if (current)
            push(&s->cur, &s->ncur, &s->cap_cur, benchdb_column_double(st, 1));
        else
            push(&s->base, &s->nbase, &s->cap_base, benchdb_column_double(st, 1));
    }
    benchdb_finalize(st);
}

/* Between-run noise of benchmark `name` (see the rule above): runs before
 * `before` on `machine`, grouped by commit; 0 when no commit ran twice. */
static double rerun_noise(struct benchdb *db, const char *machine, long long before, const char *name)
{
    struct benchdb_stmt *st = benchdb_prepare(
        db, "SELECT r.commit_hash, r.id, " TIME_COLUMN_X " FROM results x"
            " JOIN runs r ON r.id = x.run_id"
            " WHERE x.name = ?1 AND r.machine = ?2 AND r.id < ?3 AND r.kind = 'bench'"
            " AND x.error IS NULL AND x.real_time_ns IS NOT NULL"
            " AND r.id IN (SELECT DISTINCT run_id FROM results WHERE name = ?1"
            "              AND run_id < ?3 ORDER BY run_id DESC LIMIT 30)"
            " ORDER BY r.commit_hash, r.id");
    if (st == NULL)
        return 0.0;
    benchdb_bind_text(st, 1, name);
    benchdb_bind_text(st, 2, machine);
    benchdb_bind_int64(st, 3, before);
    char commit[48] = "";
    long long run = -1;
    double reps[256], meds[64];
    size_t nreps = 0, nmeds = 0;
    double noise = 0.0;
    int more = 1;
    while (more) {
        more = benchdb_step(st) == BENCHDB_ROW;
        const char *c = more ? benchdb_column_text(st, 0) : "";
        const long long id = more ? benchdb_column_int64(st, 1) : -2;
        if (c == NULL)
            c = "";
        if (nreps > 0 && id != run) { /* a run ends: keep its median */
            if (nmeds < 64)
                meds[nmeds++] = median(reps, nreps);
            nreps = 0;
        }
        if (nmeds > 0 && (!more || strcmp(c, commit) != 0)) { /* a commit ends */
            if (nmeds >= 2) {
                qsort(meds, nmeds, sizeof *meds, cmp_double);
                const double r = (meds[nmeds - 1] - meds[0]) / meds[0];
                if (r > noise)
                    noise = r;
            }
            nmeds = 0;
        }
        if (!more)
            break;
        snprintf(commit, sizeof commit, "%s", c);
        run = id;
        if (nreps < 256)
            reps[nreps++] = benchdb_column_double(st, 2);
    }
    benchdb_finalize(st);
    return noise;
}

/* The baseline runs: ids into *ids (malloc'ed), count returned; -1 on error
 * (printed). */
static long find_baseline(struct benchdb *db, const struct benchdb_run *cur, const char *spec,
                          long long **ids)
{
    struct benchdb_stmt *st;
    *ids = NULL;
    long n = 0, cap = 0;
    if (strcmp(spec, "previous") == 0) {
        st = benchdb_prepare(db, "SELECT id FROM runs WHERE kind = 'bench' AND machine = ? AND id < ?"
                           " ORDER BY id DESC LIMIT 1");
        benchdb_bind_text(st, 1, cur->machine);
        benchdb_bind_int64(st, 2, cur->id);
    } else if (strncmp(spec, "run:", 4) == 0) {
        st = benchdb_prepare(db, "SELECT id FROM runs WHERE id = ? AND machine = ?");
        benchdb_bind_int64(st, 1, atoll(spec + 4));
        benchdb_bind_text(st, 2, cur->machine);
    } else {
        char pattern[96];
        snprintf(pattern, sizeof pattern, "%s%%", spec);
        st = benchdb_prepare(db, "SELECT id FROM runs WHERE kind = 'bench' AND machine = ? AND id <> ?"
                           " AND commit_hash LIKE ? ORDER BY id");
        benchdb_bind_text(st, 1, cur->machine);
        benchdb_bind_int64(st, 2, cur->id);
        benchdb_bind_text(st, 3, pattern);
    }
    while (st != NULL && benchdb_step(st) == BENCHDB_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            *ids = realloc(*ids, (size_t) cap * sizeof **ids);
            if (*ids == NULL)
                abort();
        }
        (*ids)[n++] = benchdb_column_int64(st, 0);
    }
    benchdb_finalize(st);
    if (n == 0) {
        fprintf(stderr,
                "upernet-benchdb compare: no baseline run '%s' on this machine (%s) other than "
                "run %lld; run make bench first, or see upernet-benchdb runs\n",
                spec, cur->machine, cur->id);
        return -1;
    }
    return n;
}

struct compare_options {
    const char *baseline;
    double threshold, alpha;
    size_t min_reps;
    bool all, normalize;
};

/* Compares run `cur` with its baseline and prints the table: the number
 * of regressions, -1 when there is no baseline (printed). */
static int compare_run(struct benchdb *db, const struct benchdb_run *cur,
                       const struct compare_options *o)
{
    long long *ids;
    const long nbase = find_baseline(db, cur, o->baseline, &ids);
    if (nbase < 0)
        return -1;

    struct series_set set = {0};
    load_run(db, cur->id, &set, true);
    for (long i = 0; i < nbase; i++)
        load_run(db, ids[i], &set, false);

    char cur_label[64], base_label[64];
    benchdb_run_label(cur, cur_label, sizeof cur_label);
    struct benchdb_run base;
    benchdb_run_get(db, ids[nbase - 1], &base);
    benchdb_run_label(&base, base_label, sizeof base_label);
    printf("current:  run %lld  %s  %s\n", cur->id, cur_label, cur->started);
    if (nbase == 1)
        printf("baseline: run %lld  %s  %s\n", base.id, base_label, base.started);
    else
        printf("baseline: %ld runs of %s pooled (runs %lld..%lld)\n", nbase, base_label, ids[0],
               ids[nbase - 1]);
    printf("machine:  %s\n", cur->machine);
    /* The 1-minute load average each run started under: the usual reason
     * for large scatter on a shared machine. */
    struct benchdb_stmt *st =
        benchdb_prepare(db, "SELECT id, context_json, num_cpus FROM runs WHERE id IN (?, ?) ORDER BY id");
    if (st != NULL) {
        benchdb_bind_int64(st, 1, ids[nbase - 1]);
        benchdb_bind_int64(st, 2, cur->id);
        printf("load:    ");
        while (benchdb_step(st) == BENCHDB_ROW) {
            const char *context = benchdb_column_text(st, 1);
            json_t *ctx = json_loads(context ? context : "", 0, NULL);
            json_t *load = json_array_get(json_object_get(ctx, "load_avg"), 0);
            if (json_is_number(load))
                printf(" run %lld started at load %.1f on %d cpus;", benchdb_column_int64(st, 0),
                       json_number_value(load), (int) benchdb_column_int64(st, 2));
            json_decref(ctx);
        }
        printf("\n");
        benchdb_finalize(st);
    }
    /* Machine drift: the median ratio current/baseline over every code
     * benchmark both runs hold. Load from elsewhere slows a whole run; a code
     * change slows some benchmarks. With enough benchmarks the current
     * samples are divided by the drift before judging. */
    double drift = 1.0;
    {
        double *ratios = malloc((set.count + 1) * sizeof *ratios);
        size_t nr = 0;
        for (size_t i = 0; ratios != NULL && i < set.count; i++) {
            struct series *s = &set.items[i];
            if (s->nbase == 0 || s->ncur == 0 || benchdb_is_machine_benchmark(s->name))
                continue;
            double *b = malloc(s->nbase * sizeof *b), *q = malloc(s->ncur * sizeof *q);
            if (b == NULL || q == NULL)
                abort();
            memcpy(b, s->base, s->nbase * sizeof *b);
            memcpy(q, s->cur, s->ncur * sizeof *q);
            const double mb = median(b, s->nbase), mc = median(q, s->ncur);
            free(b), free(q);
            if (mb > 0 && mc > 0)
                ratios[nr++] = mc / mb;
        }
        const double moved = nr > 0 ? median(ratios, nr) : 1.0;
        /* Only a slower machine is corrected for. When the whole run got
         * faster (a quieter moment, a higher clock) benchmarks gain unevenly
         * (here scalar code gained 8% while AVX2 code gained 17%); dividing
         * by that drift would turn the smaller gains into regressions of
         * unchanged code. So a regression is always slower in raw time too. */
        if (o->normalize && nr >= MIN_BENCHMARKS_FOR_DRIFT && moved > 1.0)
            drift = moved;
        printf("drift:    %s", o->normalize && nr >= MIN_BENCHMARKS_FOR_DRIFT ? "" : "not applied: ");
        if (o->normalize && nr >= MIN_BENCHMARKS_FOR_DRIFT && drift != 1.0)
            printf("the median benchmark moved %+.1f%%; code benchmarks are judged relative to "
                   "that (--no-normalize: raw)\n",
                   100.0 * (drift - 1.0));
        else if (o->normalize && nr >= MIN_BENCHMARKS_FOR_DRIFT)
            printf("the median benchmark moved %+.1f%% (faster: not corrected, a regression "
                   "must be slower in raw time)\n",
                   100.0 * (moved - 1.0));
        else
            printf("%s\n", o->normalize ? "fewer than " STRINGIFY(MIN_BENCHMARKS_FOR_DRIFT)
                                            " code benchmarks in both runs"
                                      : "--no-normalize");
        free(ratios);
    }
    printf("rule:     one-sided Mann-Whitney U p <= %.3g, |median change| >= max(%.3g%%, noise),"
           " >= %zu repetitions each;\n          CPU time of 1-thread benchmarks, real time of"
           " multi-threaded ones\n\n",
           o->alpha, o->threshold, o->min_reps);
    printf("%-50s %11s %11s %8s %7s %6s  %s\n", "benchmark", "baseline", "current",
           drift != 1.0 ? "change*" : "change", "p", "noise", "verdict");

    int regressions = 0, improvements = 0, unchanged = 0, few = 0, machine_moved = 0, compared = 0;
    for (size_t i = 0; i < set.count; i++) {
        struct series *s = &set.items[i];
        if (s->nbase == 0)
            continue; /* new benchmark: nothing to compare with */
        compared++;
        const bool machine = benchdb_is_machine_benchmark(s->name);
        if (!machine && drift != 1.0)
            for (size_t k = 0; k < s->ncur; k++)
                s->cur[k] /= drift;
        const struct mann_whitney mw = mann_whitney_test(s->base, s->nbase, s->cur, s->ncur);
        const double mb = median(s->base, s->nbase), mc = median(s->cur, s->ncur);
        const double change = mb > 0 ? 100.0 * (mc - mb) / mb : 0.0;
        double noise = spread(s->base, s->nbase, mb);
        const double noise_cur = spread(s->cur, s->ncur, mc);
        if (noise_cur > noise)
            noise = noise_cur;
        const double noise_rerun = rerun_noise(db, cur->machine, cur->id, s->name);
        if (noise_rerun > noise)
            noise = noise_rerun;
        const double p = change >= 0 ? mw.p_greater : mw.p_less;
        const char *verdict;
        if (s->nbase < o->min_reps || s->ncur < o->min_reps) {
            verdict = "too few repetitions";
            few++;
        } else if (p <= o->alpha && fabs(change) >= o->threshold && fabs(change) >= 100.0 * noise) {
            if (machine) {
                verdict = change > 0 ? "machine slower" : "machine faster";
                machine_moved++;
            } else if (change > 0) {
                verdict = "REGRESSION";
                regressions++;
            } else {
                verdict = "improvement";
                improvements++;
            }
        } else {
            verdict = "same";
            unchanged++;
        }
        if (!o->all && strcmp(verdict, "same") == 0)
            continue;
        char tb[32], tc[32];
        benchdb_format_time(mb, tb, sizeof tb);
        benchdb_format_time(machine ? mc : mc * drift, tc, sizeof tc); /* as measured */
        printf("%-50s %11s %11s %+7.1f%% %7.3f %5.1f%%  %s\n", s->name, tb, tc, change, p,
               100.0 * noise, verdict);
    }
    if (drift != 1.0)
        printf("(* relative to the drift; times as measured)\n");
    printf("\n%d compared: %d regression%s, %d improvement%s, %d same", compared, regressions,
           regressions == 1 ? "" : "s", improvements, improvements == 1 ? "" : "s", unchanged);
    if (few)
        printf(", %d with too few repetitions", few);
    if (machine_moved)
        printf(", %d machine benchmark%s moved (a busier machine explains other changes)",
               machine_moved, machine_moved == 1 ? "" : "s");
    printf("\n");
    if (compared == 0)
        printf("(no benchmark of the current run exists in the baseline)\n");

    for (size_t i = 0; i < set.count; i++)
        free(set.items[i].base), free(set.items[i].cur);
    free(set.items);
    free(ids);
    return regressions;
}

/* --latest-per-machine: each machine's newest bench run against its own
 * previous one (runs of different machines are never compared), then one
 * verdict line per machine. Exit status 1 if any machine regressed. */
static int compare_latest_per_machine(struct benchdb *db, const struct compare_options *o)
{
    struct benchdb_stmt *st = benchdb_prepare(
        db, "SELECT machine, max(id), count(*) FROM runs WHERE kind = 'bench'"
            " GROUP BY machine ORDER BY machine");
    if (st == NULL) {
        fprintf(stderr, "upernet-benchdb compare: %s: %s\n", benchdb_name(db), benchdb_errmsg(db));
        return 2;
    }
    struct verdict {
        char machine[512];
        long long run;
        int regressions; /* -1: nothing to compare with */
    } *v = NULL;
    size_t n = 0, cap = 0;
    while (benchdb_step(st) == BENCHDB_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            struct verdict *grown = realloc(v, cap * sizeof *v);
            if (grown == NULL)
                abort();
            v = grown;
        }
        const char *machine = benchdb_column_text(st, 0);
        snprintf(v[n].machine, sizeof v[n].machine, "%s", machine ? machine : "");
        v[n].run = benchdb_column_int64(st, 1);
        v[n].regressions = benchdb_column_int64(st, 2) > 1 ? 0 : -1;
        n++;
    }
    benchdb_finalize(st);
    if (n == 0) {
        fprintf(stderr, "upernet-benchdb compare: no bench runs in %s\n", benchdb_name(db));
        free(v);
        return 2;
    }
    struct compare_options previous = *o;
    previous.baseline = "previous";
    for (size_t i = 0; i < n; i++) {
        struct benchdb_run cur;
        printf("%s=== machine %s\n", i ? "\n" : "", v[i].machine);
        if (v[i].regressions < 0 || !benchdb_run_get(db, v[i].run, &cur)) {
            printf("only one run (run %lld): nothing to compare with\n", v[i].run);
            v[i].regressions = -1;
            continue;
        }
        v[i].regressions = compare_run(db, &cur, &previous);
    }
    int regressed = 0;
    printf("\nverdict per machine (newest run against its previous one):\n");
    for (size_t i = 0; i < n; i++) {
        if (v[i].regressions < 0)
            printf("  %-60s run %-5lld  only one run\n", v[i].machine, v[i].run);
        else if (v[i].regressions == 0)
            printf("  %-60s run %-5lld  ok\n", v[i].machine, v[i].run);
        else
            printf("  %-60s run %-5lld  REGRESSION (%d benchmark%s)\n", v[i].machine, v[i].run,
                   v[i].regressions, v[i].regressions == 1 ? "" : "s");
        regressed |= v[i].regressions > 0;
    }
    free(v);
    return regressed ? 1 : 0;
}

int benchdb_compare(struct benchdb *db, int argc, char **argv)
{
    struct compare_options o = {.baseline = "previous", .threshold = 10.0, .alpha = 0.05,
                                .min_reps = 3, .all = false, .normalize = true};
    long long current_id = 0;
    bool per_machine = false;
    for (int i = 0; i < argc; i++) {
        const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : "";
        if (strcmp(opt, "--all") == 0) {
            o.all = true;
            continue;
        }
        if (strcmp(opt, "--no-normalize") == 0) {
            o.normalize = false;
            continue;
        }
        if (strcmp(opt, "--latest-per-machine") == 0) {
            per_machine = true;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "upernet-benchdb compare: %s needs a value\n", opt);
            return 2;
        }
        i++;
        if (strcmp(opt, "--db") == 0)
            continue;
        else if (strcmp(opt, "--baseline") == 0)
            o.baseline = val[0] ? val : "previous";
        else if (strcmp(opt, "--current") == 0)
            current_id = atoll(strncmp(val, "run:", 4) == 0 ? val + 4 : val);
        else if (strcmp(opt, "--threshold") == 0)
            o.threshold = atof(val);
        else if (strcmp(opt, "--alpha") == 0)
            o.alpha = atof(val);
        else if (strcmp(opt, "--min-reps") == 0)
            o.min_reps = (size_t) atoi(val);
        else {
            fprintf(stderr, "upernet-benchdb compare: unknown option %s\n", opt);
            return 2;
        }
    }
    if (per_machine)
        return compare_latest_per_machine(db, &o);
    if (current_id == 0)
        current_id = benchdb_latest_run(db);
    struct benchdb_run cur;
    if (current_id == 0 || !benchdb_run_get(db, current_id, &cur)) {
        fprintf(stderr, "upernet-benchdb compare: no current run in %s (run make bench first)\n",
                benchdb_name(db));
        return 2;
    }
    const int regressions = compare_run(db, &cur, &o);
    return regressions < 0 ? 2 : regressions > 0 ? 1 : 0;
}
