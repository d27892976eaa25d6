/* The benchmark history connection: SQLite here, PostgreSQL through
 * bench/benchdb-pg.c (see bench/benchdb-conn.h). */
#include "config.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/benchdb-conn.h"
#ifdef HAVE_LIBPQ
#include "bench/benchdb-pg.h"
#endif

struct benchdb {
    enum benchdb_backend backend;
    sqlite3 *lite;
#ifdef HAVE_LIBPQ
    struct benchdb_pg *pg;
#endif
    char name[1024];     /* masked */
    char password[256];  /* the URI's, to scrub from messages; "" if none */
    char err[1024];
};

struct benchdb_stmt {
    struct benchdb *db;
    sqlite3_stmt *lite;
#ifdef HAVE_LIBPQ
    struct benchdb_pg_stmt *pg;
#endif
};

bool benchdb_target_is_uri(const char *target)
{
    return strncmp(target, "postgresql://", 13) == 0 || strncmp(target, "postgres://", 11) == 0;
}

bool benchdb_have_postgresql(void)
{
#ifdef HAVE_LIBPQ
    return true;
#else
    return false;
#endif
}

/* The user-info part of a URI: [begin, end) of "user:password" before '@'
 * in the authority; false if there is none. */
static bool uri_userinfo(const char *uri, const char **begin, const char **end)
{
    const char *auth = strstr(uri, "://");
    if (auth == NULL)
        return false;
    auth += 3;
    const size_t auth_len = strcspn(auth, "/?#");
    const char *at = NULL;
    for (const char *p = auth; p < auth + auth_len; p++)
        if (*p == '@')
            at = p; /* the last '@': a password may hold one percent-encoded, not raw */
    if (at == NULL)
        return false;
    *begin = auth;
    *end = at;
    return true;
}

void benchdb_mask_target(const char *target, char *buf, size_t size)
{
    if (!benchdb_target_is_uri(target)) {
        snprintf(buf, size, "%s", target);
        return;
    }
    size_t o = 0;
    const char *ui_begin, *ui_end, *colon = NULL;
    if (uri_userinfo(target, &ui_begin, &ui_end))
        colon = memchr(ui_begin, ':', (size_t) (ui_end - ui_begin));
    for (const char *p = target; *p && o + 1 < size;) {
        if (colon != NULL && p == colon + 1) { /* user:PASSWORD@ */
            o += (size_t) snprintf(buf + o, size - o, "***");
            p = ui_end;
            continue;
        }
        /* password=VALUE among the query parameters */
        if ((*p == '?' || *p == '&') && strncmp(p + 1, "password=", 9) == 0) {
            o += (size_t) snprintf(buf + o, size - o, "%c%s", *p, "password=***");
            p += 10;
            p += strcspn(p, "&#");
            continue;
        }
        buf[o++] = *p++;
    }
    if (o >= size)
        o = size - 1;
    buf[o] = 0;
}

/* The password a URI carries (user-info or password= parameter), raw. */
static void uri_password(const char *uri, char *buf, size_t size)
{
    buf[0] = 0;
    const char *ui_begin, *ui_end;
    if (uri_userinfo(uri, &ui_begin, &ui_end)) {
        const char *colon = memchr(ui_begin, ':', (size_t) (ui_end - ui_begin));
        if (colon != NULL && ui_end > colon + 1)
            snprintf(buf, size, "%.*s", (int) (ui_end - colon - 1), colon + 1);
    }
    const char *q = strstr(uri, "password=");
    if (q != NULL && (q[-1] == '?' || q[-1] == '&'))
        snprintf(buf, size, "%.*s", (int) strcspn(q + 9, "&#"), q + 9);
}

/* Stores a message, with the password replaced by ***. */
static void set_error(struct benchdb *db, const char *msg)
{
    char *o = db->err;
    const size_t size = sizeof db->err;
    const size_t plen = strlen(db->password);
    size_t n = 0;
    for (const char *p = msg ? msg : "unknown error"; *p && n + 1 < size;) {
        if (plen > 0 && strncmp(p, db->password, plen) == 0) {
            n += (size_t) snprintf(o + n, size - n, "***");
            p += plen;
        } else {
            o[n++] = *p++;
        }
    }
    if (n >= size)
        n = size - 1;
    o[n] = 0;
}

