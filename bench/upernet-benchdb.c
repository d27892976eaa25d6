/* upernet-benchdb: the benchmark history tool behind make bench,
 * make bench-compare and make bench-report. DB is an SQLite file or a
 * postgresql:// URI (bench/benchdb-conn.h).
 *
 *   upernet-benchdb record  --db DB --json FILE... [--merged-out FILE]
 *                           [--commit H] [--dirty 0|1] [--cc CC] [--cflags FLAGS]
 *                           [--filter RE] [--kind K]
 *       stores every repetition of Google Benchmark's JSON output (several
 *       files: one run) and prints the medians as a table; --merged-out
 *       writes the files' union as one Google Benchmark JSON
 *   upernet-benchdb compare --db DB [--baseline previous|COMMIT|run:ID] ...
 *                           [--latest-per-machine]   (bench/benchdb-compare.c)
 *   upernet-benchdb report  --db DB --out FILE.html  (bench/benchdb-report.c)
 *   upernet-benchdb runs    --db DB                  lists the runs
 *   upernet-benchdb sync    --from DB --to DB        (bench/benchdb-sync.c)
 *
 * The schema is described in bench/benchdb.h. */
#include "config.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/benchdb.h"

static void copy_text(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

bool benchdb_run_get(struct benchdb *db, long long id, struct benchdb_run *run)
{
    memset(run, 0, sizeof *run);
    struct benchdb_stmt *st = benchdb_prepare(
        db, "SELECT id, kind, started, commit_hash, dirty, machine, compiler, uuid FROM runs"
            " WHERE id = ?");
    if (st == NULL)
        return false;
    benchdb_bind_int64(st, 1, id);
    const bool found = benchdb_step(st) == BENCHDB_ROW;
    if (found) {
        run->id = benchdb_column_int64(st, 0);
        copy_text(run->kind, sizeof run->kind, benchdb_column_text(st, 1));
        copy_text(run->started, sizeof run->started, benchdb_column_text(st, 2));
        copy_text(run->commit_hash, sizeof run->commit_hash, benchdb_column_text(st, 3));
        run->dirty = (int) benchdb_column_int64(st, 4);
        copy_text(run->machine, sizeof run->machine, benchdb_column_text(st, 5));
        copy_text(run->compiler, sizeof run->compiler, benchdb_column_text(st, 6));
        copy_text(run->uuid, sizeof run->uuid, benchdb_column_text(st, 7));
    }
    benchdb_finalize(st);
    return found;
}

long long benchdb_latest_run(struct benchdb *db)
{
    long long id = 0;
    struct benchdb_stmt *st = benchdb_prepare(db, "SELECT max(id) FROM runs WHERE kind = 'bench'");
    if (st != NULL && benchdb_step(st) == BENCHDB_ROW)
        id = benchdb_column_int64(st, 0);
    benchdb_finalize(st);
    return id;
}

void benchdb_run_label(const struct benchdb_run *run, char *buf, size_t size)
{
    snprintf(buf, size, "%.10s%s", run->commit_hash[0] ? run->commit_hash : "unknown",
             run->dirty ? "+dirty" : "");
}

void benchdb_format_time(double ns, char *buf, size_t size)
{
    if (!(ns >= 0.0))
        snprintf(buf, size, "-");
    else if (ns < 1e3)
        snprintf(buf, size, "%.0f ns", ns);
    else if (ns < 1e6)
        snprintf(buf, size, "%.3g us", ns / 1e3);
    else if (ns < 1e9)
        snprintf(buf, size, "%.3g ms", ns / 1e6);
    else
        snprintf(buf, size, "%.3g s", ns / 1e9);
}

bool benchdb_is_machine_benchmark(const char *name)
{
    return strncmp(name, "memory/", 7) == 0 || strncmp(name, "peak/", 5) == 0 ||
           strncmp(name, "fmapeak/", 8) == 0;
}

/* ------------------------------------------------------------------ record */

static double to_ns(double value, const char *unit)
{
    if (unit == NULL || strcmp(unit, "ns") == 0)
        return value;
    if (strcmp(unit, "us") == 0)
        return value * 1e3;
    if (strcmp(unit, "ms") == 0)
        return value * 1e6;
    if (strcmp(unit, "s") == 0)
        return value * 1e9;
    return value;
}

/* The tier and thread count a benchmark name encodes ("layernorm/avx2/...",
 * ".../threads:2"); "" and 1 when it names none. */
static void name_tier_threads(const char *name, char *tier, size_t size, int *threads)
{
    static const char *const tiers[] = {"scalar", "avx2", "avx512", "neon"};
    tier[0] = 0;
    *threads = 1;
    const char *p = name;
    while (*p) {
        const size_t len = strcspn(p, "/");
        for (size_t t = 0; t < sizeof tiers / sizeof tiers[0]; t++)
            if (len == strlen(tiers[t]) && strncmp(p, tiers[t], len) == 0)
                snprintf(tier, size, "%s", tiers[t]);
        if (strncmp(p, "threads:", 8) == 0)
            *threads = atoi(p + 8);
        p += len;
        if (*p == '/')
            p++;
    }
}

static const char *json_string_or(json_t *obj, const char *key, const char *fallback)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : fallback;
}

