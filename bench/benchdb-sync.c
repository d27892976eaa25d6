/* upernet-benchdb sync --from A --to B: copies every run of A that B lacks,
 * by run UUID, between any two histories (SQLite file or PostgreSQL URI,
 * either way round): a machine records offline into SQLite and pushes
 * later, or pulls the fleet's history to look at it locally.
 *
 * Each run is copied in one transaction of B (run row, then its results;
 * B gives it a new local id). Running it again copies nothing, and a run
 * another sync inserted meanwhile is skipped (the UUID is unique in B). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/benchdb.h"

/* Columns copied verbatim, by type (the id is B's own). */
static const char *const run_text_columns[] = {
    "uuid", "kind", "started", "commit_hash", "compiler", "cflags", "cpu_model", "cpu_features",
    "best_tier", "host", "machine", "filter", "context_json"};
static const char *const run_int_columns[] = {"dirty", "threads", "num_cpus"};
static const char *const run_real_columns[] = {"fma_peak_gflops", "bandwidth_gbps"};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

struct uuid_set {
    char **items;
    size_t count;
};

/* Every run UUID of db, sorted; false on error. */
static bool load_uuids(struct benchdb *db, struct uuid_set *set)
{
    set->items = NULL;
    set->count = 0;
    struct benchdb_stmt *st = benchdb_prepare(db, "SELECT uuid FROM runs");
    if (st == NULL)
        return false;
    size_t cap = 0;
    int rc;
    while ((rc = benchdb_step(st)) == BENCHDB_ROW) {
        if (set->count == cap) {
            cap = cap ? 2 * cap : 256;
            char **grown = realloc(set->items, cap * sizeof *grown);
            if (grown == NULL)
                abort();
            set->items = grown;
        }
        const char *u = benchdb_column_text(st, 0);
        set->items[set->count] = strdup(u ? u : "");
        if (set->items[set->count] == NULL)
            abort();
        set->count++;
    }
    benchdb_finalize(st);
    if (set->count > 0)
        qsort(set->items, set->count, sizeof *set->items, cmp_str);
    return rc == BENCHDB_DONE;
}

static bool uuid_set_has(const struct uuid_set *set, const char *uuid)
{
    return set->count > 0 &&
           bsearch(&uuid, set->items, set->count, sizeof *set->items, cmp_str) != NULL;
}

static void uuid_set_free(struct uuid_set *set)
{
    for (size_t i = 0; i < set->count; i++)
        free(set->items[i]);
    free(set->items);
}

/* Binds column `col` of `from` as parameter `param` of `to`, by type,
 * NULL kept. */
static void bind_column(struct benchdb_stmt *to, int param, struct benchdb_stmt *from, int col,
                        char type)
{
    if (benchdb_column_is_null(from, col))
        benchdb_bind_null(to, param);
    else if (type == 'i')
        benchdb_bind_int64(to, param, benchdb_column_int64(from, col));
    else if (type == 'r')
        benchdb_bind_double(to, param, benchdb_column_double(from, col));
    else
        benchdb_bind_text(to, param, benchdb_column_text(from, col));
}

/* Copies run `id` of src into dst in one transaction. 1: copied (*results
 * gets its result count), 0: dst had it already, -1: error (printed). */
