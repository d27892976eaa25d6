/* A restricted unpickler: a stack machine over the pickle opcodes of
 * protocols 0-5 that builds only inert data (None, bools, ints, floats,
 * strings, bytes, tuples, lists, dicts, sets), torch storages (from
 * persistent ids) and tensor views (from torch._utils._rebuild_tensor_v2).
 * It never imports or calls anything: every other global, and whatever
 * REDUCE / NEWOBJ / BUILD would make of it, becomes an opaque placeholder.
 * Hard limits below keep hostile input from exhausting memory or stack.
 * docs/SPECIFICATION.md §6.3. */
#ifndef UPERNET_IO_PICKLE_H
#define UPERNET_IO_PICKLE_H

#include <stddef.h>
#include <stdint.h>

#include "upernet.h"

/* Limits (an input beyond any of them is refused with UPERNET_ERR_LIMIT). */
#define PICKLE_MAX_DEPTH 256               /* container nesting and MARK nesting */
#define PICKLE_MAX_MEMO ((size_t) 1 << 20)  /* memo index */
#define PICKLE_MAX_STACK ((size_t) 1 << 22) /* values on the stack */
#define PICKLE_MAX_ELEMENTS ((size_t) 1 << 24) /* items in one container */
#define PICKLE_MAX_STRING ((size_t) 256 << 20) /* one string / bytes object */
#define PICKLE_MAX_LINE ((size_t) 1 << 16) /* a text-mode opcode argument */
#define PICKLE_MAX_TOTAL ((size_t) 1 << 30) /* all objects together, bytes */

enum pickle_kind {
    PICKLE_NONE,
    PICKLE_BOOL,
    PICKLE_INT,     /* fits int64 */
    PICKLE_FLOAT,
    PICKLE_STRING,  /* str (UTF-8, NUL-terminated copy) */
    PICKLE_BYTES,
    PICKLE_TUPLE,
    PICKLE_LIST,
    PICKLE_DICT,    /* items[2k] = key, items[2k+1] = value, in insertion order */
    PICKLE_SET,
    PICKLE_GLOBAL,  /* a (module, name) symbol, never resolved */
    PICKLE_OPAQUE,  /* anything else: big ints, objects, results of unknown calls */
    PICKLE_STORAGE, /* a torch storage from a persistent id */
    PICKLE_TENSOR   /* a view of a storage */
};

struct pickle_object {
    enum pickle_kind kind;
    unsigned depth; /* nesting depth below this object, as far as seen */
    union {
        int64_t i;  /* INT, BOOL */
        double f;
        struct {
            char *data;
            size_t len;
        } str;      /* STRING, BYTES */
        struct {
            struct pickle_object **items;
            size_t len, cap;
        } seq;      /* TUPLE, LIST, SET, DICT */
        struct {
            char *module, *name;
        } global;   /* GLOBAL; OPAQUE keeps the symbol it stands for in `name` (may be NULL) */
        struct {
            enum upernet_dtype dtype;
            char *key;           /* record name (zip) or root key (legacy) */
            uint64_t numel;      /* elements of the root storage */
            uint64_t view_offset, view_numel; /* legacy storage views; whole storage otherwise */
        } storage;
        struct {
            struct pickle_object *storage;
            int64_t offset;      /* elements, into the storage (view) */
            int ndim;
            int64_t shape[UPERNET_MAX_DIMS];
            int64_t stride[UPERNET_MAX_DIMS];
        } tensor;
    } u;
    struct pickle_object *next_allocated;
};

struct pickle_arena {
    struct pickle_object *objects; /* every object made, for freeing */
    size_t total_bytes;
    struct pickle_object **storages; /* every storage object, in creation order */
    size_t n_storages, storages_cap;
};

/* Runs one pickle starting at data[0] until STOP. On success *root is the
 * result (owned by the arena) and *consumed the bytes read, STOP included.
 * `what` names the input in messages ("model.pth: data.pkl"). Objects stay
 * in the arena across calls (the legacy format holds several pickles). */
enum upernet_status pickle_load(struct pickle_arena *arena, const uint8_t *data, size_t size, const char *what,
                                struct pickle_object **root, size_t *consumed, upernet_error *err);

void pickle_arena_free(struct pickle_arena *arena);

/* Value of a string key in a dict, or NULL. */
struct pickle_object *pickle_dict_get(const struct pickle_object *dict, const char *key);

#endif
