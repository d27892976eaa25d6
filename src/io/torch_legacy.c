#include "config.h"

#include "io/torch_legacy.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "io/dtype.h"
#include "io/pickle.h"
#include "io/torch_common.h"

const uint8_t torch_legacy_magic[14] = {0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46,
                                        0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19};

static enum upernet_status read_legacy(const uint8_t *data, size_t size, upernet_weights *map,
                                       struct pickle_arena *arena, struct torch_records *records,
                                       upernet_error *err)
{
    const char *src = map->source;
    struct pickle_object *magic, *protocol, *sys_info, *root, *keys;
    size_t pos = 0, used;
    char what[600];
    enum upernet_status st;
    struct pickle_object **parts[5] = {&magic, &protocol, &sys_info, &root, &keys};
    static const char *part_names[5] = {"magic number", "protocol version", "sys_info", "saved object",
                                        "storage keys"};
    for (int i = 0; i < 5; i++) {
        snprintf(what, sizeof what, "%s: legacy %s (at byte %zu)", src, part_names[i], pos);
        if ((st = pickle_load(arena, data + pos, size - pos, what, parts[i], &used, err)) != UPERNET_OK)
            return st;
        pos += used;
        if (i == 1 && ((*parts[i])->kind != PICKLE_INT || (*parts[i])->u.i != 1001))
            return upernet_fail(err, UPERNET_ERR_UNSUPPORTED, "%s: legacy torch protocol version is not 1001", src);
    }
    int big_endian = 0;
    const struct pickle_object *le = pickle_dict_get(sys_info, "little_endian");
    if (le != NULL && le->kind == PICKLE_BOOL && le->u.i == 0)
        big_endian = 1;
    if (keys->kind != PICKLE_LIST)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: the legacy storage key list is not a list", src);

    /* element type of each storage key, from the persistent ids seen */
    struct torch_records types = {0};
    for (size_t i = 0; i < arena->n_storages; i++) {
        const struct pickle_object *s = arena->storages[i];
        if (torch_records_find(&types, s->u.storage.key) == NULL &&
            (st = torch_records_add(&types, s->u.storage.key, NULL, 0, (int) s->u.storage.dtype, err)) != UPERNET_OK) {
            torch_records_free(&types);
            return st;
        }
    }
    st = UPERNET_OK;
    for (size_t i = 0; i < keys->u.seq.len && st == UPERNET_OK; i++) {
        const struct pickle_object *k = keys->u.seq.items[i];
        if (k->kind != PICKLE_STRING) {
            st = upernet_fail(err, UPERNET_ERR_FORMAT, "%s: a legacy storage key is not a string", src);
            break;
        }
        const struct torch_record *type = torch_records_find(&types, k->u.str.data);
        if (type == NULL) {
            st = upernet_fail(err, UPERNET_ERR_FORMAT, "%s: storage '%s' is listed but never used", src,
                              k->u.str.data);
            break;
        }
        if (torch_records_find(records, k->u.str.data) != NULL) {
            st = upernet_fail(err, UPERNET_ERR_FORMAT, "%s: storage '%s' is listed twice", src, k->u.str.data);
            break;
        }
        const size_t item = upernet_dtype_size((enum upernet_dtype) type->dtype);
        if (size - pos < 8) {
            st = upernet_fail(err, UPERNET_ERR_FORMAT, "%s: truncated before storage '%s' (byte %zu)", src,
                              k->u.str.data, pos);
            break;
        }
        uint64_t count = 0;
        for (int b = 0; b < 8; b++)
            count |= (uint64_t) data[pos + b] << (8 * b);
        if (big_endian) {
            count = __builtin_bswap64(count);
        }
        pos += 8;
        if (count > (size - pos) / item) {
            st = upernet_fail(err, UPERNET_ERR_FORMAT,
                              "%s: storage '%s' declares %llu elements but only %zu bytes remain", src,
                              k->u.str.data, (unsigned long long) count, size - pos);
            break;
        }
        st = torch_records_add(records, k->u.str.data, data + pos, (size_t) count * item, type->dtype, err);
        pos += (size_t) count * item;
    }
    torch_records_free(&types);
    if (st != UPERNET_OK)
        return st;
    return torch_collect_tensors(root, map, records, NULL, NULL, big_endian, err);
}

enum upernet_status torch_legacy_read(const uint8_t *data, size_t size, upernet_weights *map, upernet_error *err)
{
    struct pickle_arena arena = {0};
    struct torch_records records = {0};
    enum upernet_status st = read_legacy(data, size, map, &arena, &records, err);
    torch_records_free(&records);
    pickle_arena_free(&arena);
    return st;
}