struct benchdb *benchdb_connect(const char *target, bool must_exist)
{
    struct benchdb *db = calloc(1, sizeof *db);
    if (db == NULL) {
        fprintf(stderr, "upernet-benchdb: out of memory\n");
        return NULL;
    }
    benchdb_mask_target(target, db->name, sizeof db->name);
    if (benchdb_target_is_uri(target)) {
        db->backend = BENCHDB_POSTGRESQL;
        uri_password(target, db->password, sizeof db->password);
#ifdef HAVE_LIBPQ
        char err[1024];
        db->pg = benchdb_pg_connect(target, err, sizeof err);
        if (db->pg == NULL) {
            set_error(db, err);
            fprintf(stderr, "upernet-benchdb: cannot connect to %s: %s\n", db->name, db->err);
            free(db);
            return NULL;
        }
#else
        fprintf(stderr,
                "upernet-benchdb: %s: this build has no PostgreSQL support (configure did not "
                "find libpq, or ran with --without-libpq); install libpq-dev and rerun configure, "
                "or give an SQLite file\n",
                db->name);
        free(db);
        return NULL;
#endif
        return db;
    }
    db->backend = BENCHDB_SQLITE;
    if (must_exist && access(target, F_OK) != 0) {
        fprintf(stderr, "upernet-benchdb: %s: no such file\n", db->name);
        free(db);
        return NULL;
    }
    if (sqlite3_open(target, &db->lite) != SQLITE_OK) {
        set_error(db, db->lite ? sqlite3_errmsg(db->lite) : "out of memory");
        fprintf(stderr, "upernet-benchdb: cannot open %s: %s\n", db->name, db->err);
        sqlite3_close(db->lite);
        free(db);
        return NULL;
    }
    /* Concurrent writers wait for each other's transactions (one run each). */
    sqlite3_busy_timeout(db->lite, 120000);
    return db;
}

void benchdb_close(struct benchdb *db)
{
    if (db == NULL)
        return;
    sqlite3_close(db->lite);
#ifdef HAVE_LIBPQ
    benchdb_pg_close(db->pg);
#endif
    free(db);
}

enum benchdb_backend benchdb_backend(const struct benchdb *db)
{
    return db->backend;
}

const char *benchdb_name(const struct benchdb *db)
{
    return db->name;
}

const char *benchdb_errmsg(const struct benchdb *db)
{
    return db->err;
}

bool benchdb_exec(struct benchdb *db, const char *sql)
{
#ifdef HAVE_LIBPQ
    if (db->pg != NULL) {
        char err[1024];
        if (benchdb_pg_exec(db->pg, sql, err, sizeof err))
            return true;
        set_error(db, err);
        return false;
    }
#endif
    char *msg = NULL;
    if (sqlite3_exec(db->lite, sql, NULL, NULL, &msg) == SQLITE_OK)
        return true;
    set_error(db, msg ? msg : sqlite3_errmsg(db->lite));
    sqlite3_free(msg);
    return false;
}