/* The benchmark's name without the "/iterations:N" and "/real_time" parts
 * Google Benchmark appends (they describe how, not what, was measured). */
static void clean_name(const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s", name);
    char *p;
    while ((p = strstr(buf, "/real_time")) != NULL)
        memmove(p, p + 10, strlen(p + 10) + 1);
    while ((p = strstr(buf, "/iterations:")) != NULL) {
        const char *end = p + 12 + strspn(p + 12, "0123456789");
        memmove(p, end, strlen(end) + 1);
    }
}

struct record_args {
    const char *db, *json[64], *merged_out, *commit, *cc, *cflags, *filter, *kind;
    int njson;
    int dirty;
    int quiet;
};

/* Prints the run's medians: one line per benchmark. */
static void print_summary(struct benchdb *db, long long run_id)
{
    struct benchdb_stmt *st;
    if ((st = benchdb_prepare(db, "SELECT name, real_time_ns, counters_json, error FROM results"
                           " WHERE run_id = ? ORDER BY name, repetition")) == NULL)
        return;
    benchdb_bind_int64(st, 1, run_id);
    printf("\n%-58s %11s %6s %9s %7s %9s %7s\n", "benchmark (median of repetitions)", "time",
           "cv%", "GFLOP/s", "%peak", "GB/s", "%bw");
    char prev[256] = "";
    double times[256], gflops[256], pct[256], gbps[256], pctbw[256];
    size_t n = 0;
    char error[256] = "";
    int more = 1;
    while (more) {
        more = benchdb_step(st) == BENCHDB_ROW;
        const char *name = more ? benchdb_column_text(st, 0) : "";
        if (n > 0 && strcmp(name, prev) != 0) {
            /* Flush the previous benchmark: medians of each column. */
            double *cols[] = {times, gflops, pct, gbps, pctbw};
            double med[5];
            for (int c = 0; c < 5; c++) {
                double v[256];
                size_t k = 0;
                for (size_t i = 0; i < n; i++)
                    if (!isnan(cols[c][i]))
                        v[k++] = cols[c][i];
                for (size_t i = 1; i < k; i++) /* insertion sort: k is tiny */
                    for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
                        const double t = v[j];
                        v[j] = v[j - 1], v[j - 1] = t;
                    }
                med[c] = k == 0 ? NAN : (k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]));
            }
            double mean = 0.0, var = 0.0;
            for (size_t i = 0; i < n; i++)
                mean += times[i] / (double) n;
            for (size_t i = 0; i < n; i++)
                var += (times[i] - mean) * (times[i] - mean) / (double) (n > 1 ? n - 1 : 1);
            char t[32], cv[16], g[16], p[16], b[16], pb[16];
            benchdb_format_time(med[0], t, sizeof t);
            snprintf(cv, sizeof cv, n > 1 ? "%.1f" : "-", 100.0 * sqrt(var) / mean);
            snprintf(g, sizeof g, isnan(med[1]) ? "" : "%.1f", med[1]);
            snprintf(p, sizeof p, isnan(med[2]) ? "" : "%.1f", med[2]);
            snprintf(b, sizeof b, isnan(med[3]) ? "" : "%.1f", med[3]);
            snprintf(pb, sizeof pb, isnan(med[4]) ? "" : "%.1f", med[4]);
            if (error[0])
                printf("%-58s %s\n", prev, error);
            else
                printf("%-58s %11s %6s %9s %7s %9s %7s\n", prev, t, cv, g, p, b, pb);
            n = 0;
            error[0] = 0;
        }
        if (!more)
            break;
        snprintf(prev, sizeof prev, "%s", name);
        if (!benchdb_column_is_null(st, 3))
            snprintf(error, sizeof error, "skipped: %s", benchdb_column_text(st, 3));
        if (n >= 256)
            continue;
        times[n] = benchdb_column_is_null(st, 1) ? NAN : benchdb_column_double(st, 1);
        gflops[n] = pct[n] = gbps[n] = pctbw[n] = NAN;
        json_t *counters = json_loads(benchdb_column_text(st, 2), 0, NULL);
        if (counters != NULL) {
            json_t *v;
            if ((v = json_object_get(counters, "GFLOP/s")) != NULL)
                gflops[n] = json_number_value(v);
            if ((v = json_object_get(counters, "%peak")) != NULL)
                pct[n] = json_number_value(v);
            if ((v = json_object_get(counters, "GB/s")) != NULL)
                gbps[n] = json_number_value(v);
            if ((v = json_object_get(counters, "%bw")) != NULL)
                pctbw[n] = json_number_value(v);
            json_decref(counters);
        }
        n++;
    }
    benchdb_finalize(st);
}

