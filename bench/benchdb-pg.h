/* The PostgreSQL side of bench/benchdb-conn.c, through libpq (built only
 * when configure found it). Statements run with PQexecParams, every
 * parameter as text and typed by the server from its context; a statement's
 * rows are fetched whole on its first step. */
#ifndef UPERNET_BENCH_BENCHDB_PG_H
#define UPERNET_BENCH_BENCHDB_PG_H

#include <stdbool.h>
#include <stddef.h>

struct benchdb_pg;
struct benchdb_pg_stmt;

/* NULL with the reason in err on failure. */
struct benchdb_pg *benchdb_pg_connect(const char *uri, char *err, size_t errsize);
void benchdb_pg_close(struct benchdb_pg *pg);
/* SQL without parameters; false with the reason in err. */
bool benchdb_pg_exec(struct benchdb_pg *pg, const char *sql, char *err, size_t errsize);

/* `?` and `?N` placeholders become $N. NULL only when out of memory. */
struct benchdb_pg_stmt *benchdb_pg_prepare(struct benchdb_pg *pg, const char *sql);
/* value NULL: SQL NULL. */
void benchdb_pg_bind(struct benchdb_pg_stmt *st, int index, const char *value);
/* 1 row, 0 done, -1 error (reason in err). */
int benchdb_pg_step(struct benchdb_pg_stmt *st, char *err, size_t errsize);
/* The current row's column as text; NULL for SQL NULL. */
const char *benchdb_pg_column(struct benchdb_pg_stmt *st, int col);
void benchdb_pg_reset(struct benchdb_pg_stmt *st);
void benchdb_pg_finalize(struct benchdb_pg_stmt *st);

#endif
