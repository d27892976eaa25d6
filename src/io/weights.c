/* upernet_weights_open: recognise a weights file by its content, read it with
 * the matching reader, then bring the names to HF's convention. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "io/key_naming.h"
#include "io/safetensors.h"
#include "io/tensor_map.h"
#include "io/torch_legacy.h"
#include "io/torch_zip.h"
#include "io/weights_format.h"

/* Copies made while reading (dtype conversions, strided views; zip records,
 * which could be deflated from far fewer bytes, count too) may not
 * exceed this multiple of the file size, plus a constant: a valid file needs
 * at most 2x (f16 -> f32) and a little for integer scalars, while a hostile
 * one could otherwise make many views of one large storage. */
#define CONVERTED_BYTES_PER_FILE_BYTE 4
#define CONVERTED_BYTES_EXTRA ((size_t) 64 << 20)

enum weights_format_guess weights_format_detect(const uint8_t *data, size_t size)
{
    static const uint8_t zip_magic[4] = {0x50, 0x4B, 0x03, 0x04};
    if (size >= 4 && memcmp(data, zip_magic, 4) == 0)
        return WEIGHTS_GUESS_ZIP;
    if (size >= sizeof torch_legacy_magic && memcmp(data, torch_legacy_magic, sizeof torch_legacy_magic) == 0)
        return WEIGHTS_GUESS_LEGACY;
    if (size >= 262 && memcmp(data + 257, "ustar", 5) == 0)
        return WEIGHTS_GUESS_TAR;
    /* Any header length: an absurd one is then refused as such, by name,
     * rather than as "not a weights file". */
    if (size >= 9 && data[8] == '{')
        return WEIGHTS_GUESS_SAFETENSORS;
    return WEIGHTS_GUESS_UNKNOWN;
}

/* mmseg -> HF renames, or the hidden_states_norms alias in HF files. */
static enum upernet_status apply_naming(upernet_weights *map, upernet_error *err)
{
    size_t n_mmseg = 0, n_hf = 0, first_mmseg = 0, first_hf = 0;
    for (size_t i = 0; i < map->count; i++) {
        const enum upernet_key_naming k = key_naming_of(map->tensors[i].name);
        if (k == UPERNET_NAMING_MMSEG && n_mmseg++ == 0)
            first_mmseg = i;
        if (k == UPERNET_NAMING_HF && n_hf++ == 0)
            first_hf = i;
    }
    if (n_mmseg > 0 && n_hf > 0)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: mixes mmseg names ('%s') with HF names ('%s')", map->source,
                            map->tensors[first_mmseg].name, map->tensors[first_hf].name);
    map->naming = n_mmseg ? UPERNET_NAMING_MMSEG : n_hf ? UPERNET_NAMING_HF : UPERNET_NAMING_UNKNOWN;
    int renamed = 0;
    for (size_t i = 0; i < map->count; i++) {
        char name[1100];
        int r;
        if (map->naming == UPERNET_NAMING_MMSEG)
            r = key_naming_mmseg_to_hf(map->tensors[i].name, name, sizeof name) == 0 ? 1 : -1;
        else
            r = key_naming_hf_alias(map->tensors[i].name, name, sizeof name);
        if (r < 0)
            return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: tensor name too long: '%.80s...'", map->source,
                                map->tensors[i].name);
        if (r == 1 && strcmp(name, map->tensors[i].name) != 0) {
            enum upernet_status st = tensor_map_rename(map, i, name, err);
            if (st != UPERNET_OK)
                return st;
            renamed = 1;
        }
    }
    return renamed ? tensor_map_reindex(map, err) : UPERNET_OK;
}

static void set_converted_limit(upernet_weights *map, size_t size)
{
    map->converted_limit = size <= (SIZE_MAX - CONVERTED_BYTES_EXTRA) / CONVERTED_BYTES_PER_FILE_BYTE
                               ? size * CONVERTED_BYTES_PER_FILE_BYTE + CONVERTED_BYTES_EXTRA
                               : SIZE_MAX;
}

