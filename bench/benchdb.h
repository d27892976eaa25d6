/* The benchmark history: runs (one `make bench`, or one peers comparison)
 * and every repetition of every benchmark in them, in SQLite or PostgreSQL
 * (bench/benchdb-conn.h), schema version 2 (bench/benchdb-schema.c):
 *
 *   runs(id, kind, started, commit_hash, dirty, compiler, cflags, cpu_model,
 *        cpu_features, best_tier, threads, num_cpus, host, machine, filter,
 *        context_json, uuid, fma_peak_gflops, bandwidth_gbps)
 *   results(run_id, name, repetition, tier, threads, real_time_ns,
 *           cpu_time_ns, iterations, error, counters_json)
 *   schema_info(version)
 *
 * `machine` ("host | cpu model | N cpus", host being BENCH_MACHINE when set)
 * decides which runs may be compared. `kind` is "bench" for make bench and
 * "peers" for tools/bench_peers.py. `uuid` names a run across histories
 * (sync); `id` is local to one history. */
#ifndef UPERNET_BENCH_BENCHDB_H
#define UPERNET_BENCH_BENCHDB_H

#include <stdbool.h>
#include <stddef.h>

#include "bench/benchdb-conn.h"

#define BENCHDB_SCHEMA_VERSION 2
#define BENCHDB_UUID_SIZE 37

/* Connects and creates or migrates the schema; prints the reason and
 * returns NULL on failure. must_exist: see benchdb_connect. */
struct benchdb *benchdb_open(const char *target, bool must_exist);

/* A random (version 4) UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx". */
void benchdb_new_uuid(char out[BENCHDB_UUID_SIZE]);

/* Sets runs.fma_peak_gflops and bandwidth_gbps of run `run_id` from its
 * results: the largest median GFLOP/s of its peak/fma/... benchmarks and
 * the largest median GB/s of its memory/triad/DRAM/... ones (NULL when the
 * run has none). */
bool benchdb_store_machine_figures(struct benchdb *db, long long run_id);

/* A run's identity as printed in headers. */
struct benchdb_run {
    long long id;
    char kind[16];
    char started[32];
    char commit_hash[48];
    int dirty;
    char machine[512];
    char compiler[128];
    char uuid[BENCHDB_UUID_SIZE];
};

/* Reads run `id`; false if absent. */
bool benchdb_run_get(struct benchdb *db, long long id, struct benchdb_run *run);

/* The id of the latest run of kind "bench" (0 if none). */
long long benchdb_latest_run(struct benchdb *db);

/* "1a2b3c4+dirty" */
void benchdb_run_label(const struct benchdb_run *run, char *buf, size_t size);

/* Formats nanoseconds with a readable unit ("812 ns", "3.41 us", "1.20 s"). */
void benchdb_format_time(double ns, char *buf, size_t size);

/* Benchmarks that measure the machine (bandwidth, FMA peak), not our code:
 * bench-compare reports them but never fails on them. */
bool benchdb_is_machine_benchmark(const char *name);

/* Subcommands (argv after the subcommand name); return the exit status. */
int benchdb_compare(struct benchdb *db, int argc, char **argv);
int benchdb_report(struct benchdb *db, int argc, char **argv);
int benchdb_sync(int argc, char **argv);

#endif
