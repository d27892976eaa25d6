/* One connection to a benchmark history, SQLite or PostgreSQL, behind the
 * step-by-step statement interface SQLite has:
 *
 *   struct benchdb *db = benchdb_connect(target);   SQLite path or postgresql:// URI
 *   struct benchdb_stmt *st = benchdb_prepare(db, "SELECT ... WHERE id = ?");
 *   benchdb_bind_int64(st, 1, id);
 *   while (benchdb_step(st) == BENCHDB_ROW) ... benchdb_column_text(st, 0) ...
 *   benchdb_finalize(st);
 *
 * SQL is written once, in the dialect both servers understand, with `?` or
 * `?N` placeholders (PostgreSQL gets them as $1, $2, ...). Every value goes
 * in through a parameter, never into the SQL text.
 *
 * A URI's password never leaves this layer: benchdb_name() is the target
 * with the password replaced by ***, and benchdb_errmsg() scrubs it from
 * the server's messages. */
#ifndef UPERNET_BENCH_BENCHDB_CONN_H
#define UPERNET_BENCH_BENCHDB_CONN_H

#include <stdbool.h>
#include <stddef.h>

enum benchdb_backend { BENCHDB_SQLITE, BENCHDB_POSTGRESQL };

enum { BENCHDB_ERROR = -1, BENCHDB_DONE = 0, BENCHDB_ROW = 1 };

struct benchdb;
struct benchdb_stmt;

/* True for "postgresql://..." and "postgres://..." (libpq's URI forms). */
bool benchdb_target_is_uri(const char *target);

/* The target as it may be printed: "postgresql://user:***@host/db" (and
 * password=*** in the query string); an SQLite path unchanged. */
void benchdb_mask_target(const char *target, char *buf, size_t size);

/* Whether this build can reach PostgreSQL (configure found libpq). */
bool benchdb_have_postgresql(void);

/* Opens the history without touching its schema; prints the reason (with
 * the masked target) and returns NULL on failure. must_exist: an SQLite
 * file that does not exist is an error rather than created. */
struct benchdb *benchdb_connect(const char *target, bool must_exist);
void benchdb_close(struct benchdb *db);

enum benchdb_backend benchdb_backend(const struct benchdb *db);
/* The masked target, for messages. */
const char *benchdb_name(const struct benchdb *db);
/* The last error, with any password replaced by ***. */
const char *benchdb_errmsg(const struct benchdb *db);

/* Runs SQL without parameters (one or more statements); false on error. */
bool benchdb_exec(struct benchdb *db, const char *sql);
/* A write transaction: SQLite takes the write lock at once (BEGIN
 * IMMEDIATE), so concurrent writers queue instead of failing on upgrade. */
bool benchdb_begin_write(struct benchdb *db);
bool benchdb_commit(struct benchdb *db);
void benchdb_rollback(struct benchdb *db);

/* Whether table `name` exists (in the current schema). */
bool benchdb_table_exists(struct benchdb *db, const char *name);

/* NULL on error (benchdb_errmsg says why). */
struct benchdb_stmt *benchdb_prepare(struct benchdb *db, const char *sql);
/* Parameters count from 1; a NULL string binds SQL NULL. */
void benchdb_bind_text(struct benchdb_stmt *st, int index, const char *value);
void benchdb_bind_int64(struct benchdb_stmt *st, int index, long long value);
void benchdb_bind_double(struct benchdb_stmt *st, int index, double value);
void benchdb_bind_null(struct benchdb_stmt *st, int index);
/* BENCHDB_ROW, BENCHDB_DONE or BENCHDB_ERROR. */
int benchdb_step(struct benchdb_stmt *st);
/* Columns count from 0. Text is NULL for SQL NULL and valid until the next
 * step; numbers are 0 for NULL. */
bool benchdb_column_is_null(struct benchdb_stmt *st, int col);
const char *benchdb_column_text(struct benchdb_stmt *st, int col);
long long benchdb_column_int64(struct benchdb_stmt *st, int col);
double benchdb_column_double(struct benchdb_stmt *st, int col);
/* Ready to step again from the start; the bindings stay. */
void benchdb_reset(struct benchdb_stmt *st);
void benchdb_finalize(struct benchdb_stmt *st);

#endif