static enum upernet_status read_into(upernet_weights *map, const uint8_t *data, size_t size, upernet_error *err)
{
    set_converted_limit(map, size);
    enum upernet_status st;
    switch (weights_format_detect(data, size)) {
    case WEIGHTS_GUESS_ZIP:
        map->format = UPERNET_WEIGHTS_TORCH_ZIP;
        st = torch_zip_read(data, size, map, err);
        break;
    case WEIGHTS_GUESS_LEGACY:
        map->format = UPERNET_WEIGHTS_TORCH_LEGACY;
        st = torch_legacy_read(data, size, map, err);
        break;
    case WEIGHTS_GUESS_SAFETENSORS:
        map->format = UPERNET_WEIGHTS_SAFETENSORS;
        st = safetensors_read(data, size, map, err);
        break;
    case WEIGHTS_GUESS_TAR:
        return upernet_fail(err, UPERNET_ERR_UNSUPPORTED,
                            "%s: a tar archive (the pre-1.0 torch format?) is not supported; re-save it with "
                            "a current torch.save",
                            map->source);
    default:
        return upernet_fail(err, UPERNET_ERR_FORMAT,
                            "%s: not a weights file (neither a torch checkpoint nor safetensors)", map->source);
    }
    if (st != UPERNET_OK)
        return st;
    return apply_naming(map, err);
}

enum upernet_status upernet_weights_open_memory(const void *data, size_t size, const char *name,
                                                upernet_weights **out, upernet_error *err)
{
    if (out == NULL || (data == NULL && size > 0))
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "upernet_weights_open_memory: no buffer");
    *out = NULL;
    upernet_weights *map = tensor_map_new(name != NULL ? name : "(memory)");
    if (map == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "out of memory");
    enum upernet_status st = read_into(map, data, size, err);
    if (st != UPERNET_OK) {
        upernet_weights_free(map);
        return st;
    }
    *out = map;
    return UPERNET_OK;
}

/* A weights file (not a directory). */
static enum upernet_status open_file(const char *path, upernet_weights **out, upernet_error *err)
{
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return upernet_fail(err, UPERNET_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        const int e = errno;
        close(fd);
        return upernet_fail(err, UPERNET_ERR_IO, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return upernet_fail(err, UPERNET_ERR_IO, "%s: not a regular file", path);
    }
    const size_t size = (size_t) sb.st_size;
    if (size == 0) {
        close(fd);
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: empty file (not a weights file)", path);
    }
    /* a torch zip is read through libzip's file source (its records are
     * copied anyway); everything else is mapped: safetensors tensors are
     * used in place */
    uint8_t head[512];
    const ssize_t got = pread(fd, head, sizeof head, 0);
    if (got > 0 && weights_format_detect(head, (size_t) got) == WEIGHTS_GUESS_ZIP) {
        close(fd);
        upernet_weights *map = tensor_map_new(path);
        if (map == NULL)
            return upernet_fail(err, UPERNET_ERR_NOMEM, "out of memory");
        map->format = UPERNET_WEIGHTS_TORCH_ZIP;
        set_converted_limit(map, size);
        enum upernet_status st = torch_zip_read_file(path, size, map, err);
        if (st == UPERNET_OK)
            st = apply_naming(map, err);
        if (st != UPERNET_OK) {
            upernet_weights_free(map);
            return st;
        }
        *out = map;
        return UPERNET_OK;
    }
    void *data = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    const int map_errno = errno;
    close(fd);
    if (data == MAP_FAILED)
        return upernet_fail(err, UPERNET_ERR_IO, "%s: cannot map: %s", path, strerror(map_errno));
    upernet_weights *map = tensor_map_new(path);
    if (map == NULL) {
        munmap(data, size);
        return upernet_fail(err, UPERNET_ERR_NOMEM, "out of memory");
    }
    enum upernet_status st = tensor_map_own(map, data, size, 1, err);
    if (st == UPERNET_OK)
        st = read_into(map, data, size, err);
    if (st != UPERNET_OK) {
        upernet_weights_free(map);
        return st;
    }

    *out = map;
    return UPERNET_OK;
}

/* A directory holds model.safetensors, else pytorch_model.bin, as
 * transformers' from_pretrained looks them up. */
enum upernet_status upernet_weights_open(const char *path, upernet_weights **out, upernet_error *err)
{
    if (out == NULL || path == NULL)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "upernet_weights_open: no path");
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return open_file(path, out, err);
    static const char *const names[] = {"model.safetensors", "pytorch_model.bin"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char file[4096];
        if ((size_t) snprintf(file, sizeof file, "%s/%s", path, names[i]) >= sizeof file)
            return upernet_fail(err, UPERNET_ERR_ARGUMENT, "%s: path too long", path);
        if (stat(file, &sb) == 0 && S_ISREG(sb.st_mode))
            return open_file(file, out, err);
    }
    return upernet_fail(err, UPERNET_ERR_IO,
                        "%s: directory holds neither model.safetensors nor pytorch_model.bin", path);
}
