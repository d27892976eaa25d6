#include "config.h"

#include "io/npy.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/atomic_file.h"
#include "core/error.h"

static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

/* Refuse headers and arrays that no sane pixel or logit file needs. */
#define MAX_HEADER_BYTES (1u << 20)
#define MAX_ARRAY_BYTES ((size_t) 1 << 34)

static bool host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static void swap_floats(float *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char b[4], r[4];
        memcpy(b, &p[i], 4);
        r[0] = b[3], r[1] = b[2], r[2] = b[1], r[3] = b[0];
        memcpy(&p[i], r, 4);
    }
}

/* ------------------------------------------------------- header parsing */

struct cursor {
    const char *p, *end;
};

static void skip_ws(struct cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool accept(struct cursor *c, char ch)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A quoted Python string without escapes into buf. */
static bool parse_string(struct cursor *c, char *buf, size_t size)
{
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return false;
    const char quote = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != quote) {
        if (*c->p == '\\' || n + 1 >= size)
            return false;
        buf[n++] = *c->p++;
    }
    if (c->p >= c->end)
        return false;
    c->p++;
    buf[n] = '\0';
    return true;
}

static bool accept_word(struct cursor *c, const char *word)
{
    skip_ws(c);
    size_t n = strlen(word);
    if ((size_t) (c->end - c->p) >= n && memcmp(c->p, word, n) == 0) {
        c->p += n;
        return true;
    }
    return false;
}

static bool parse_shape(struct cursor *c, upernet_array *out)
{
    if (!accept(c, '('))
        return false;
    out->ndim = 0;
    while (!accept(c, ')')) {
        skip_ws(c);
        if (out->ndim == UPERNET_NPY_MAX_DIMS || c->p >= c->end || *c->p < '0' || *c->p > '9')
            return false;
        size_t v = 0;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
            if (v > (SIZE_MAX - 9) / 10)
                return false;
            v = v * 10 + (size_t) (*c->p++ - '0');
        }
        if (c->p < c->end && *c->p == 'L') /* Python 2 longs */
            c->p++;
        out->shape[out->ndim++] = v;
        if (!accept(c, ',')) {
            if (!accept(c, ')'))
                return false;
            break;
        }
    }
    return true;
}

static enum upernet_status parse_header(const char *h, size_t len, const char *name,
                                        upernet_array *out, upernet_error *err)
{
    struct cursor c = {h, h + len};
    bool have_descr = false, have_order = false, have_shape = false;
    char key[32], value[32];
    if (!accept(&c, '{'))
        goto malformed;
    while (!accept(&c, '}')) {
        if (!parse_string(&c, key, sizeof key) || !accept(&c, ':'))
            goto malformed;
        if (strcmp(key, "descr") == 0 && !have_descr) {
            have_descr = true;
            if (!parse_string(&c, value, sizeof value))
                goto malformed;
            if (strcmp(value, "<f4") != 0)
                return upernet_fail(err, UPERNET_ERR_UNSUPPORTED,
                                    "%s: dtype '%s' is not supported (expected little-endian "
                                    "float32, '<f4')",
                                    name, value);
        } else if (strcmp(key, "fortran_order") == 0 && !have_order) {
            have_order = true;
            if (accept_word(&c, "True"))
                return upernet_fail(err, UPERNET_ERR_UNSUPPORTED,
                                    "%s: Fortran-order arrays are not supported (save a "
                                    "C-contiguous array)",
                                    name);
            if (!accept_word(&c, "False"))
                goto malformed;
        } else if (strcmp(key, "shape") == 0 && !have_shape) {
            have_shape = true;
            if (!parse_shape(&c, out))
                goto malformed;
        } else {
            return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: unexpected or repeated key '%s' "
                                "in the .npy header", name, key);
        }
        if (!accept(&c, ',')) {
            if (!accept(&c, '}'))
                goto malformed;
            break;
        }
    }
    skip_ws(&c);
    if (c.p != c.end || !have_descr || !have_order || !have_shape)
        goto malformed;
    return UPERNET_OK;
malformed:
    return upernet_fail(err, UPERNET_ERR_FORMAT,
                        "%s: malformed .npy header (expected {'descr': '<f4', 'fortran_order': "
                        "False, 'shape': (...)})",
                        name);
}

