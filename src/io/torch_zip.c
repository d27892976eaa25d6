/* The zip container is read through libzip rather than by hand: torch's
 * writer (PyTorchStreamWriter) relies on several zip features a naive reader
 * gets wrong. Entry sizes and offsets live only in the central directory
 * (local headers carry zero sizes and set the data-descriptor flag), the
 * writer always emits a zip64 end record and switches individual entries to
 * zip64 extra fields past 4 GiB, and entries are padded to 64-byte alignment
 * with extra fields. libzip validates all of that (and the consistency of
 * local vs. central headers with ZIP_CHECKCONS) against hostile input. */
#include "config.h"

#include "io/torch_zip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "core/error.h"
#include "io/pickle.h"
#include "io/torch_common.h"

/* A deflated entry claiming to expand more than this is refused (torch
 * stores its entries uncompressed; this only bounds hostile archives). */
#define MAX_COMPRESSION_RATIO 1100

struct zip_reader {
    zip_t *zip;
    upernet_weights *map;
    size_t file_size;
    size_t bytes_read; /* all records so far, against map->converted_limit */
    char prefix[512]; /* "<A>/" */
};

static zip_int64_t locate(struct zip_reader *r, const char *suffix)
{
    char name[1024];
    if ((size_t) snprintf(name, sizeof name, "%s%s", r->prefix, suffix) >= sizeof name)
        return -1;
    return zip_name_locate(r->zip, name, ZIP_FL_ENC_RAW);
}

/* Reads entry `index` whole into a buffer the map owns. */
static enum upernet_status read_entry(struct zip_reader *r, zip_uint64_t index, const uint8_t **out, size_t *out_size,
                                      upernet_error *err)
{
    const char *src = r->map->source;
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(r->zip, index, ZIP_FL_ENC_RAW, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) ||
        !(st.valid & ZIP_STAT_COMP_SIZE) || !(st.valid & ZIP_STAT_COMP_METHOD))
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: cannot read zip entry %llu: %s", src,
                            (unsigned long long) index, zip_strerror(r->zip));
    const char *name = (st.valid & ZIP_STAT_NAME) ? st.name : "?";
    if (st.comp_size > r->file_size)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: zip entry '%s' declares %llu bytes, more than the file's %zu",
                            src, name, (unsigned long long) st.comp_size, r->file_size);
    if (st.comp_method == ZIP_CM_STORE ? st.size != st.comp_size
                                       : st.size / MAX_COMPRESSION_RATIO > st.comp_size)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: zip entry '%s' declares an implausible size of %llu bytes",
                            src, name, (unsigned long long) st.size);
    if (st.size > SIZE_MAX - 1 || st.size > r->map->converted_limit - r->bytes_read)
        return upernet_fail(err, UPERNET_ERR_LIMIT, "%s: zip entry '%s' (%llu bytes) would exceed the memory limit",
                            src, name, (unsigned long long) st.size);
    r->bytes_read += (size_t) st.size;
    /* Counted against the map's copy budget (a few times the file size): a
     * deflate bomb claiming 1000x its size is refused before the buffer. */
    if (st.size >= r->map->converted_limit - r->map->converted_bytes)
        return upernet_fail(err, UPERNET_ERR_LIMIT,
                            "%s: zip entry '%s' expands to %llu bytes, more than a file of %zu bytes may need", src,
                            name, (unsigned long long) st.size, r->file_size);
    void *block;
    enum upernet_status status = tensor_map_alloc(r->map, (size_t) st.size + 1, &block, err);
    if (status != UPERNET_OK)
        return status;
    uint8_t *buf = block;
    zip_file_t *f = zip_fopen_index(r->zip, index, 0);
    if (f == NULL)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: cannot open zip entry '%s': %s", src, name,
                            zip_strerror(r->zip));
    zip_uint64_t done = 0;
    while (done < st.size) {
        const zip_int64_t n = zip_fread(f, buf + done, st.size - done);
        if (n <= 0) {
            status = upernet_fail(err, UPERNET_ERR_FORMAT, "%s: zip entry '%s' is damaged or truncated: %s", src,
                                  name, n < 0 ? zip_file_strerror(f) : "unexpected end of data");
            zip_fclose(f);
            return status;
        }
        done += (zip_uint64_t) n;
    }
    zip_fclose(f);
    *out = buf;
    *out_size = (size_t) st.size;
    return UPERNET_OK;
}

static enum upernet_status load_storage(void *ctx, const char *key, const uint8_t **bytes, size_t *size,
                                        upernet_error *err)
{
    struct zip_reader *r = ctx;
    char suffix[600];
    zip_int64_t index = -1;
    if ((size_t) snprintf(suffix, sizeof suffix, "data/%s", key) < sizeof suffix)
        index = locate(r, suffix);
    if (index < 0)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: storage record '%sdata/%s' is missing", r->map->source,
                            r->prefix, key);
    return read_entry(r, (zip_uint64_t) index, bytes, size, err);
}

