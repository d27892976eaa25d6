#include "config.h"

#include "io/pickle.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "io/dtype.h"

struct unpickler {
    struct pickle_arena *arena;
    const uint8_t *start, *p, *end;
    const char *what;
    upernet_error *err;
    struct pickle_object **stack;
    size_t sp, stack_cap;
    size_t marks[PICKLE_MAX_DEPTH];
    size_t n_marks;
    struct pickle_object **memo;
    size_t memo_cap, memo_count;
    size_t opcode_offset; /* of the opcode being run, for messages */
};

__attribute__((format(printf, 3, 4)))
static enum upernet_status fail(struct unpickler *u, enum upernet_status status, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return upernet_fail(u->err, status, "%s: pickle byte %zu: %s", u->what, u->opcode_offset, msg);
}

static enum upernet_status account(struct unpickler *u, size_t bytes)
{
    if (bytes > PICKLE_MAX_TOTAL - u->arena->total_bytes)
        return fail(u, UPERNET_ERR_LIMIT, "the pickle would need more than %zu bytes of memory",
                    (size_t) PICKLE_MAX_TOTAL);
    u->arena->total_bytes += bytes;
    return UPERNET_OK;
}

static struct pickle_object *new_object(struct unpickler *u, enum pickle_kind kind)
{
    if (account(u, sizeof(struct pickle_object)) != UPERNET_OK)
        return NULL;
    struct pickle_object *o = upernet_calloc(1, sizeof *o);
    if (o == NULL) {
        fail(u, UPERNET_ERR_NOMEM, "out of memory");
        return NULL;
    }
    o->kind = kind;
    o->next_allocated = u->arena->objects;
    u->arena->objects = o;
    return o;
}

void pickle_arena_free(struct pickle_arena *arena)
{
    struct pickle_object *o = arena->objects;
    while (o != NULL) {
        struct pickle_object *next = o->next_allocated;
        switch (o->kind) {
        case PICKLE_STRING:
        case PICKLE_BYTES: free(o->u.str.data); break;
        case PICKLE_TUPLE:
        case PICKLE_LIST:
        case PICKLE_DICT:
        case PICKLE_SET: free(o->u.seq.items); break;
        case PICKLE_GLOBAL:
        case PICKLE_OPAQUE:
            free(o->u.global.module);
            free(o->u.global.name);
            break;
        case PICKLE_STORAGE: free(o->u.storage.key); break;
        default: break;
        }
        free(o);
        o = next;
    }
    free(arena->storages);
    memset(arena, 0, sizeof *arena);
}

/* ------------------------------------------------------------- input */

static enum upernet_status need(struct unpickler *u, size_t n)
{
    if ((size_t) (u->end - u->p) < n)
        return fail(u, UPERNET_ERR_FORMAT, "truncated (needs %zu more bytes, %zu left)", n,
                    (size_t) (u->end - u->p));
    return UPERNET_OK;
}

static uint64_t take_le(struct unpickler *u, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t) u->p[i] << (8 * i);
    u->p += n;
    return v;
}

/* A newline-terminated argument of a text-mode opcode (without the newline). */
static enum upernet_status take_line(struct unpickler *u, const char **line, size_t *len)
{
    const size_t left = (size_t) (u->end - u->p);
    const size_t scan = left < PICKLE_MAX_LINE ? left : PICKLE_MAX_LINE;
    const uint8_t *nl = memchr(u->p, '\n', scan);
    if (nl == NULL)
        return left > PICKLE_MAX_LINE ? fail(u, UPERNET_ERR_LIMIT, "text argument longer than %zu bytes",
                                             (size_t) PICKLE_MAX_LINE)
                                      : fail(u, UPERNET_ERR_FORMAT, "truncated text argument");
    *line = (const char *) u->p;
    *len = (size_t) (nl - u->p);
    u->p = nl + 1;
    return UPERNET_OK;
}