/* Medians of a run's real times, by benchmark name (sorted by name). */
struct named_median {
    char name[256];
    double ns;
};

static int cmp_double_asc(const void *a, const void *b)
{
    const double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static size_t load_medians(struct benchdb *db, long long run_id, struct named_median **out)
{
    struct benchdb_stmt *st;
    *out = NULL;
    if ((st = benchdb_prepare(db, "SELECT name, real_time_ns FROM results WHERE run_id = ? AND error IS NULL"
                           " AND real_time_ns IS NOT NULL ORDER BY name")) == NULL)
        return 0;
    benchdb_bind_int64(st, 1, run_id);
    size_t n = 0, cap = 0, nreps = 0;
    double reps[256];
    char prev[256] = "";
    int more = 1;
    while (more) {
        more = benchdb_step(st) == BENCHDB_ROW;
        const char *name = more ? benchdb_column_text(st, 0) : "";
        if (nreps > 0 && strcmp(name, prev) != 0) {
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                *out = realloc(*out, cap * sizeof **out);
                if (*out == NULL)
                    abort();
            }
            qsort(reps, nreps, sizeof *reps, cmp_double_asc);
            snprintf((*out)[n].name, sizeof (*out)[n].name, "%s", prev);
            (*out)[n].ns = nreps % 2 ? reps[nreps / 2] : 0.5 * (reps[nreps / 2 - 1] + reps[nreps / 2]);
            n++;
            nreps = 0;
        }
        if (!more)
            break;
        snprintf(prev, sizeof prev, "%s", name);
        if (nreps < 256)
            reps[nreps++] = benchdb_column_double(st, 1);
    }
    benchdb_finalize(st);
    return n;
}

/* upernet's kernels against oneDNN on the same shapes (bench_onednn.c):
 * onednn/LAYOUT/FAMILY/LABEL against FAMILY/TIER/.../LABEL on the best tier
 * that ran it. */
