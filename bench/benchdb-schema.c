/* The history's schema, the same on SQLite and PostgreSQL, versioned in
 * table schema_info and brought up to date on first use:
 *
 *   version 1  runs and results (bench/benchdb.h), the layout the history had
 *              before it was versioned (a file holding runs but no schema_info
 *              is version 1)
 *   version 2  runs.uuid (made when a run is recorded; sync copies by it),
 *              runs.fma_peak_gflops and runs.bandwidth_gbps (the machine's
 *              measured FP32 FMA peak and DRAM triad bandwidth, from the run's
 *              peak/fma and memory/triad/DRAM benchmarks); existing runs get a
 *              fresh UUID and their figures
 *
 * A new database is built by the same steps, so a created and a migrated
 * history are identical. Each upgrade is one transaction; on PostgreSQL an
 * advisory lock makes concurrent first users wait for the one creating it. */
#include "config.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "bench/benchdb.h"

/* Version 1's tables; exec_ddl() fills in {id} (the id column), {float}
 * and {int64}, which the two servers spell differently. */
static const char *const schema_v1 =
    "CREATE TABLE runs("
    " id {id}, kind TEXT NOT NULL DEFAULT 'bench', started TEXT,"
    " commit_hash TEXT, dirty INTEGER, compiler TEXT, cflags TEXT, cpu_model TEXT,"
    " cpu_features TEXT, best_tier TEXT, threads INTEGER, num_cpus INTEGER, host TEXT,"
    " machine TEXT, filter TEXT, context_json TEXT);"
    "CREATE TABLE results("
    " run_id {int64} NOT NULL REFERENCES runs(id), name TEXT NOT NULL,"
    " repetition INTEGER NOT NULL, tier TEXT, threads INTEGER, real_time_ns {float},"
    " cpu_time_ns {float}, iterations {int64}, error TEXT, counters_json TEXT,"
    " PRIMARY KEY(run_id, name, repetition));"
    "CREATE INDEX results_by_name ON results(name);";

static const char *const schema_v2 =
    "ALTER TABLE runs ADD COLUMN uuid TEXT;"
    "ALTER TABLE runs ADD COLUMN fma_peak_gflops {float};"
    "ALTER TABLE runs ADD COLUMN bandwidth_gbps {float};"
    "CREATE INDEX runs_by_machine ON runs(machine);"
    "CREATE TABLE schema_info(version INTEGER NOT NULL);"
    "INSERT INTO schema_info(version) VALUES(2);";

/* The unique index goes on after the backfill gave every run its UUID. */
static const char *const schema_v2_uuid_index = "CREATE UNIQUE INDEX runs_by_uuid ON runs(uuid)";