static char *copy_bytes(struct unpickler *u, const void *src, size_t len)
{
    if (account(u, len + 1) != UPERNET_OK)
        return NULL;
    char *s = upernet_malloc(len + 1);
    if (s == NULL) {
        fail(u, UPERNET_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (len)
        memcpy(s, src, len);
    s[len] = '\0';
    return s;
}

/* ------------------------------------------------------------- stack */

static enum upernet_status push(struct unpickler *u, struct pickle_object *o)
{
    if (o == NULL)
        return u->err != NULL && u->err->status != UPERNET_OK ? u->err->status : UPERNET_ERR_NOMEM;
    if (u->sp == u->stack_cap) {
        if (u->stack_cap >= PICKLE_MAX_STACK)
            return fail(u, UPERNET_ERR_LIMIT, "more than %zu values on the stack", (size_t) PICKLE_MAX_STACK);
        const size_t cap = u->stack_cap ? 2 * u->stack_cap : 256;
        struct pickle_object **s = upernet_realloc(u->stack, cap * sizeof *s);
        if (s == NULL)
            return fail(u, UPERNET_ERR_NOMEM, "out of memory");
        u->stack = s;
        u->stack_cap = cap;
    }
    u->stack[u->sp++] = o;
    return UPERNET_OK;
}

static size_t stack_floor(const struct unpickler *u)
{
    return u->n_marks ? u->marks[u->n_marks - 1] : 0;
}

static enum upernet_status pop(struct unpickler *u, struct pickle_object **o)
{
    if (u->sp <= stack_floor(u))
        return fail(u, UPERNET_ERR_FORMAT, "stack underflow");
    *o = u->stack[--u->sp];
    return UPERNET_OK;
}

static enum upernet_status top(struct unpickler *u, struct pickle_object **o)
{
    if (u->sp <= stack_floor(u))
        return fail(u, UPERNET_ERR_FORMAT, "stack underflow");
    *o = u->stack[u->sp - 1];
    return UPERNET_OK;
}

/* Pops the topmost mark; the values above it are stack[*first .. sp). */
static enum upernet_status pop_mark(struct unpickler *u, size_t *first)
{
    if (u->n_marks == 0)
        return fail(u, UPERNET_ERR_FORMAT, "no MARK on the stack");
    *first = u->marks[--u->n_marks];
    return UPERNET_OK;
}

/* ---------------------------------------------------------- containers */

static enum upernet_status seq_append(struct unpickler *u, struct pickle_object *c, struct pickle_object *item)
{
    if (c->u.seq.len == c->u.seq.cap) {
        if (c->u.seq.cap >= PICKLE_MAX_ELEMENTS)
            return fail(u, UPERNET_ERR_LIMIT, "a container with more than %zu elements",
                        (size_t) PICKLE_MAX_ELEMENTS);
        const size_t cap = c->u.seq.cap ? 2 * c->u.seq.cap : 4;
        enum upernet_status st = account(u, (cap - c->u.seq.cap) * sizeof(struct pickle_object *));
        if (st != UPERNET_OK)
            return st;
        struct pickle_object **items = upernet_realloc(c->u.seq.items, cap * sizeof *items);
        if (items == NULL)
            return fail(u, UPERNET_ERR_NOMEM, "out of memory");
        c->u.seq.items = items;
        c->u.seq.cap = cap;
    }
    c->u.seq.items[c->u.seq.len++] = item;
    if (item->depth + 1 > c->depth)
        c->depth = item->depth + 1;
    if (c->depth > PICKLE_MAX_DEPTH)
        return fail(u, UPERNET_ERR_LIMIT, "containers nested deeper than %d levels", PICKLE_MAX_DEPTH);
    return UPERNET_OK;
}

/* A new container of `kind` holding stack[first .. sp), which are popped. */
static enum upernet_status collect(struct unpickler *u, enum pickle_kind kind, size_t first)
{
    struct pickle_object *c = new_object(u, kind);
    if (c == NULL)
        return u->err->status;
    for (size_t i = first; i < u->sp; i++) {
        enum upernet_status st = seq_append(u, c, u->stack[i]);
        if (st != UPERNET_OK)
            return st;
    }
    u->sp = first;
    return push(u, c);
}

/* Adds stack[first .. sp) to `target` (a list/set: items; a dict: pairs), or
 * drops them when the target is a placeholder object. */
static enum upernet_status extend(struct unpickler *u, struct pickle_object *target, size_t first,
                                  enum pickle_kind want, const char *opname)
{
    if (target->kind == PICKLE_OPAQUE) {
        u->sp = first;
        return UPERNET_OK;
    }
    if (target->kind != want)
        return fail(u, UPERNET_ERR_FORMAT, "%s on something that is not a %s", opname,
                    want == PICKLE_DICT ? "dict" : want == PICKLE_SET ? "set" : "list");
    if (want == PICKLE_DICT && (u->sp - first) % 2 != 0)
        return fail(u, UPERNET_ERR_FORMAT, "%s with an odd number of values", opname);
    for (size_t i = first; i < u->sp; i++) {
        enum upernet_status st = seq_append(u, target, u->stack[i]);
        if (st != UPERNET_OK)
            return st;
    }
    u->sp = first;
    return UPERNET_OK;
}

/* ------------------------------------------------------------- values */

static struct pickle_object *make_int(struct unpickler *u, int64_t v)
{
    struct pickle_object *o = new_object(u, PICKLE_INT);
    if (o != NULL)
        o->u.i = v;
    return o;
}

static struct pickle_object *make_opaque(struct unpickler *u, const char *module, const char *name)
{
    struct pickle_object *o = new_object(u, PICKLE_OPAQUE);
    if (o == NULL)
        return NULL;
    if (module != NULL && (o->u.global.module = copy_bytes(u, module, strlen(module))) == NULL)
        return NULL;
    if (name != NULL && (o->u.global.name = copy_bytes(u, name, strlen(name))) == NULL)
        return NULL;
    return o;
}

static struct pickle_object *make_string(struct unpickler *u, enum pickle_kind kind, size_t len)
{
    if (len > PICKLE_MAX_STRING) {
        fail(u, UPERNET_ERR_LIMIT, "a string of %zu bytes (at most %zu)", len, (size_t) PICKLE_MAX_STRING);
        return NULL;
    }
    if (need(u, len) != UPERNET_OK)
        return NULL;
    struct pickle_object *o = new_object(u, kind);
    if (o == NULL)
        return NULL;
    if ((o->u.str.data = copy_bytes(u, u->p, len)) == NULL)
        return NULL;
    o->u.str.len = len;
    u->p += len;
    return o;
}

/* Little-endian two's complement of n bytes: an INT when it fits int64,
 * otherwise a placeholder (only the legacy format's magic number is that big). */
static struct pickle_object *make_long(struct unpickler *u, size_t n)
{
    if (need(u, n) != UPERNET_OK)
        return NULL;
    if (n > 8) {
        u->p += n;
        return make_opaque(u, "builtins", "int");
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t) u->p[i] << (8 * i);
    if (n > 0 && n < 8 && (u->p[n - 1] & 0x80))
        v |= ~(uint64_t) 0 << (8 * n); /* sign-extend */
    u->p += n;
    return make_int(u, (int64_t) v);
}

/* Parses a decimal line (INT / LONG / memo indices) into *v. */
static int parse_decimal(const char *line, size_t len, int64_t *v)
{
    char buf[32];
    if (len > 0 && line[len - 1] == 'L')
        len--; /* LONG's protocol-0 suffix */
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, line, len);
    buf[len] = '\0';
    char *endp;
    errno = 0;
    long long x = strtoll(buf, &endp, 10);
    if (errno != 0 || *endp != '\0')
        return -1;
    *v = x;
    return 0;
}

static int symbol_is(const struct pickle_object *g, const char *module, const char *name)
{
    return g->kind == PICKLE_GLOBAL && strcmp(g->u.global.module, module) == 0 &&
           strcmp(g->u.global.name, name) == 0;
}

/* ---------------------------------------------------------- torch parts */

static int is_int_tuple(const struct pickle_object *o, size_t max_len)
{
    if (o->kind != PICKLE_TUPLE || o->u.seq.len > max_len)
        return 0;
    for (size_t i = 0; i < o->u.seq.len; i++)
        if (o->u.seq.items[i]->kind != PICKLE_INT || o->u.seq.items[i]->u.i < 0)
            return 0;
    return 1;
}

/* torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...) */
static struct pickle_object *make_tensor(struct unpickler *u, const struct pickle_object *args)
{
    if (args->kind != PICKLE_TUPLE || args->u.seq.len < 4) {
        fail(u, UPERNET_ERR_FORMAT, "_rebuild_tensor_v2 called without (storage, offset, size, stride)");
        return NULL;
    }
    struct pickle_object *const *a = args->u.seq.items;
    if (a[0]->kind != PICKLE_STORAGE) {
        fail(u, UPERNET_ERR_FORMAT, "_rebuild_tensor_v2: the first argument is not a storage");
        return NULL;
    }
    if (a[1]->kind != PICKLE_INT || a[1]->u.i < 0) {
        fail(u, UPERNET_ERR_FORMAT, "_rebuild_tensor_v2: invalid storage offset");
        return NULL;
    }
    if (!is_int_tuple(a[2], UPERNET_MAX_DIMS) || !is_int_tuple(a[3], UPERNET_MAX_DIMS) ||
        a[2]->u.seq.len != a[3]->u.seq.len) {
        fail(u, UPERNET_ERR_FORMAT,
             "_rebuild_tensor_v2: size and stride must be tuples of non-negative ints of one length <= %d",
             UPERNET_MAX_DIMS);
        return NULL;
    }
    struct pickle_object *t = new_object(u, PICKLE_TENSOR);
    if (t == NULL)
        return NULL;
    t->u.tensor.storage = a[0];
    t->u.tensor.offset = a[1]->u.i;
    t->u.tensor.ndim = (int) a[2]->u.seq.len;
    for (int d = 0; d < t->u.tensor.ndim; d++) {
        t->u.tensor.shape[d] = a[2]->u.seq.items[d]->u.i;
        t->u.tensor.stride[d] = a[3]->u.seq.items[d]->u.i;
    }
    return t;
}

/* BINPERSID: ('storage', torch.XxxStorage, key, location, numel[, view_metadata]) */
static struct pickle_object *make_storage(struct unpickler *u, const struct pickle_object *pid)
{
    if (pid->kind != PICKLE_TUPLE || pid->u.seq.len < 5 || pid->u.seq.len > 6 ||
        pid->u.seq.items[0]->kind != PICKLE_STRING || strcmp(pid->u.seq.items[0]->u.str.data, "storage") != 0) {
        fail(u, UPERNET_ERR_FORMAT, "persistent id is not ('storage', type, key, location, numel)");
        return NULL;
    }
    struct pickle_object *const *a = pid->u.seq.items;
    const struct pickle_object *type = a[1];
    int dtype = -1;
    if (type->kind == PICKLE_GLOBAL && strcmp(type->u.global.module, "torch") == 0)
        dtype = upernet_dtype_from_torch_storage(type->u.global.name);
    if (dtype < 0) {
        fail(u, UPERNET_ERR_UNSUPPORTED, "unsupported storage type %s.%s",
             type->kind == PICKLE_GLOBAL ? type->u.global.module : "?",
             type->kind == PICKLE_GLOBAL ? type->u.global.name : "?");
        return NULL;
    }
    char keybuf[32];
    const char *key;
    size_t key_len;
    if (a[2]->kind == PICKLE_STRING) {
        key = a[2]->u.str.data;
        key_len = a[2]->u.str.len;
    } else if (a[2]->kind == PICKLE_INT) {
        key_len = (size_t) snprintf(keybuf, sizeof keybuf, "%lld", (long long) a[2]->u.i);
        key = keybuf;
    } else {
        fail(u, UPERNET_ERR_FORMAT, "storage key is not a string");
        return NULL;
    }
    if (strlen(key) != key_len) {
        fail(u, UPERNET_ERR_FORMAT, "storage key contains a NUL byte");
        return NULL;
    }
    if (a[4]->kind != PICKLE_INT || a[4]->u.i < 0) {
        fail(u, UPERNET_ERR_FORMAT, "storage '%s': invalid element count", key);
        return NULL;
    }
    struct pickle_object *s = new_object(u, PICKLE_STORAGE);
    if (s == NULL || (s->u.storage.key = copy_bytes(u, key, key_len)) == NULL)
        return NULL;
    s->u.storage.dtype = (enum upernet_dtype) dtype;
    s->u.storage.numel = (uint64_t) a[4]->u.i;
    s->u.storage.view_offset = 0;
    s->u.storage.view_numel = s->u.storage.numel;
    if (pid->u.seq.len == 6 && a[5]->kind != PICKLE_NONE) {
        const struct pickle_object *v = a[5];
        if (v->kind != PICKLE_TUPLE || v->u.seq.len != 3 || v->u.seq.items[1]->kind != PICKLE_INT ||
            v->u.seq.items[2]->kind != PICKLE_INT || v->u.seq.items[1]->u.i < 0 || v->u.seq.items[2]->u.i < 0) {
            fail(u, UPERNET_ERR_FORMAT, "storage '%s': invalid view metadata", key);
            return NULL;
        }
        const uint64_t off = (uint64_t) v->u.seq.items[1]->u.i, n = (uint64_t) v->u.seq.items[2]->u.i;
        if (off > s->u.storage.numel || n > s->u.storage.numel - off) {
            fail(u, UPERNET_ERR_FORMAT, "storage '%s': view [%llu, +%llu) outside its %llu elements", key,
                 (unsigned long long) off, (unsigned long long) n, (unsigned long long) s->u.storage.numel);
            return NULL;
        }
        s->u.storage.view_offset = off;
        s->u.storage.view_numel = n;
    }
    struct pickle_arena *ar = u->arena;
    if (ar->n_storages == ar->storages_cap) {
        const size_t cap = ar->storages_cap ? 2 * ar->storages_cap : 64;
        if (account(u, (cap - ar->storages_cap) * sizeof(void *)) != UPERNET_OK)
            return NULL;
        struct pickle_object **list = upernet_realloc(ar->storages, cap * sizeof *list);
        if (list == NULL) {
            fail(u, UPERNET_ERR_NOMEM, "out of memory");
            return NULL;
        }
        ar->storages = list;
        ar->storages_cap = cap;
    }
    ar->storages[ar->n_storages++] = s;
    return s;
}

/* REDUCE: what calling `callable(*args)` stands for, without calling anything. */
static struct pickle_object *reduce(struct unpickler *u, struct pickle_object *callable, struct pickle_object *args)
{
    if (callable->kind != PICKLE_GLOBAL)
        return make_opaque(u, NULL, NULL);
    if (symbol_is(callable, "collections", "OrderedDict"))
        return new_object(u, PICKLE_DICT);
    if (symbol_is(callable, "torch._utils", "_rebuild_tensor_v2") ||
        symbol_is(callable, "torch._utils", "_rebuild_tensor"))
        return make_tensor(u, args);
    if (symbol_is(callable, "torch._utils", "_rebuild_parameter") ||
        symbol_is(callable, "torch._utils", "_rebuild_parameter_with_state") ||
        symbol_is(callable, "torch", "Size")) {
        const enum pickle_kind want = symbol_is(callable, "torch", "Size") ? PICKLE_TUPLE : PICKLE_TENSOR;
        if (args->kind != PICKLE_TUPLE || args->u.seq.len < 1 || args->u.seq.items[0]->kind != want) {
            fail(u, UPERNET_ERR_FORMAT, "%s.%s called with unexpected arguments", callable->u.global.module,
                 callable->u.global.name);
            return NULL;
        }
        return args->u.seq.items[0];
    }
    return make_opaque(u, callable->u.global.module, callable->u.global.name);
}

/* ---------------------------------------------------------------- memo */

static enum upernet_status memo_put(struct unpickler *u, uint64_t index)
{
    struct pickle_object *o = NULL;
    enum upernet_status st = top(u, &o);
    if (st != UPERNET_OK)
        return st;
    if (index >= PICKLE_MAX_MEMO)
        return fail(u, UPERNET_ERR_LIMIT, "memo index %llu (at most %zu)", (unsigned long long) index,
                    (size_t) PICKLE_MAX_MEMO - 1);
    if (index >= u->memo_cap) {
        size_t cap = u->memo_cap ? u->memo_cap : 64;
        while (cap <= index)
            cap *= 2;
        if ((st = account(u, (cap - u->memo_cap) * sizeof(void *))) != UPERNET_OK)
            return st;
        struct pickle_object **m = upernet_realloc(u->memo, cap * sizeof *m);
        if (m == NULL)
            return fail(u, UPERNET_ERR_NOMEM, "out of memory");
        memset(m + u->memo_cap, 0, (cap - u->memo_cap) * sizeof *m);
        u->memo = m;
        u->memo_cap = cap;
    }
    if (u->memo[index] == NULL)
        u->memo_count++;
    u->memo[index] = o;
    return UPERNET_OK;
}

static enum upernet_status memo_get(struct unpickler *u, uint64_t index)
{
    if (index >= u->memo_cap || u->memo[index] == NULL)
        return fail(u, UPERNET_ERR_FORMAT, "memo entry %llu was never stored", (unsigned long long) index);
    return push(u, u->memo[index]);
}

/* ---------------------------------------------------------------- run */

static enum upernet_status run(struct unpickler *u, struct pickle_object **result)
{
    enum upernet_status st = UPERNET_OK;
    for (;;) {
        u->opcode_offset = (size_t) (u->p - u->start);
        if ((st = need(u, 1)) != UPERNET_OK)
            return st;
        const uint8_t op = *u->p++;
        struct pickle_object *a = NULL, *b = NULL, *c = NULL;
        const char *line = NULL, *line2 = NULL;
        size_t len = 0, len2 = 0, first = 0;
        int64_t v;
        switch (op) {
        /* framing and control */
        case 0x80: /* PROTO */
            if ((st = need(u, 1)) != UPERNET_OK)
                return st;
            if (*u->p > 5)
                return fail(u, UPERNET_ERR_UNSUPPORTED, "pickle protocol %u (at most 5)", *u->p);
            u->p++;
            break;
        case 0x95: /* FRAME: a length hint only */
            if ((st = need(u, 8)) != UPERNET_OK)
                return st;
            u->p += 8;
            break;
        case '.': /* STOP */
            return pop(u, result);
        case '(': /* MARK */
            if (u->n_marks >= PICKLE_MAX_DEPTH)
                return fail(u, UPERNET_ERR_LIMIT, "MARKs nested deeper than %d", PICKLE_MAX_DEPTH);
            u->marks[u->n_marks++] = u->sp;
            break;
        case '0': /* POP */
            if (u->sp == stack_floor(u) && u->n_marks > 0)
                u->n_marks--; /* popping a mark, as CPython does */
            else if ((st = pop(u, &a)) != UPERNET_OK)
                return st;
            break;
        case '1': /* POP_MARK */
            if ((st = pop_mark(u, &first)) != UPERNET_OK)
                return st;
            u->sp = first;
            break;
        case '2': /* DUP */
            if ((st = top(u, &a)) != UPERNET_OK || (st = push(u, a)) != UPERNET_OK)
                return st;
            break;

        /* memo */
        case 'p': /* PUT */
            if ((st = take_line(u, &line, &len)) != UPERNET_OK)
                return st;
            if (parse_decimal(line, len, &v) != 0 || v < 0)
                return fail(u, UPERNET_ERR_FORMAT, "invalid PUT index");
            if ((st = memo_put(u, (uint64_t) v)) != UPERNET_OK)
                return st;
            break;
        case 'q': /* BINPUT */
            if ((st = need(u, 1)) != UPERNET_OK || (st = memo_put(u, take_le(u, 1))) != UPERNET_OK)
                return st;
            break;
        case 'r': /* LONG_BINPUT */
            if ((st = need(u, 4)) != UPERNET_OK || (st = memo_put(u, take_le(u, 4))) != UPERNET_OK)
                return st;
            break;
        case 0x94: /* MEMOIZE */
            if ((st = memo_put(u, u->memo_count)) != UPERNET_OK)
                return st;
            break;
        case 'g': /* GET */
            if ((st = take_line(u, &line, &len)) != UPERNET_OK)
                return st;
            if (parse_decimal(line, len, &v) != 0 || v < 0)
                return fail(u, UPERNET_ERR_FORMAT, "invalid GET index");
            if ((st = memo_get(u, (uint64_t) v)) != UPERNET_OK)
                return st;
            break;
        case 'h': /* BINGET */
            if ((st = need(u, 1)) != UPERNET_OK || (st = memo_get(u, take_le(u, 1))) != UPERNET_OK)
                return st;
            break;
        case 'j': /* LONG_BINGET */
            if ((st = need(u, 4)) != UPERNET_OK || (st = memo_get(u, take_le(u, 4))) != UPERNET_OK)
                return st;
            break;

        /* scalars */
        case 'N': /* NONE */
            if ((st = push(u, new_object(u, PICKLE_NONE))) != UPERNET_OK)
                return st;
            break;
        case 0x88: /* NEWTRUE */
        case 0x89: /* NEWFALSE */
            a = new_object(u, PICKLE_BOOL);
            if (a != NULL)
                a->u.i = op == 0x88;
            if ((st = push(u, a)) != UPERNET_OK)
                return st;
            break;
        case 'I': /* INT (protocol 0; "01"/"00" are True/False) */
            if ((st = take_line(u, &line, &len)) != UPERNET_OK)
                return st;
            if (len == 2 && line[0] == '0' && (line[1] == '0' || line[1] == '1')) {
                a = new_object(u, PICKLE_BOOL);
                if (a != NULL)
                    a->u.i = line[1] == '1';
            } else if (parse_decimal(line, len, &v) == 0) {
                a = make_int(u, v);
            } else {
                return fail(u, UPERNET_ERR_FORMAT, "invalid INT argument");
            }
            if ((st = push(u, a)) != UPERNET_OK)
                return st;
            break;
        case 'L': /* LONG (protocol 0) */
            if ((st = take_line(u, &line, &len)) != UPERNET_OK)
                return st;
            a = parse_decimal(line, len, &v) == 0 ? make_int(u, v) : make_opaque(u, "builtins", "int");
            if ((st = push(u, a)) != UPERNET_OK)
                return st;
            break;
        case 'J': /* BININT */
            if ((st = need(u, 4)) != UPERNET_OK)
                return st;
            if ((st = push(u, make_int(u, (int32_t) (uint32_t) take_le(u, 4)))) != UPERNET_OK)
                return st;
            break;
        case 'K': /* BININT1 */
            if ((st = need(u, 1)) != UPERNET_OK || (st = push(u, make_int(u, (int64_t) take_le(u, 1)))) != UPERNET_OK)
                return st;
            break;
        case 'M': /* BININT2 */
            if ((st = need(u, 2)) != UPERNET_OK || (st = push(u, make_int(u, (int64_t) take_le(u, 2)))) != UPERNET_OK)
                return st;
            break;
        case 0x8A: /* LONG1 */
            if ((st = need(u, 1)) != UPERNET_OK || (st = push(u, make_long(u, take_le(u, 1)))) != UPERNET_OK)
                return st;
            break;
        case 0x8B: { /* LONG4 */
            if ((st = need(u, 4)) != UPERNET_OK)
                return st;
            const int32_t n = (int32_t) (uint32_t) take_le(u, 4);
            if (n < 0)
                return fail(u, UPERNET_ERR_FORMAT, "negative LONG4 length");
            if ((st = push(u, make_long(u, (size_t) n))) != UPERNET_OK)
                return st;
            break;
        }
        case 'F': { /* FLOAT (text) */
            if ((st = take_line(u, &line, &len)) != UPERNET_OK)
                return st;
            char buf[64];
            if (len == 0 || len >= sizeof buf)
                return fail(u, UPERNET_ERR_FORMAT, "invalid FLOAT argument");
            memcpy(buf, line, len);
            buf[len] = '\0';
            char *endp;
            const double d = strtod(buf, &endp);
            if (*endp != '\0')
                return fail(u, UPERNET_ERR_FORMAT, "invalid FLOAT argument");
            a = new_object(u, PICKLE_FLOAT);
            if (a != NULL)
                a->u.f = d;
            if ((st = push(u, a)) != UPERNET_OK)
                return st;
            break;
        }
        case 'G': { /* BINFLOAT, big-endian */
            if ((st = need(u, 8)) != UPERNET_OK)
                return st;
            uint64_t bits = 0;
            for (int i = 0; i < 8; i++)
                bits = (bits << 8) | *u->p++;
            a = new_object(u, PICKLE_FLOAT);
            if (a != NULL)
                memcpy(&a->u.f, &bits, sizeof a->u.f);
            if ((st = push(u, a)) != UPERNET_OK)
                return st;
            break;
        }

        /* strings and bytes */
        case 'S': /* STRING: a quoted repr; kept without its quotes, escapes not decoded */
        case 'V': /* UNICODE: raw-unicode-escape, kept as is */
            if ((st = take_line(u, &line, &len)) != UPERNET_OK)
                return st;
            if (op == 'S' && len >= 2 && (line[0] == '\'' || line[0] == '"') && line[len - 1] == line[0]) {
                line++;
                len -= 2;
            }
            a = new_object(u, PICKLE_STRING);
            if (a != NULL && (a->u.str.data = copy_bytes(u, line, len)) == NULL)
                a = NULL;
            if (a != NULL)
                a->u.str.len = len;
            if ((st = push(u, a)) != UPERNET_OK)
                return st;
            break;
        case 'T': /* BINSTRING */
        case 'X': /* BINUNICODE */
        case 'B': { /* BINBYTES */
            if ((st = need(u, 4)) != UPERNET_OK)
                return st;
            const uint32_t n = (uint32_t) take_le(u, 4);
            if (op == 'T' && (int32_t) n < 0)
                return fail(u, UPERNET_ERR_FORMAT, "negative BINSTRING length");
            if ((st = push(u, make_string(u, op == 'B' ? PICKLE_BYTES : PICKLE_STRING, n))) != UPERNET_OK)
                return st;
            break;
        }
        case 'U':  /* SHORT_BINSTRING */
        case 0x8C: /* SHORT_BINUNICODE */
        case 'C':  /* SHORT_BINBYTES */
            if ((st = need(u, 1)) != UPERNET_OK)
                return st;
            if ((st = push(u, make_string(u, op == 'C' ? PICKLE_BYTES : PICKLE_STRING, take_le(u, 1)))) != UPERNET_OK)
                return st;
            break;
        case 0x8D: /* BINUNICODE8 */
        case 0x8E: /* BINBYTES8 */
        case 0x96: { /* BYTEARRAY8 */
            if ((st = need(u, 8)) != UPERNET_OK)
                return st;
            const uint64_t n = take_le(u, 8);
            if (n > PICKLE_MAX_STRING)
                return fail(u, UPERNET_ERR_LIMIT, "a string of %llu bytes (at most %zu)", (unsigned long long) n,
                            (size_t) PICKLE_MAX_STRING);
            if ((st = push(u, make_string(u, op == 0x8D ? PICKLE_STRING : PICKLE_BYTES, (size_t) n))) != UPERNET_OK)
                return st;
            break;
        }

        /* containers */
        case ')': /* EMPTY_TUPLE */
            if ((st = push(u, new_object(u, PICKLE_TUPLE))) != UPERNET_OK)
                return st;
            break;
        case 't': /* TUPLE */
            if ((st = pop_mark(u, &first)) != UPERNET_OK || (st = collect(u, PICKLE_TUPLE, first)) != UPERNET_OK)
                return st;
            break;
        case 0x85: /* TUPLE1 */
        case 0x86: /* TUPLE2 */
        case 0x87: { /* TUPLE3 */
            const size_t n = (size_t) (op - 0x84);
            if (u->sp < stack_floor(u) + n)
                return fail(u, UPERNET_ERR_FORMAT, "stack underflow");
            if ((st = collect(u, PICKLE_TUPLE, u->sp - n)) != UPERNET_OK)
                return st;
            break;
        }
        case ']': /* EMPTY_LIST */
            if ((st = push(u, new_object(u, PICKLE_LIST))) != UPERNET_OK)
                return st;
            break;
        case 'l': /* LIST */
            if ((st = pop_mark(u, &first)) != UPERNET_OK || (st = collect(u, PICKLE_LIST, first)) != UPERNET_OK)
                return st;
            break;
        case '}': /* EMPTY_DICT */
            if ((st = push(u, new_object(u, PICKLE_DICT))) != UPERNET_OK)
                return st;
            break;
        case 'd': /* DICT */
            if ((st = pop_mark(u, &first)) != UPERNET_OK)
                return st;
            if ((u->sp - first) % 2 != 0)
                return fail(u, UPERNET_ERR_FORMAT, "DICT with an odd number of values");
            if ((st = collect(u, PICKLE_DICT, first)) != UPERNET_OK)
                return st;
            break;
        case 0x8F: /* EMPTY_SET */
            if ((st = push(u, new_object(u, PICKLE_SET))) != UPERNET_OK)
                return st;
            break;
        case 0x91: /* FROZENSET */
            if ((st = pop_mark(u, &first)) != UPERNET_OK || (st = collect(u, PICKLE_SET, first)) != UPERNET_OK)
                return st;
            break;
        case 'a': /* APPEND */
            if ((st = pop(u, &a)) != UPERNET_OK || (st = top(u, &b)) != UPERNET_OK)
                return st;
            if ((st = push(u, a)) != UPERNET_OK || (st = extend(u, b, u->sp - 1, PICKLE_LIST, "APPEND")) != UPERNET_OK)
                return st;
            break;
        case 's': /* SETITEM */
            if (u->sp < stack_floor(u) + 3)
                return fail(u, UPERNET_ERR_FORMAT, "stack underflow");
            if ((st = extend(u, u->stack[u->sp - 3], u->sp - 2, PICKLE_DICT, "SETITEM")) != UPERNET_OK)
                return st;
            break;
        case 'e':  /* APPENDS */
        case 'u':  /* SETITEMS */
        case 0x90: { /* ADDITEMS */
            if ((st = pop_mark(u, &first)) != UPERNET_OK)
                return st;
            if (first == 0 || first <= stack_floor(u))
                return fail(u, UPERNET_ERR_FORMAT, "stack underflow");
            const enum pickle_kind want = op == 'e' ? PICKLE_LIST : op == 'u' ? PICKLE_DICT : PICKLE_SET;
            if ((st = extend(u, u->stack[first - 1], first, want,
                             op == 'e' ? "APPENDS" : op == 'u' ? "SETITEMS" : "ADDITEMS")) != UPERNET_OK)
                return st;
            break;
        }

        /* objects: symbols and placeholders, nothing is ever called */
        case 'c': /* GLOBAL */
        case 'i': /* INST */
            if ((st = take_line(u, &line, &len)) != UPERNET_OK || (st = take_line(u, &line2, &len2)) != UPERNET_OK)
                return st;
            a = new_object(u, op == 'c' ? PICKLE_GLOBAL : PICKLE_OPAQUE);
            if (a != NULL && ((a->u.global.module = copy_bytes(u, line, len)) == NULL ||
                              (a->u.global.name = copy_bytes(u, line2, len2)) == NULL))
                a = NULL;
            if (op == 'i') {
                if ((st = pop_mark(u, &first)) != UPERNET_OK)
                    return st;
                u->sp = first;
            }
            if ((st = push(u, a)) != UPERNET_OK)
                return st;
            break;
        case 0x93: /* STACK_GLOBAL */
            if ((st = pop(u, &b)) != UPERNET_OK || (st = pop(u, &a)) != UPERNET_OK)
                return st;
            if (a->kind != PICKLE_STRING || b->kind != PICKLE_STRING)
                return fail(u, UPERNET_ERR_FORMAT, "STACK_GLOBAL needs two strings");
            c = new_object(u, PICKLE_GLOBAL);
            if (c != NULL && ((c->u.global.module = copy_bytes(u, a->u.str.data, a->u.str.len)) == NULL ||
                              (c->u.global.name = copy_bytes(u, b->u.str.data, b->u.str.len)) == NULL))
                c = NULL;
            if ((st = push(u, c)) != UPERNET_OK)
                return st;
            break;
        case 'R': /* REDUCE */
            if ((st = pop(u, &b)) != UPERNET_OK || (st = pop(u, &a)) != UPERNET_OK)
                return st;
            if ((st = push(u, reduce(u, a, b))) != UPERNET_OK)
                return st;
            break;
        case 'b': /* BUILD: the state is dropped */
            if ((st = pop(u, &a)) != UPERNET_OK || (st = top(u, &b)) != UPERNET_OK)
                return st;
            break;
        case 0x81: /* NEWOBJ */
        case 0x92: /* NEWOBJ_EX */
            if (op == 0x92 && (st = pop(u, &c)) != UPERNET_OK)
                return st;
            if ((st = pop(u, &b)) != UPERNET_OK || (st = pop(u, &a)) != UPERNET_OK)
                return st;
            if ((st = push(u, a->kind == PICKLE_GLOBAL ? make_opaque(u, a->u.global.module, a->u.global.name)
                                                       : make_opaque(u, NULL, NULL))) != UPERNET_OK)
                return st;
            break;
        case 'o': /* OBJ */
            if ((st = pop_mark(u, &first)) != UPERNET_OK)
                return st;
            if (first == u->sp)
                return fail(u, UPERNET_ERR_FORMAT, "OBJ without a class");
            u->sp = first;
            if ((st = push(u, make_opaque(u, NULL, NULL))) != UPERNET_OK)
                return st;
            break;
        case 0x82: /* EXT1 */
        case 0x83: /* EXT2 */
        case 0x84: { /* EXT4 */
            const size_t n = op == 0x82 ? 1 : op == 0x83 ? 2 : 4;
            if ((st = need(u, n)) != UPERNET_OK)
                return st;
            u->p += n;
            if ((st = push(u, make_opaque(u, NULL, NULL))) != UPERNET_OK)
                return st;
            break;
        }

        /* persistent ids */
        case 'Q': /* BINPERSID */
            if ((st = pop(u, &a)) != UPERNET_OK || (st = push(u, make_storage(u, a))) != UPERNET_OK)
                return st;
            break;
        case 'P': /* PERSID */
            return fail(u, UPERNET_ERR_UNSUPPORTED, "text persistent ids (PERSID) are not used by torch");
        case 0x97: /* NEXT_BUFFER */
        case 0x98: /* READONLY_BUFFER */
            return fail(u, UPERNET_ERR_UNSUPPORTED, "out-of-band buffers are not supported");
        default:
            return fail(u, UPERNET_ERR_FORMAT, "unknown opcode 0x%02x", op);
        }
    }
}

enum upernet_status pickle_load(struct pickle_arena *arena, const uint8_t *data, size_t size, const char *what,
                                struct pickle_object **root, size_t *consumed, upernet_error *err)
{
    upernet_error local;
    struct unpickler u = {
        .arena = arena, .start = data, .p = data, .end = data + size, .what = what,
        .err = err != NULL ? err : &local,
    };
    u.err->status = UPERNET_OK;
    *root = NULL;
    enum upernet_status st = run(&u, root);
    if (st == UPERNET_OK && consumed != NULL)
        *consumed = (size_t) (u.p - u.start);
    if (st != UPERNET_OK)
        *root = NULL;
    free(u.stack);
    free(u.memo);
    return st;
}

struct pickle_object *pickle_dict_get(const struct pickle_object *dict, const char *key)
{
    if (dict == NULL || dict->kind != PICKLE_DICT)
        return NULL;
    struct pickle_object *found = NULL;
    for (size_t i = 0; i + 1 < dict->u.seq.len; i += 2) {
        const struct pickle_object *k = dict->u.seq.items[i];
        if (k->kind == PICKLE_STRING && strcmp(k->u.str.data, key) == 0)
            found = dict->u.seq.items[i + 1];
    }
    return found;
}