static enum upernet_status read_zip(struct zip_reader *r, upernet_error *err)
{
    const char *src = r->map->source;
    const zip_int64_t n = zip_get_num_entries(r->zip, 0);
    if (n <= 0)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: empty zip archive (not a torch checkpoint)", src);
    /* the archive folder <A> is the first entry's first path component */
    const char *first = zip_get_name(r->zip, 0, ZIP_FL_ENC_RAW);
    const char *slash = first != NULL ? strchr(first, '/') : NULL;
    if (slash == NULL || slash == first || (size_t) (slash - first) + 2 > sizeof r->prefix)
        return upernet_fail(err, UPERNET_ERR_FORMAT,
                            "%s: zip entry '%s' is not inside a folder (not a torch checkpoint)", src,
                            first != NULL ? first : "?");
    memcpy(r->prefix, first, (size_t) (slash - first) + 1);
    r->prefix[slash - first + 1] = '\0';
    const size_t plen = strlen(r->prefix);
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(r->zip, (zip_uint64_t) i, ZIP_FL_ENC_RAW);
        if (name == NULL)
            return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: damaged zip directory: %s", src, zip_strerror(r->zip));
        if (strncmp(name, r->prefix, plen) == 0 &&
            (strcmp(name + plen, "constants.pkl") == 0 || strncmp(name + plen, "code/", 5) == 0))
            return upernet_fail(err, UPERNET_ERR_UNSUPPORTED,
                                "%s: a TorchScript archive (torch.jit.save), not a checkpoint; save the "
                                "weights with torch.save(model.state_dict(), ...) instead",
                                src);
    }
    int big_endian = 0;
    const zip_int64_t bo = locate(r, "byteorder");
    enum upernet_status st;
    if (bo >= 0) {
        const uint8_t *text;
        size_t len;
        if ((st = read_entry(r, (zip_uint64_t) bo, &text, &len, err)) != UPERNET_OK)
            return st;
        if (len == 3 && memcmp(text, "big", 3) == 0)
            big_endian = 1;
        else if (!(len == 6 && memcmp(text, "little", 6) == 0))
            return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: '%sbyteorder' is neither 'little' nor 'big'", src,
                                r->prefix);
    }
    const zip_int64_t pkl = locate(r, "data.pkl");
    if (pkl < 0)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: no '%sdata.pkl' in the zip (not a torch checkpoint)", src,
                            r->prefix);
    const uint8_t *pickle;
    size_t pickle_size;
    if ((st = read_entry(r, (zip_uint64_t) pkl, &pickle, &pickle_size, err)) != UPERNET_OK)
        return st;
    char what[1100];
    snprintf(what, sizeof what, "%s: %sdata.pkl", src, r->prefix);
    struct pickle_arena arena = {0};
    struct pickle_object *root;
    st = pickle_load(&arena, pickle, pickle_size, what, &root, NULL, err);
    if (st == UPERNET_OK) {
        struct torch_records records = {0};
        st = torch_collect_tensors(root, r->map, &records, load_storage, r, big_endian, err);
        torch_records_free(&records);
    }
    pickle_arena_free(&arena);
    return st;
}

/* Reads through an already created libzip source (consumed either way). */
static enum upernet_status read_source(zip_source_t *source, size_t size, upernet_weights *map, upernet_error *err)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_t *zip = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
    if (zip == NULL) {
        /* torch's files start with a local header but are read from the
         * central directory at the end: "not a zip" then means cut short */
        const int cut = zip_error_code_zip(&ze) == ZIP_ER_NOZIP;
        enum upernet_status st = upernet_fail(err, UPERNET_ERR_FORMAT, "%s: not a valid zip archive: %s", map->source,
                                              cut ? "truncated or damaged (no valid central directory at its end)"
                                                  : zip_error_strerror(&ze));
        zip_source_free(source);
        zip_error_fini(&ze);
        return st;
    }
    zip_error_fini(&ze);
    struct zip_reader r = {.zip = zip, .map = map, .file_size = size};
    enum upernet_status st = read_zip(&r, err);
    zip_discard(zip); /* read-only: closes and frees the source */
    return st;
}

enum upernet_status torch_zip_read(const uint8_t *data, size_t size, upernet_weights *map, upernet_error *err)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *source = zip_source_buffer_create(data, size, 0, &ze);
    zip_error_fini(&ze);
    if (source == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", map->source);
    return read_source(source, size, map, err);
}

enum upernet_status torch_zip_read_file(const char *path, size_t size, upernet_weights *map, upernet_error *err)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *source = zip_source_file_create(path, 0, -1, &ze);
    if (source == NULL) {
        enum upernet_status st = upernet_fail(err, UPERNET_ERR_IO, "%s: %s", path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return st;
    }
    zip_error_fini(&ze);
    return read_source(source, size, map, err);
}
