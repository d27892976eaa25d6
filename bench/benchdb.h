/* The benchmark history: an SQLite database of runs (one `make bench`, or
 * one peers comparison) and every repetition of every benchmark in them.
 *
 *   runs(id, kind, started, commit_hash, dirty, compiler, cflags, cpu_model,
 *        cpu_features, best_tier, threads, num_cpus, host, machine, filter,
 *        context_json)
 *   results(run_id, name, repetition, tier, threads, real_time_ns,
 *           cpu_time_ns, iterations, error, counters_json)
 *
 * `machine` ("host | cpu model | N cpus") decides which runs may be compared.
 * `kind` is "bench" for make bench and "peers" for tools/bench_peers.py. */
#ifndef UPERNET_BENCH_BENCHDB_H
#define UPERNET_BENCH_BENCHDB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

/* Opens (creating the schema if needed); prints the reason and returns NULL
 * on failure. */
sqlite3 *benchdb_open(const char *path);

/* A run's identity as printed in headers. */
struct benchdb_run {
    long long id;
    char kind[16];
    char started[32];
    char commit_hash[48];
    int dirty;
    char machine[256];
    char compiler[128];
};

/* Reads run `id`; false if absent. */
bool benchdb_run_get(sqlite3 *db, long long id, struct benchdb_run *run);

/* The id of the latest run of kind "bench" (0 if none). */
long long benchdb_latest_run(sqlite3 *db);

/* "1a2b3c4+dirty" */
void benchdb_run_label(const struct benchdb_run *run, char *buf, size_t size);

/* Formats nanoseconds with a readable unit ("812 ns", "3.41 us", "1.20 s"). */
void benchdb_format_time(double ns, char *buf, size_t size);

/* Benchmarks that measure the machine (bandwidth, FMA peak), not our code:
 * bench-compare reports them but never fails on them. */
bool benchdb_is_machine_benchmark(const char *name);

/* Subcommands (argv after the subcommand name); return the exit status. */
int benchdb_compare(sqlite3 *db, int argc, char **argv);
int benchdb_report(sqlite3 *db, int argc, char **argv);

#endif