void benchdb_new_uuid(char out[BENCHDB_UUID_SIZE])
{
    unsigned char b[16];
    if (getrandom(b, sizeof b, 0) != (ssize_t) sizeof b) {
        /* No kernel entropy call: time, pid and a counter still make a run's
         * UUID unique among the writers of one fleet in practice. */
        static unsigned counter;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned long long mix[2] = {(unsigned long long) ts.tv_sec * 1000000000ull + (unsigned long long) ts.tv_nsec,
                                     ((unsigned long long) getpid() << 32) ^ ++counter};
        memcpy(b, mix, sizeof b);
    }
    b[6] = (unsigned char) ((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char) ((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, BENCHDB_UUID_SIZE,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

/* The largest per-benchmark median of counter `key` over the run's results
 * whose names start with `prefix`; NAN if none. */
static double best_median(struct benchdb *db, long long run_id, const char *prefix, const char *key)
{
    struct benchdb_stmt *st = benchdb_prepare(
        db, "SELECT name, counters_json FROM results WHERE run_id = ? AND error IS NULL"
            " AND name LIKE ? ORDER BY name, repetition");
    if (st == NULL)
        return NAN;
    benchdb_bind_int64(st, 1, run_id);
    char pattern[64];
    snprintf(pattern, sizeof pattern, "%s%%", prefix); /* the prefixes hold no _ or % */
    benchdb_bind_text(st, 2, pattern);
    double best = NAN, v[64];
    size_t n = 0;
    char prev[256] = "";
    int more = 1;
    while (more) {
        more = benchdb_step(st) == BENCHDB_ROW;
        const char *name = more ? benchdb_column_text(st, 0) : "";
        if (n > 0 && strcmp(name, prev) != 0) {
            qsort(v, n, sizeof *v, cmp_double);
            const double med = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
            if (isnan(best) || med > best)
                best = med;
            n = 0;
        }
        if (!more)
            break;
        snprintf(prev, sizeof prev, "%s", name);
        json_t *counters = json_loads(benchdb_column_text(st, 1) ? benchdb_column_text(st, 1) : "",
                                      0, NULL);
        json_t *value = json_object_get(counters, key);
        if (json_is_number(value) && n < sizeof v / sizeof v[0])
            v[n++] = json_number_value(value);
        json_decref(counters);
    }
    benchdb_finalize(st);
    return best;
}

bool benchdb_store_machine_figures(struct benchdb *db, long long run_id)
{
    const double peak = best_median(db, run_id, "peak/fma/", "GFLOP/s");
    const double bandwidth = best_median(db, run_id, "memory/triad/DRAM/", "GB/s");
    struct benchdb_stmt *st =
        benchdb_prepare(db, "UPDATE runs SET fma_peak_gflops = ?, bandwidth_gbps = ? WHERE id = ?");
    if (st == NULL)
        return false;
    if (isnan(peak))
        benchdb_bind_null(st, 1);
    else
        benchdb_bind_double(st, 1, peak);
    if (isnan(bandwidth))
        benchdb_bind_null(st, 2);
    else
        benchdb_bind_double(st, 2, bandwidth);
    benchdb_bind_int64(st, 3, run_id);
    const bool ok = benchdb_step(st) == BENCHDB_DONE;
    benchdb_finalize(st);
    return ok;
}

/* The version the database is at: schema_info's, 1 for the unversioned
 * layout, 0 for an empty database; -1 on error. */
static int schema_version(struct benchdb *db)
{
    if (!benchdb_table_exists(db, "schema_info"))
        return benchdb_table_exists(db, "runs") ? 1 : 0;
    struct benchdb_stmt *st = benchdb_prepare(db, "SELECT max(version) FROM schema_info");
    if (st == NULL)
        return -1;
    const int version = benchdb_step(st) == BENCHDB_ROW ? (int) benchdb_column_int64(st, 0) : -1;
    benchdb_finalize(st);
    return version;
}

static bool exec_ddl(struct benchdb *db, const char *template)
{
    const bool pg = benchdb_backend(db) == BENCHDB_POSTGRESQL;
    const char *const tokens[][2] = {
        {"{id}", pg ? "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" : "INTEGER PRIMARY KEY"},
        {"{float}", pg ? "DOUBLE PRECISION" : "REAL"},
        {"{int64}", pg ? "BIGINT" : "INTEGER"}};
    char sql[2048];
    size_t o = 0;
    for (const char *p = template; *p && o + 64 < sizeof sql;) {
        bool replaced = false;
        for (size_t t = 0; t < sizeof tokens / sizeof tokens[0] && !replaced; t++)
            if (strncmp(p, tokens[t][0], strlen(tokens[t][0])) == 0) {
                o += (size_t) snprintf(sql + o, sizeof sql - o, "%s", tokens[t][1]);
                p += strlen(tokens[t][0]);
                replaced = true;
            }
        if (!replaced)
            sql[o++] = *p++;
    }
    sql[o] = 0;
    return benchdb_exec(db, sql);
}

/* Version 1 -> 2 for the runs already there: a UUID and the machine figures. */
static bool backfill_v2(struct benchdb *db)
{
    struct benchdb_stmt *ids = benchdb_prepare(db, "SELECT id FROM runs ORDER BY id");
    struct benchdb_stmt *set = benchdb_prepare(db, "UPDATE runs SET uuid = ? WHERE id = ?");
    bool ok = ids != NULL && set != NULL;
    long long *list = NULL;
    size_t n = 0, cap = 0;
    while (ok && benchdb_step(ids) == BENCHDB_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            long long *grown = realloc(list, cap * sizeof *list);
            if (grown == NULL) {
                ok = false;
                break;
            }
            list = grown;
        }
        list[n++] = benchdb_column_int64(ids, 0);
    }
    for (size_t i = 0; ok && i < n; i++) {
        char uuid[BENCHDB_UUID_SIZE];
        benchdb_new_uuid(uuid);
        benchdb_reset(set);
        benchdb_bind_text(set, 1, uuid);
        benchdb_bind_int64(set, 2, list[i]);
        ok = benchdb_step(set) == BENCHDB_DONE && benchdb_store_machine_figures(db, list[i]);
    }
    free(list);
    benchdb_finalize(ids);
    benchdb_finalize(set);
    return ok;
}

static bool upgrade(struct benchdb *db)
{
    if (!benchdb_begin_write(db))
        return false;
    if (benchdb_backend(db) == BENCHDB_POSTGRESQL &&
        !benchdb_exec(db, "SELECT pg_advisory_xact_lock(7262737464622)")) /* "upernet-benchdb" */
        goto fail;
    const int version = schema_version(db); /* again: another writer may have upgraded */
    if (version < 0)
        goto fail;
    if (version < 1 && !exec_ddl(db, schema_v1))
        goto fail;
    if (version < 2 && !(exec_ddl(db, schema_v2) && backfill_v2(db) &&
                         benchdb_exec(db, schema_v2_uuid_index)))
        goto fail;
    if (benchdb_commit(db))
        return true;
fail:
    benchdb_rollback(db);
    return false;
}

struct benchdb *benchdb_open(const char *target, bool must_exist)
{
    struct benchdb *db = benchdb_connect(target, must_exist);
    if (db == NULL)
        return NULL;
    const int version = schema_version(db);
    if (version > BENCHDB_SCHEMA_VERSION) {
        fprintf(stderr,
                "upernet-benchdb: %s: schema version %d is newer than this upernet-benchdb "
                "knows (%d); use a newer upernet\n",
                benchdb_name(db), version, BENCHDB_SCHEMA_VERSION);
        benchdb_close(db);
        return NULL;
    }
    if (version < 0 || (version < BENCHDB_SCHEMA_VERSION && !upgrade(db))) {
        fprintf(stderr, "upernet-benchdb: %s: cannot create or upgrade the schema: %s\n",
                benchdb_name(db), benchdb_errmsg(db));
        benchdb_close(db);
        return NULL;
    }
    return db;
}