static void print_onednn_ratios(struct benchdb *db, long long run_id)
{
    struct named_median *m;
    const size_t n = load_medians(db, run_id, &m);
    static const char *const tiers[] = {"avx512", "neon", "avx2", "scalar"};
    bool header = false;
    for (size_t i = 0; i < n; i++) {
        char family[64], label[160];
        if (sscanf(m[i].name, "onednn/nhwc/%63[^/]/%159s", family, label) != 2)
            continue;
        /* The blocked twin. */
        char blocked_name[256];
        snprintf(blocked_name, sizeof blocked_name, "onednn/blocked/%s/%s", family, label);
        double blocked = -1.0;
        for (size_t j = 0; j < n; j++)
            if (strcmp(m[j].name, blocked_name) == 0)
                blocked = m[j].ns;
        /* upernet's best tier for the same label. */
        const struct named_median *ours = NULL;
        const char *our_tier = "";
        for (size_t t = 0; t < sizeof tiers / sizeof tiers[0] && ours == NULL; t++) {
            char prefix[96];
            snprintf(prefix, sizeof prefix, "%s/%s/", family, tiers[t]);
            for (size_t j = 0; j < n; j++) {
                const size_t len = strlen(m[j].name), ll = strlen(label);
                if (strncmp(m[j].name, prefix, strlen(prefix)) == 0 && len > ll &&
                    strcmp(m[j].name + len - ll, label) == 0 && m[j].name[len - ll - 1] == '/') {
                    ours = &m[j];
                    our_tier = tiers[t];
                    break;
                }
            }
        }
        if (ours == NULL)
            continue;
        if (!header) {
            printf("\nupernet vs oneDNN, same run, 1 thread (ratio = oneDNN time / upernet time;"
                   " > 1: upernet faster)\n");
            printf("%-48s %16s %12s %6s %14s %6s\n", "kernel/shape", "upernet", "oneDNN nhwc",
                   "ratio", "oneDNN blocked", "ratio");
            header = true;
        }
        char shape[256], t_ours[32], t_nhwc[32], t_blk[32], ours_col[48];
        snprintf(shape, sizeof shape, "%s/%s", family, label);
        benchdb_format_time(ours->ns, t_ours, sizeof t_ours);
        benchdb_format_time(m[i].ns, t_nhwc, sizeof t_nhwc);
        benchdb_format_time(blocked, t_blk, sizeof t_blk);
        snprintf(ours_col, sizeof ours_col, "%s %s", t_ours, our_tier);
        printf("%-48s %16s %12s %6.2f %14s", shape, ours_col, t_nhwc, m[i].ns / ours->ns, t_blk);
        if (blocked > 0)
            printf(" %6.2f", blocked / ours->ns);
        printf("\n");
    }
    free(m);
}

/* Counters: every numeric field of a benchmark entry that is not one of
 * Google Benchmark's own bookkeeping fields. */
static json_t *extract_counters(json_t *entry)
{
    static const char *const own[] = {"family_index", "per_family_instance_index", "repetitions",
                                      "repetition_index", "threads", "iterations", "real_time",
                                      "cpu_time"};
    json_t *out = json_object();
    const char *key;
    json_t *value;
    json_object_foreach(entry, key, value) {
        if (!json_is_number(value))
            continue;
        bool skip = false;
        for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
            skip |= strcmp(key, own[i]) == 0;
        if (!skip)
            json_object_set_new(out, key, json_real(json_number_value(value)));
    }
    return out;
}

/* BENCH_MACHINE, when set, names the machine instead of its host name: a
 * fleet's stable label (and how tests make several machines of one). */
static const char *machine_host(json_t *ctx)
{
    const char *label = getenv("BENCH_MACHINE");
    return label && label[0] ? label : json_string_or(ctx, "host_name", "unknown");
}

