/* Class names and colours: the built-in ADE20K table, a generated palette for
 * other label counts, or a TSV file in the format of data/ade20k_labels.tsv. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "image/labels_internal.h"
#include "upernet.h"

/* Class maps are uint16_t. */
#define LABELS_MAX 65536

void upernet_labels_free(upernet_labels *labels)
{
    if (labels == NULL)
        return;
    if (labels->names != NULL)
        for (int i = 0; i < labels->count; i++)
            free(labels->names[i]);
    free(labels->names);
    free(labels->colors);
    labels->names = NULL;
    labels->colors = NULL;
    labels->count = 0;
}

static enum upernet_status labels_alloc(upernet_labels *out, int count, upernet_error *err)
{
    out->count = 0;
    out->names = upernet_calloc((size_t) count, sizeof *out->names);
    out->colors = upernet_calloc((size_t) count, 3);
    if (out->names == NULL || out->colors == NULL) {
        free(out->names);
        free(out->colors);
        out->names = NULL;
        out->colors = NULL;
        return upernet_fail(err, UPERNET_ERR_NOMEM, "out of memory for %d labels", count);
    }
    out->count = count;
    return UPERNET_OK;
}

enum upernet_status upernet_labels_ade20k(upernet_labels *out, upernet_error *err)
{
    enum upernet_status status = labels_alloc(out, UPERNET_ADE20K_CLASSES, err);
    if (status != UPERNET_OK)
        return status;
    for (int i = 0; i < UPERNET_ADE20K_CLASSES; i++) {
        out->names[i] = upernet_strdup(upernet_ade20k_labels[i].name);
        if (out->names[i] == NULL) {
            upernet_labels_free(out);
            return upernet_fail(err, UPERNET_ERR_NOMEM, "out of memory for label names");
        }
        memcpy(out->colors + 3 * i, upernet_ade20k_labels[i].color, 3);
    }
    return UPERNET_OK;
}

enum upernet_status upernet_labels_copy(const upernet_labels *src, upernet_labels *out,
                                        upernet_error *err)
{
    enum upernet_status status = labels_alloc(out, src->count, err);
    if (status != UPERNET_OK)
        return status;
    for (int i = 0; i < src->count; i++) {
        out->names[i] = upernet_strdup(src->names[i]);
        if (out->names[i] == NULL) {
            upernet_labels_free(out);
            return upernet_fail(err, UPERNET_ERR_NOMEM, "out of memory for label names");
        }
    }
    memcpy(out->colors, src->colors, 3 * (size_t) src->count);
    return UPERNET_OK;
}

/* The bits of the class index spread over the colour channels from the top
 * bit down (the PASCAL VOC colour-map scheme): integer-only, so identical on
 * every platform, and neighbouring indices get very different colours. */
static void generated_color(int index, uint8_t rgb[3])
{
    unsigned r = 0, g = 0, b = 0;
    unsigned v = (unsigned) index;
    for (int bit = 7; bit >= 0 && v != 0; bit--, v >>= 3) {
        r |= (v & 1u) << bit;
        g |= ((v >> 1) & 1u) << bit;
        b |= ((v >> 2) & 1u) << bit;
    }
    rgb[0] = (uint8_t) r;
    rgb[1] = (uint8_t) g;
    rgb[2] = (uint8_t) b;
}

enum upernet_status upernet_labels_generic(int count, upernet_labels *out, upernet_error *err)
{
    if (count <= 0 || count > LABELS_MAX)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "label count %d is not in 1..%d", count,
                            LABELS_MAX);
    enum upernet_status status = labels_alloc(out, count, err);
    if (status != UPERNET_OK)
        return status;
    for (int i = 0; i < count; i++) {
        char name[32];
        snprintf(name, sizeof name, "class_%d", i);
        out->names[i] = upernet_strdup(name);
        if (out->names[i] == NULL) {
            upernet_labels_free(out);
            return upernet_fail(err, UPERNET_ERR_NOMEM, "out of memory for label names");
        }
        generated_color(i, out->colors + 3 * i);
    }
    return UPERNET_OK;
}

enum upernet_status upernet_labels_load(const char *path, upernet_labels *out, upernet_error *err)
{
    out->count = 0;
    out->names = NULL;
    out->colors = NULL;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return upernet_fail(err, UPERNET_ERR_IO, "%s: %s", path, strerror(errno));
    int capacity = 0;
    enum upernet_status status = UPERNET_OK;
    char line[1024];
    int line_no = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        line_no++;
        size_t len = strlen(line);
        if (len > 0 && line[len - 1] != '\n' && !feof(f)) {
            status = upernet_fail(err, UPERNET_ERR_FORMAT, "%s:%d: line too long", path, line_no);
            goto fail;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        /* index \t name \t r \t g \t b; the name is kept verbatim (ADE's "bed "). */
        char *fields[5];
        int n = 0;
        for (char *p = line; n < 5; n++) {
            fields[n] = p;
            char *tab = strchr(p, '\t');
            if (tab == NULL) {
                n++;
                break;
            }
            *tab = '\0';
            p = tab + 1;
        }
        long values[4];
        int ok = n == 5;
        const int field_of[4] = {0, 2, 3, 4};
        for (int k = 0; ok && k < 4; k++) {
            char *end;
            errno = 0;
            values[k] = strtol(fields[field_of[k]], &end, 10);
            ok = errno == 0 && end != fields[field_of[k]] && *end == '\0' &&
                 (k == 0 || (values[k] >= 0 && values[k] <= 255));
        }
        if (!ok || values[0] != out->count) {
            status = upernet_fail(err, UPERNET_ERR_FORMAT,
                                  "%s:%d: expected \"%d<TAB>name<TAB>r<TAB>g<TAB>b\" with r,g,b in 0..255",
                                  path, line_no, out->count);
            goto fail;
        }
        if (out->count == LABELS_MAX) {
            status = upernet_fail(err, UPERNET_ERR_LIMIT, "%s: more than %d labels", path, LABELS_MAX);
            goto fail;
        }
        if (out->count == capacity) {
            const int grown = capacity ? capacity * 2 : 256;
            char **names = upernet_realloc(out->names, (size_t) grown * sizeof *names);
            if (names != NULL)
                out->names = names;
            uint8_t *colors = names != NULL ? upernet_realloc(out->colors, (size_t) grown * 3) : NULL;
            if (colors == NULL) {
                status = upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", path);
                goto fail;
            }
            out->colors = colors;
            capacity = grown;
        }
        out->names[out->count] = upernet_strdup(fields[1]);
        if (out->names[out->count] == NULL) {
            status = upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", path);
            goto fail;
        }
        for (int c = 0; c < 3; c++)
            out->colors[3 * out->count + c] = (uint8_t) values[1 + c];
        out->count++;
    }
    if (ferror(f)) {
        status = upernet_fail(err, UPERNET_ERR_IO, "%s: read error", path);
        goto fail;
    }
    fclose(f);
    if (out->count == 0) {
        upernet_labels_free(out);
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: no labels", path);
    }
    return UPERNET_OK;

fail:
    fclose(f);
    upernet_labels_free(out);
    return status;
}