static int copy_run(struct benchdb *src, struct benchdb *dst, long long id, size_t *results)
{
    char cols[1024] = "", marks[256] = "", types[64] = "";
    size_t ncols = 0;
    const char *const *lists[] = {run_text_columns, run_int_columns, run_real_columns};
    const size_t sizes[] = {COUNT(run_text_columns), COUNT(run_int_columns), COUNT(run_real_columns)};
    const char kinds[] = {'t', 'i', 'r'};
    for (size_t l = 0; l < 3; l++)
        for (size_t c = 0; c < sizes[l]; c++) {
            snprintf(cols + strlen(cols), sizeof cols - strlen(cols), "%s%s", ncols ? ", " : "",
                     lists[l][c]);
            snprintf(marks + strlen(marks), sizeof marks - strlen(marks), "%s?", ncols ? "," : "");
            types[ncols++] = kinds[l];
        }
    char select_run[1200], insert_run[1400];
    snprintf(select_run, sizeof select_run, "SELECT %s FROM runs WHERE id = ?", cols);
    snprintf(insert_run, sizeof insert_run,
             "INSERT INTO runs(%s) VALUES(%s) ON CONFLICT(uuid) DO NOTHING RETURNING id", cols, marks);

    struct benchdb_stmt *from = NULL, *to = NULL;
    struct benchdb *failed = dst;
    int outcome = -1;
    *results = 0;
    if (!benchdb_begin_write(dst))
        goto out;
    failed = src;
    if ((from = benchdb_prepare(src, select_run)) == NULL)
        goto out;
    benchdb_bind_int64(from, 1, id);
    if (benchdb_step(from) != BENCHDB_ROW)
        goto out;
    failed = dst;
    if ((to = benchdb_prepare(dst, insert_run)) == NULL)
        goto out;
    for (size_t c = 0; c < ncols; c++)
        bind_column(to, (int) c + 1, from, (int) c, types[c]);
    const int rc = benchdb_step(to);
    if (rc == BENCHDB_ERROR)
        goto out;
    if (rc == BENCHDB_DONE) { /* another sync copied it since we looked */
        outcome = 0;
        goto out;
    }
    const long long new_id = benchdb_column_int64(to, 0);
    benchdb_finalize(from);
    benchdb_finalize(to);
    to = NULL;

    failed = src;
    from = benchdb_prepare(src, "SELECT name, repetition, tier, threads, real_time_ns, cpu_time_ns,"
                                " iterations, error, counters_json FROM results WHERE run_id = ?");
    if (from == NULL)
        goto out;
    benchdb_bind_int64(from, 1, id);
    failed = dst;
    to = benchdb_prepare(dst, "INSERT INTO results(run_id, name, repetition, tier, threads,"
                              " real_time_ns, cpu_time_ns, iterations, error, counters_json)"
                              " VALUES(?,?,?,?,?,?,?,?,?,?)");
    if (to == NULL)
        goto out;
    static const char result_types[] = "tiitrritt";
    int step;
    while ((step = benchdb_step(from)) == BENCHDB_ROW) {
        benchdb_reset(to);
        benchdb_bind_int64(to, 1, new_id);
        for (int c = 0; c < 9; c++)
            bind_column(to, c + 2, from, c, result_types[c]);
        if (benchdb_step(to) != BENCHDB_DONE)
            goto out;
        ++*results;
    }
    failed = src;
    if (step != BENCHDB_DONE)
        goto out;
    failed = dst;
    outcome = 1;
out:
    benchdb_finalize(from);
    benchdb_finalize(to);
    if (outcome >= 0 && benchdb_commit(dst))
        return outcome;
    fprintf(stderr, "upernet-benchdb sync: %s: %s\n", benchdb_name(failed), benchdb_errmsg(failed));
    benchdb_rollback(dst);
    return -1;
}

int benchdb_sync(int argc, char **argv)
{
    const char *from_target = NULL, *to_target = NULL;
    for (int i = 0; i < argc; i++) {
        if (i + 1 >= argc) {
            fprintf(stderr, "upernet-benchdb sync: %s needs a value\n", argv[i]);
            return 2;
        }
        if (strcmp(argv[i], "--from") == 0)
            from_target = argv[++i];
        else if (strcmp(argv[i], "--to") == 0)
            to_target = argv[++i];
        else {
            fprintf(stderr, "upernet-benchdb sync: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (from_target == NULL || to_target == NULL) {
        fprintf(stderr, "usage: upernet-benchdb sync --from DB --to DB\n");
        return 2;
    }
    struct benchdb *src = benchdb_open(from_target, true);
    if (src == NULL)
        return 1;
    struct benchdb *dst = benchdb_open(to_target, false);
    if (dst == NULL) {
        benchdb_close(src);
        return 1;
    }
    struct uuid_set have;
    struct benchdb_stmt *st = NULL;
    int rc = 1;
    if (!load_uuids(dst, &have)) {
        fprintf(stderr, "upernet-benchdb sync: %s: %s\n", benchdb_name(dst), benchdb_errmsg(dst));
        goto done;
    }
    /* The source's runs in their order, so that each machine's runs keep
     * theirs in the destination ("previous" run follows the id). */
    st = benchdb_prepare(src, "SELECT id, uuid FROM runs ORDER BY id");
    long long *todo = NULL;
    size_t ntodo = 0, cap = 0, present = 0;
    int step = BENCHDB_ERROR;
    while (st != NULL && (step = benchdb_step(st)) == BENCHDB_ROW) {
        const char *uuid = benchdb_column_text(st, 1);
        if (uuid != NULL && uuid_set_has(&have, uuid)) {
            present++;
            continue;
        }
        if (ntodo == cap) {
            cap = cap ? 2 * cap : 64;
            long long *grown = realloc(todo, cap * sizeof *grown);
            if (grown == NULL)
                abort();
            todo = grown;
        }
        todo[ntodo++] = benchdb_column_int64(st, 0);
    }
    if (step != BENCHDB_DONE) {
        fprintf(stderr, "upernet-benchdb sync: %s: %s\n", benchdb_name(src), benchdb_errmsg(src));
        free(todo);
        uuid_set_free(&have);
        goto done;
    }
    size_t copied = 0, copied_results = 0, raced = 0;
    rc = 0;
    for (size_t i = 0; i < ntodo && rc == 0; i++) {
        size_t n;
        const int outcome = copy_run(src, dst, todo[i], &n);
        if (outcome < 0)
            rc = 1;
        else if (outcome == 0)
            raced++;
        else
            copied++, copied_results += n;
    }
    printf("sync: copied %zu run%s (%zu results) from %s to %s; %zu already there%s\n", copied,
           copied == 1 ? "" : "s", copied_results, benchdb_name(src), benchdb_name(dst),
           present + raced, rc ? "; stopped at the error above" : "");
    free(todo);
    uuid_set_free(&have);
done:
    benchdb_finalize(st);
    benchdb_close(src);
    benchdb_close(dst);
    return rc;
}