/* UPERNET_BENCHDB_STALL_AFTER=N: after storing N results, inside the run's
 * transaction, the recorder says so on stderr and waits forever: how
 * tests/test_benchdb.sh kills a writer mid-run. */
static void stall_if_asked(size_t stored)
{
    const char *after = getenv("UPERNET_BENCHDB_STALL_AFTER");
    if (after == NULL || strtoul(after, NULL, 10) != stored)
        return;
    fprintf(stderr, "upernet-benchdb: stalled after %zu results (UPERNET_BENCHDB_STALL_AFTER)\n",
            stored);
    for (;;)
        pause();
}

/* The run, its results and the machine figures, in one transaction: a
 * writer that dies on the way leaves nothing. Returns the run's id, 0 on
 * error (printed); *stored: the results stored. */
static long long store_run(struct benchdb *db, const struct record_args *a, json_t *ctx,
                           json_t *benchmarks, size_t *stored)
{
    const char *cpu_model = json_string_or(ctx, "upernet_cpu_model", "unknown");
    const char *host = machine_host(ctx);
    const int num_cpus = (int) json_integer_value(json_object_get(ctx, "num_cpus"));
    char machine[512];
    snprintf(machine, sizeof machine, "%s | %s | %d cpus", host, cpu_model, num_cpus);
    char compiler[256];
    snprintf(compiler, sizeof compiler, "%s%s%s", a->cc, a->cc[0] ? " / " : "",
             json_string_or(ctx, "upernet_compiler", ""));
    char uuid[BENCHDB_UUID_SIZE];
    benchdb_new_uuid(uuid);
    char *context_text = json_dumps(ctx, JSON_COMPACT);
    long long run_id = 0;
    struct benchdb_stmt *st = NULL;
    *stored = 0;

    if (!benchdb_begin_write(db))
        goto fail;
    st = benchdb_prepare(db, "INSERT INTO runs(uuid, kind, started, commit_hash, dirty, compiler,"
                             " cflags, cpu_model, cpu_features, best_tier, threads, num_cpus, host,"
                             " machine, filter, context_json)"
                             " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id");
    if (st == NULL)
        goto fail;
    int k = 1;
    benchdb_bind_text(st, k++, uuid);
    benchdb_bind_text(st, k++, a->kind);
    benchdb_bind_text(st, k++, json_string_or(ctx, "date", ""));
    benchdb_bind_text(st, k++, a->commit);
    benchdb_bind_int64(st, k++, a->dirty);
    benchdb_bind_text(st, k++, compiler);
    benchdb_bind_text(st, k++, a->cflags[0] ? a->cflags : json_string_or(ctx, "upernet_cflags", ""));
    benchdb_bind_text(st, k++, cpu_model);
    benchdb_bind_text(st, k++, json_string_or(ctx, "upernet_cpu_features", ""));
    benchdb_bind_text(st, k++, json_string_or(ctx, "upernet_best_tier", ""));
    benchdb_bind_int64(st, k++, atoi(json_string_or(ctx, "upernet_threads", "0")));
    benchdb_bind_int64(st, k++, num_cpus);
    benchdb_bind_text(st, k++, host);
    benchdb_bind_text(st, k++, machine);
    benchdb_bind_text(st, k++, a->filter);
    benchdb_bind_text(st, k++, context_text);
    if (benchdb_step(st) != BENCHDB_ROW)
        goto fail;
    run_id = benchdb_column_int64(st, 0);
    benchdb_finalize(st);

    st = benchdb_prepare(db, "INSERT INTO results(run_id, name, repetition, tier, threads,"
                             " real_time_ns, cpu_time_ns, iterations, error, counters_json)"
                             " VALUES(?,?,?,?,?,?,?,?,?,?)");
    if (st == NULL)
        goto fail;
    /* Repetitions are numbered per name across all files of the run, in
     * file order: make bench runs the kernels in several processes, each
     * numbering its own repetitions from 0. */
    json_t *seen = json_object();
    size_t index;
    json_t *b;
    json_array_foreach(benchmarks, index, b) {
        /* Only the repetitions themselves; medians and means are derived. */
        const char *run_type = json_string_or(b, "run_type", "iteration");
        if (strcmp(run_type, "iteration") != 0)
            continue;
        char name[256], tier[16];
        int threads;
        clean_name(json_string_or(b, "run_name", json_string_or(b, "name", "?")), name, sizeof name);
        name_tier_threads(name, tier, sizeof tier, &threads);
        const json_int_t repetition = json_integer_value(json_object_get(seen, name));
        json_object_set_new(seen, name, json_integer(repetition + 1));
        const char *unit = json_string_or(b, "time_unit", "ns");
        const bool failed = json_is_true(json_object_get(b, "error_occurred"));
        json_t *real = json_object_get(b, "real_time"), *cpu = json_object_get(b, "cpu_time");
        json_t *counters = extract_counters(b);
        char *counters_text = json_dumps(counters, JSON_COMPACT | JSON_REAL_PRECISION(9));
        json_decref(counters);
        k = 1;
        benchdb_reset(st);
        benchdb_bind_int64(st, k++, run_id);
        benchdb_bind_text(st, k++, name);
        benchdb_bind_int64(st, k++, repetition);
        benchdb_bind_text(st, k++, tier);
        benchdb_bind_int64(st, k++, threads);
        if (failed || !json_is_number(real))
            benchdb_bind_null(st, k++);
        else
            benchdb_bind_double(st, k++, to_ns(json_number_value(real), unit));
        if (failed || !json_is_number(cpu))
            benchdb_bind_null(st, k++);
        else
            benchdb_bind_double(st, k++, to_ns(json_number_value(cpu), unit));
        benchdb_bind_int64(st, k++, json_integer_value(json_object_get(b, "iterations")));
        benchdb_bind_text(st, k++, failed ? json_string_or(b, "error_message", "error") : NULL);
        benchdb_bind_text(st, k++, counters_text);
        free(counters_text);
        if (benchdb_step(st) != BENCHDB_DONE) {
            json_decref(seen);
            goto fail;
        }
        ++*stored;
        stall_if_asked(*stored);
    }
    json_decref(seen);
    benchdb_finalize(st);
    st = NULL;
    if (!benchdb_store_machine_figures(db, run_id) || !benchdb_commit(db))
        goto fail;
    free(context_text);
    return run_id;
fail:
    fprintf(stderr, "upernet-benchdb: %s: recording failed, nothing stored: %s\n", benchdb_name(db),
            benchdb_errmsg(db));
    benchdb_finalize(st);
    benchdb_rollback(db);
    free(context_text);
    return 0;
}

