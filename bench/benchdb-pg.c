/* PostgreSQL through libpq for the benchmark history (see bench/benchdb-pg.h). */
#include "config.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/benchdb-pg.h"

/* More parameters than any statement of upernet-benchdb binds. */
#define MAX_PARAMS 32

struct benchdb_pg {
    PGconn *conn;
};

struct benchdb_pg_stmt {
    struct benchdb_pg *pg;
    char *sql;            /* with $N placeholders */
    int nparams;
    char *params[MAX_PARAMS];
    PGresult *result;     /* NULL until the first step */
    int row;              /* the current row; -1 before the first */
};

/* libpq's messages end in a newline; ours do not. */
static void copy_message(char *err, size_t errsize, const char *msg)
{
    snprintf(err, errsize, "%s", msg && msg[0] ? msg : "unknown PostgreSQL error");
    size_t n = strlen(err);
    while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
        err[--n] = 0;
}

/* Notices ("relation already exists, skipping") are not errors. */
static void ignore_notice(void *arg, const char *message)
{
    (void) arg, (void) message;
}

struct benchdb_pg *benchdb_pg_connect(const char *uri, char *err, size_t errsize)
{
    struct benchdb_pg *pg = calloc(1, sizeof *pg);
    if (pg == NULL) {
        copy_message(err, errsize, "out of memory");
        return NULL;
    }
    pg->conn = PQconnectdb(uri);
    if (pg->conn == NULL || PQstatus(pg->conn) != CONNECTION_OK) {
        copy_message(err, errsize, pg->conn ? PQerrorMessage(pg->conn) : "out of memory");
        PQfinish(pg->conn);
        free(pg);
        return NULL;
    }
    PQsetNoticeProcessor(pg->conn, ignore_notice, NULL);
    return pg;
}

void benchdb_pg_close(struct benchdb_pg *pg)
{
    if (pg == NULL)
        return;
    PQfinish(pg->conn);
    free(pg);
}

bool benchdb_pg_exec(struct benchdb_pg *pg, const char *sql, char *err, size_t errsize)
{
    PGresult *r = PQexec(pg->conn, sql);
    const ExecStatusType status = PQresultStatus(r);
    const bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    if (!ok)
        copy_message(err, errsize, PQerrorMessage(pg->conn));
    PQclear(r);
    return ok;
}

/* `?N` -> `$N`, a bare `?` -> the next number; quoted text is left alone.
 * *nparams gets the highest number used. */
static char *translate_placeholders(const char *sql, int *nparams)
{
    char *out = malloc(3 * strlen(sql) + 1); /* "?" -> "$NN" (MAX_PARAMS < 100) */
    if (out == NULL)
        return NULL;
    size_t o = 0;
    int next = 0, highest = 0;
    bool quoted = false;
    for (const char *p = sql; *p; p++) {
        if (*p == '\'')
            quoted = !quoted;
        if (quoted || *p != '?') {
            out[o++] = *p;
            continue;
        }
        int number;
        if (p[1] >= '0' && p[1] <= '9') {
            char *end;
            number = (int) strtol(p + 1, &end, 10);
            p = end - 1;
        } else {
            number = ++next;
        }
        if (number > highest)
            highest = number;
        o += (size_t) sprintf(out + o, "$%d", number);
    }
    out[o] = 0;
    *nparams = highest;
    return out;
}

struct benchdb_pg_stmt *benchdb_pg_prepare(struct benchdb_pg *pg, const char *sql)
{
    struct benchdb_pg_stmt *st = calloc(1, sizeof *st);
    if (st == NULL)
        return NULL;
    st->pg = pg;
    st->row = -1;
    st->sql = translate_placeholders(sql, &st->nparams);
    if (st->sql == NULL || st->nparams > MAX_PARAMS) {
        free(st->sql);
        free(st);
        return NULL;
    }
    return st;
}

void benchdb_pg_bind(struct benchdb_pg_stmt *st, int index, const char *value)
{
    if (index < 1 || index > st->nparams)
        return;
    free(st->params[index - 1]);
    st->params[index - 1] = value ? strdup(value) : NULL;
}

int benchdb_pg_step(struct benchdb_pg_stmt *st, char *err, size_t errsize)
{
    if (st->result == NULL) {
        st->result = PQexecParams(st->pg->conn, st->sql, st->nparams, NULL,
                                  (const char *const *) st->params, NULL, NULL, 0);
        const ExecStatusType status = PQresultStatus(st->result);
        if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
            copy_message(err, errsize, PQerrorMessage(st->pg->conn));
            return -1;
        }
        st->row = -1;
    }
    if (PQresultStatus(st->result) != PGRES_TUPLES_OK)
        return PQresultStatus(st->result) == PGRES_COMMAND_OK ? 0 : -1;
    if (st->row + 1 >= PQntuples(st->result))
        return 0;
    st->row++;
    return 1;
}

const char *benchdb_pg_column(struct benchdb_pg_stmt *st, int col)
{
    if (st->result == NULL || st->row < 0 || st->row >= PQntuples(st->result) || col < 0 ||
        col >= PQnfields(st->result) || PQgetisnull(st->result, st->row, col))
        return NULL;
    return PQgetvalue(st->result, st->row, col);
}

void benchdb_pg_reset(struct benchdb_pg_stmt *st)
{
    PQclear(st->result);
    st->result = NULL;
    st->row = -1;
}

void benchdb_pg_finalize(struct benchdb_pg_stmt *st)
{
    if (st == NULL)
        return;
    PQclear(st->result);
    for (int i = 0; i < MAX_PARAMS; i++)
        free(st->params[i]);
    free(st->sql);
    free(st);
}