enum upernet_status upernet_npy_parse(const void *bytes, size_t size, const char *name,
                                          upernet_array *out, upernet_error *err)
{
    memset(out, 0, sizeof *out);
    const unsigned char *b = bytes;
    if (size < 10 || memcmp(b, npy_magic, sizeof npy_magic) != 0)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: not a .npy file (bad magic)", name);
    const unsigned major = b[6], minor = b[7];
    size_t header_len, prefix;
    if (major == 1 && minor == 0) {
        header_len = (size_t) b[8] | (size_t) b[9] << 8;
        prefix = 10;
    } else if ((major == 2 || major == 3) && minor == 0) {
        if (size < 12)
            return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: truncated .npy header", name);
        header_len = (size_t) b[8] | (size_t) b[9] << 8 | (size_t) b[10] << 16 |
                     (size_t) b[11] << 24;
        prefix = 12;
    } else {
        return upernet_fail(err, UPERNET_ERR_UNSUPPORTED,
                            "%s: .npy format version %u.%u is not supported (1.0, 2.0, 3.0)", name,
                            major, minor);
    }
    if (header_len > MAX_HEADER_BYTES || prefix + header_len > size)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: truncated .npy header", name);
    enum upernet_status st =
        parse_header((const char *) b + prefix, header_len, name, out, err);
    if (st != UPERNET_OK)
        return st;
    size_t numel = 1;
    for (size_t d = 0; d < out->ndim; d++) {
        if (out->shape[d] != 0 && numel > MAX_ARRAY_BYTES / 4 / out->shape[d])
            return upernet_fail(err, UPERNET_ERR_LIMIT, "%s: array too large", name);
        numel *= out->shape[d];
    }
    const size_t data_bytes = size - prefix - header_len;
    if (data_bytes != numel * sizeof(float))
        return upernet_fail(err, UPERNET_ERR_FORMAT,
                            "%s: the header announces %zu floats (%zu bytes) but %zu data bytes "
                            "follow",
                            name, numel, numel * sizeof(float), data_bytes);
    out->numel = numel;
    out->data = upernet_malloc(numel ? numel * sizeof(float) : 1);
    if (out->data == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", name);
    memcpy(out->data, b + prefix + header_len, numel * sizeof(float));
    if (!host_is_little_endian())
        swap_floats(out->data, numel);
    upernet_error_clear(err);
    return UPERNET_OK;
}

enum upernet_status upernet_npy_read(const char *path, upernet_array *out,
                                         upernet_error *err)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return upernet_fail(err, UPERNET_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    enum upernet_status st = UPERNET_OK;
    unsigned char *bytes = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        st = upernet_fail(err, UPERNET_ERR_IO, "%s: cannot determine the size: %s", path,
                          strerror(errno));
        goto done;
    }
    if ((unsigned long) size > MAX_ARRAY_BYTES + MAX_HEADER_BYTES) {
        st = upernet_fail(err, UPERNET_ERR_LIMIT, "%s: file too large", path);
        goto done;
    }
    bytes = upernet_malloc(size ? (size_t) size : 1);
    if (bytes == NULL) {
        st = upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    if (fread(bytes, 1, (size_t) size, f) != (size_t) size) {
        st = upernet_fail(err, UPERNET_ERR_IO, "%s: read error", path);
        goto done;
    }
    st = upernet_npy_parse(bytes, (size_t) size, path, out, err);
done:
    free(bytes);
    fclose(f);
    return st;
}

void upernet_array_free(upernet_array *npy)
{
    free(npy->data);
    npy->data = NULL;
}

/* ------------------------------------------------------------- writing */

enum upernet_status upernet_npy_write(const char *path, const size_t *shape, size_t ndim,
                                          const float *data, upernet_error *err)
{
    if (ndim > UPERNET_NPY_MAX_DIMS)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "%s: %zu dimensions (at most %d)", path,
                            ndim, UPERNET_NPY_MAX_DIMS);
    char dict[512];
    size_t n = (size_t) snprintf(dict, sizeof dict,
                                 "{'descr': '<f4', 'fortran_order': False, 'shape': (");
    size_t numel = 1;
    for (size_t d = 0; d < ndim; d++) {
        n += (size_t) snprintf(dict + n, sizeof dict - n, "%zu%s", shape[d],
                               ndim == 1 || d + 1 < ndim ? ", " : "");
        numel *= shape[d];
    }
    if (ndim == 1)
        n -= 1; /* "(5,)" like NumPy */
    n += (size_t) snprintf(dict + n, sizeof dict - n, "), }");
    /* Pad with spaces so magic + version + length + header is a multiple
     * of 64, ending in '\n'. */
    size_t total = 10 + n + 1;
    size_t padded = (total + 63) / 64 * 64;
    unsigned char header[10 + sizeof dict + 64];
    memcpy(header, npy_magic, 6);
    header[6] = 1, header[7] = 0;
    const size_t header_len = padded - 10;
    header[8] = (unsigned char) (header_len & 0xff);
    header[9] = (unsigned char) (header_len >> 8);
    memcpy(header + 10, dict, n);
    memset(header + 10 + n, ' ', padded - total);
    header[padded - 1] = '\n';

    struct upernet_atomic_file f;
    enum upernet_status st = upernet_atomic_open(&f, path, err);
    if (st != UPERNET_OK)
        return st;
    st = upernet_atomic_write(&f, header, padded, err);
    if (st == UPERNET_OK && host_is_little_endian()) {
        st = upernet_atomic_write(&f, data, numel * sizeof(float), err);
    } else {
        /* big-endian host: swap in blocks */
        float block[1024];
        for (size_t i = 0; st == UPERNET_OK && i < numel; i += 1024) {
            const size_t count = numel - i < 1024 ? numel - i : 1024;
            memcpy(block, data + i, count * sizeof(float));
            swap_floats(block, count);
            st = upernet_atomic_write(&f, block, count * sizeof(float), err);
        }
    }
    if (st != UPERNET_OK) {
        upernet_atomic_abort(&f);
        return st;
    }
    if ((st = upernet_atomic_commit(&f, err)) != UPERNET_OK)
        return st;
    upernet_error_clear(err);
    return UPERNET_OK;
}