static int cmd_record(int argc, char **argv)
{
    struct record_args a = {.kind = "bench", .commit = "", .cc = "", .cflags = "", .filter = ""};
    for (int i = 0; i < argc; i++) {
        const char *opt = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(opt, "--quiet") == 0) {
            a.quiet = 1;
            continue;
        }
        if (val == NULL) {
            fprintf(stderr, "upernet-benchdb record: %s needs a value\n", opt);
            return 2;
        }
        i++;
        if (strcmp(opt, "--db") == 0)
            a.db = val;
        else if (strcmp(opt, "--json") == 0) {
            if (a.njson == (int) (sizeof a.json / sizeof a.json[0])) {
                fprintf(stderr, "upernet-benchdb record: more than %d --json files\n", a.njson);
                return 2;
            }
            a.json[a.njson++] = val;
        }
        else if (strcmp(opt, "--merged-out") == 0)
            a.merged_out = val;
        else if (strcmp(opt, "--commit") == 0)
            a.commit = val;
        else if (strcmp(opt, "--dirty") == 0)
            a.dirty = atoi(val);
        else if (strcmp(opt, "--cc") == 0)
            a.cc = val;
        else if (strcmp(opt, "--cflags") == 0)
            a.cflags = val;
        else if (strcmp(opt, "--filter") == 0)
            a.filter = val;
        else if (strcmp(opt, "--kind") == 0)
            a.kind = val;
        else {
            fprintf(stderr, "upernet-benchdb record: unknown option %s\n", opt);
            return 2;
        }
    }
    if (a.db == NULL || a.njson == 0) {
        fprintf(stderr, "usage: upernet-benchdb record --db DB --json FILE [options]\n");
        return 2;
    }
    /* Several files (make bench runs its groups separately) become one run:
     * the first file's context, every file's benchmarks. A missing or empty
     * file is a group whose benchmarks the filter left out. */
    json_t *root = NULL;
    json_t *benchmarks = json_array();
    for (int f = 0; f < a.njson; f++) {
        FILE *probe = fopen(a.json[f], "r");
        const bool present = probe != NULL && fgetc(probe) != EOF;
        if (probe != NULL)
            fclose(probe);
        if (!present)
            continue;
        json_error_t jerr;
        json_t *doc = json_load_file(a.json[f], 0, &jerr);
        if (doc == NULL) {
            fprintf(stderr, "upernet-benchdb: %s:%d: %s\n", a.json[f], jerr.line, jerr.text);
            json_decref(root), json_decref(benchmarks);
            return 1;
        }
        if (!json_is_object(json_object_get(doc, "context")) ||
            !json_is_array(json_object_get(doc, "benchmarks"))) {
            fprintf(stderr, "upernet-benchdb: %s: not Google Benchmark JSON (no context/benchmarks)\n",
                    a.json[f]);
            json_decref(doc), json_decref(root), json_decref(benchmarks);
            return 1;
        }
        json_array_extend(benchmarks, json_object_get(doc, "benchmarks"));
        if (root == NULL)
            root = doc;
        else
            json_decref(doc);
    }
    if (root == NULL) {
        fprintf(stderr, "upernet-benchdb: no benchmark results in %s%s\n", a.json[0],
                a.njson > 1 ? " and the other files" : "");
        json_decref(benchmarks);
        return 1;
    }
    json_object_set_new(root, "benchmarks", benchmarks);
    json_t *ctx = json_object_get(root, "context");
    if (a.merged_out != NULL && json_dump_file(root, a.merged_out, JSON_INDENT(2)) != 0) {
        fprintf(stderr, "upernet-benchdb: cannot write %s\n", a.merged_out);
        json_decref(root);
        return 1;
    }
    struct benchdb *db = benchdb_open(a.db, false);
    if (db == NULL) {
        json_decref(root);
        return 1;
    }
    size_t stored = 0;
    const long long run_id = store_run(db, &a, ctx, benchmarks, &stored);
    json_decref(root);
    if (run_id == 0) {
        benchdb_close(db);
        return 1;
    }
    if (!a.quiet) {
        print_summary(db, run_id);
        print_onednn_ratios(db, run_id);
    }
    struct benchdb_run run;
    benchdb_run_get(db, run_id, &run);
    char label[64];
    benchdb_run_label(&run, label, sizeof label);
    printf("\nrecorded run %lld (%s, %zu results, machine %s) in %s\n", run_id, label, stored,
           run.machine, benchdb_name(db));
    benchdb_close(db);
    return 0;
}