bool benchdb_begin_write(struct benchdb *db)
{
    return benchdb_exec(db, db->backend == BENCHDB_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN");
}

bool benchdb_commit(struct benchdb *db)
{
    return benchdb_exec(db, "COMMIT");
}

void benchdb_rollback(struct benchdb *db)
{
    char keep[sizeof db->err];
    memcpy(keep, db->err, sizeof keep); /* the error that made us roll back */
    benchdb_exec(db, "ROLLBACK");
    memcpy(db->err, keep, sizeof keep);
}

bool benchdb_table_exists(struct benchdb *db, const char *name)
{
    struct benchdb_stmt *st = benchdb_prepare(
        db, db->backend == BENCHDB_SQLITE
                ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
                : "SELECT count(*) FROM information_schema.tables"
                  " WHERE table_schema = current_schema() AND table_name = ?");
    if (st == NULL)
        return false;
    benchdb_bind_text(st, 1, name);
    const bool exists = benchdb_step(st) == BENCHDB_ROW && benchdb_column_int64(st, 0) > 0;
    benchdb_finalize(st);
    return exists;
}

struct benchdb_stmt *benchdb_prepare(struct benchdb *db, const char *sql)
{
    struct benchdb_stmt *st = calloc(1, sizeof *st);
    if (st == NULL) {
        set_error(db, "out of memory");
        return NULL;
    }
    st->db = db;
#ifdef HAVE_LIBPQ
    if (db->pg != NULL) {
        st->pg = benchdb_pg_prepare(db->pg, sql);
        if (st->pg == NULL) {
            set_error(db, "out of memory preparing a statement");
            free(st);
            return NULL;
        }
        return st;
    }
#endif
    if (sqlite3_prepare_v2(db->lite, sql, -1, &st->lite, NULL) != SQLITE_OK) {
        set_error(db, sqlite3_errmsg(db->lite));
        free(st);
        return NULL;
    }
    return st;
}

void benchdb_bind_text(struct benchdb_stmt *st, int index, const char *value)
{
#ifdef HAVE_LIBPQ
    if (st->pg != NULL) {
        benchdb_pg_bind(st->pg, index, value);
        return;
    }
#endif
    if (value == NULL)
        sqlite3_bind_null(st->lite, index);
    else
        sqlite3_bind_text(st->lite, index, value, -1, SQLITE_TRANSIENT);
}

void benchdb_bind_int64(struct benchdb_stmt *st, int index, long long value)
{
#ifdef HAVE_LIBPQ
    if (st->pg != NULL) {
        char text[32];
        snprintf(text, sizeof text, "%lld", value);
        benchdb_pg_bind(st->pg, index, text);
        return;
    }
#endif
    sqlite3_bind_int64(st->lite, index, value);
}

void benchdb_bind_double(struct benchdb_stmt *st, int index, double value)
{
#ifdef HAVE_LIBPQ
    if (st->pg != NULL) {
        char text[40];
        snprintf(text, sizeof text, "%.17g", value); /* round-trips exactly */
        benchdb_pg_bind(st->pg, index, text);
        return;
    }
#endif
    sqlite3_bind_double(st->lite, index, value);
}

void benchdb_bind_null(struct benchdb_stmt *st, int index)
{
    benchdb_bind_text(st, index, NULL);
}

int benchdb_step(struct benchdb_stmt *st)
{
#ifdef HAVE_LIBPQ
    if (st->pg != NULL) {
        char err[1024];
        const int rc = benchdb_pg_step(st->pg, err, sizeof err);
        if (rc < 0)
            set_error(st->db, err);
        return rc < 0 ? BENCHDB_ERROR : rc > 0 ? BENCHDB_ROW : BENCHDB_DONE;
    }
#endif
    const int rc = sqlite3_step(st->lite);
    if (rc == SQLITE_ROW)
        return BENCHDB_ROW;
    if (rc == SQLITE_DONE)
        return BENCHDB_DONE;
    set_error(st->db, sqlite3_errmsg(st->db->lite));
    return BENCHDB_ERROR;
}

bool benchdb_column_is_null(struct benchdb_stmt *st, int col)
{
#ifdef HAVE_LIBPQ
    if (st->pg != NULL)
        return benchdb_pg_column(st->pg, col) == NULL;
#endif
    return sqlite3_column_type(st->lite, col) == SQLITE_NULL;
}

const char *benchdb_column_text(struct benchdb_stmt *st, int col)
{
#ifdef HAVE_LIBPQ
    if (st->pg != NULL)
        return benchdb_pg_column(st->pg, col);
#endif
    return (const char *) sqlite3_column_text(st->lite, col);
}

long long benchdb_column_int64(struct benchdb_stmt *st, int col)
{
#ifdef HAVE_LIBPQ
    if (st->pg != NULL) {
        const char *v = benchdb_pg_column(st->pg, col);
        return v ? strtoll(v, NULL, 10) : 0;
    }
#endif
    return sqlite3_column_int64(st->lite, col);
}

double benchdb_column_double(struct benchdb_stmt *st, int col)
{
#ifdef HAVE_LIBPQ
    if (st->pg != NULL) {
        const char *v = benchdb_pg_column(st->pg, col);
        return v ? strtod(v, NULL) : 0.0;
    }
#endif
    return sqlite3_column_double(st->lite, col);
}

void benchdb_reset(struct benchdb_stmt *st)
{
#ifdef HAVE_LIBPQ
    if (st->pg != NULL) {
        benchdb_pg_reset(st->pg);
        return;
    }
#endif
    sqlite3_reset(st->lite);
}

void benchdb_finalize(struct benchdb_stmt *st)
{
    if (st == NULL)
        return;
#ifdef HAVE_LIBPQ
    benchdb_pg_finalize(st->pg);
#endif
    sqlite3_finalize(st->lite);
    free(st);
}