static int cmd_runs(struct benchdb *db)
{
    struct benchdb_stmt *st = benchdb_prepare(
        db, "SELECT r.id, r.kind, r.started, r.commit_hash, r.dirty, r.machine, r.filter,"
            " (SELECT count(DISTINCT name) FROM results WHERE run_id = r.id),"
            " (SELECT count(*) FROM results WHERE run_id = r.id), r.uuid"
            " FROM runs r ORDER BY r.id");
    if (st == NULL) {
        fprintf(stderr, "upernet-benchdb runs: %s: %s\n", benchdb_name(db), benchdb_errmsg(db));
        return 1;
    }
    printf("%5s %-6s %-26s %-18s %5s %-8s  %s\n", "run", "kind", "started", "commit", "bench",
           "uuid", "machine / filter");
    long long runs = 0, results = 0;
    while (benchdb_step(st) == BENCHDB_ROW) {
        const char *commit = benchdb_column_text(st, 3);
        const char *filter = benchdb_column_text(st, 6);
        const char *uuid = benchdb_column_text(st, 9);
        char label[64];
        snprintf(label, sizeof label, "%.10s%s", commit && commit[0] ? commit : "unknown",
                 benchdb_column_int64(st, 4) ? "+dirty" : "");
        printf("%5lld %-6s %-26s %-18s %5lld %-8.8s  %s%s%s\n", benchdb_column_int64(st, 0),
               benchdb_column_text(st, 1), benchdb_column_text(st, 2) ? benchdb_column_text(st, 2) : "",
               label, benchdb_column_int64(st, 7), uuid ? uuid : "", benchdb_column_text(st, 5),
               filter && filter[0] ? " / filter " : "", filter ? filter : "");
        runs++;
        results += benchdb_column_int64(st, 8);
    }
    benchdb_finalize(st);
    printf("%lld run%s, %lld result%s\n", runs, runs == 1 ? "" : "s", results, results == 1 ? "" : "s");
    return 0;
}

static void usage(FILE *out)
{
    fputs("usage: upernet-benchdb record  --db DB --json FILE... [--merged-out FILE] [--commit HASH]\n"
          "                               [--dirty 0|1] [--cc CC] [--cflags FLAGS] [--filter RE]\n"
          "                               [--kind KIND] [--quiet]\n"
          "       upernet-benchdb compare --db DB [--baseline previous|COMMIT|run:ID]\n"
          "                               [--current run:ID] [--threshold PCT] [--alpha P]\n"
          "                               [--min-reps N] [--no-normalize] [--all]\n"
          "       upernet-benchdb compare --db DB --latest-per-machine [options as above]\n"
          "       upernet-benchdb report  --db DB [--out FILE.html]\n"
          "       upernet-benchdb runs    --db DB\n"
          "       upernet-benchdb sync    --from DB --to DB\n"
          "DB: an SQLite file, or a PostgreSQL URI postgresql://[USER@]HOST[:PORT]/DBNAME (keep the\n"
          "password in ~/.pgpass, PGPASSFILE or PGPASSWORD; it is never printed).\n"
          "record: BENCH_MACHINE=NAME names the machine instead of its host name.\n",
          out);
    fprintf(out, "backends: sqlite%s\n", benchdb_have_postgresql() ? ", postgresql" : " (built without libpq)");
}

/* Finds --db in argv (every subcommand but record and sync takes it the same way). */
static const char *find_db(int argc, char **argv)
{
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], "--db") == 0)
            return argv[i + 1];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "record") == 0)
        return cmd_record(argc - 2, argv + 2);
    if (strcmp(cmd, "sync") == 0)
        return benchdb_sync(argc - 2, argv + 2);
    if (strcmp(cmd, "compare") != 0 && strcmp(cmd, "report") != 0 && strcmp(cmd, "runs") != 0) {
        fprintf(stderr, "upernet-benchdb: unknown command '%s'\n", cmd);
        usage(stderr);
        return 2;
    }
    const char *target = find_db(argc - 2, argv + 2);
    if (target == NULL) {
        fprintf(stderr, "upernet-benchdb %s: --db FILE or --db URI is required\n", cmd);
        return 2;
    }
    struct benchdb *db = benchdb_open(target, true);
    if (db == NULL)
        return 1;
    int rc;
    if (strcmp(cmd, "compare") == 0)
        rc = benchdb_compare(db, argc - 2, argv + 2);
    else if (strcmp(cmd, "report") == 0)
        rc = benchdb_report(db, argc - 2, argv + 2);
    else
        rc = cmd_runs(db);
    benchdb_close(db);
    return rc;
}
