/* The JSON summary of a class map: which classes are present, how many
 * pixels each covers and their share, most frequent first. */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/atomic_file.h"
#include "upernet.h"

struct class_count {
    int index;
    size_t pixels;
};

static int by_pixels_then_index(const void *a, const void *b)
{
    const struct class_count *x = a, *y = b;
    if (x->pixels != y->pixels)
        return x->pixels > y->pixels ? -1 : 1;
    return x->index - y->index;
}

enum upernet_status upernet_write_summary_json(const char *path, const char *source,
                                               const uint16_t *class_map, int height, int width,
                                               const upernet_labels *labels, upernet_error *err)
{
    if (class_map == NULL || labels == NULL || labels->count <= 0 || height <= 0 || width <= 0)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "%s: empty class map or labels", path);
    const size_t n = (size_t) width * (size_t) height;
    struct class_count *counts = upernet_calloc((size_t) labels->count, sizeof *counts);
    if (counts == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", path);
    for (int k = 0; k < labels->count; k++)
        counts[k].index = k;
    for (size_t i = 0; i < n; i++) {
        if (class_map[i] >= labels->count) {
            free(counts);
            return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                                "%s: class %u at pixel %zu is past the %d labels", path,
                                class_map[i], i, labels->count);
        }
        counts[class_map[i]].pixels++;
    }
    qsort(counts, (size_t) labels->count, sizeof *counts, by_pixels_then_index);

    enum upernet_status status = UPERNET_OK;
    json_t *root = json_object();
    json_t *classes = json_array();
    int ok = root != NULL && classes != NULL;
    if (ok && source != NULL)
        ok = json_object_set_new(root, "image", json_string(source)) == 0;
    ok = ok && json_object_set_new(root, "width", json_integer(width)) == 0 &&
         json_object_set_new(root, "height", json_integer(height)) == 0 &&
         json_object_set_new(root, "num_labels", json_integer(labels->count)) == 0;
    for (int k = 0; ok && k < labels->count && counts[k].pixels > 0; k++) {
        const int c = counts[k].index;
        json_t *entry = json_pack("{s:i, s:s, s:I, s:f, s:[i,i,i]}", "index", c, "name",
                                  labels->names[c], "pixels", (json_int_t) counts[k].pixels,
                                  "share", (double) counts[k].pixels / (double) n, "color",
                                  labels->colors[3 * c], labels->colors[3 * c + 1],
                                  labels->colors[3 * c + 2]);
        ok = entry != NULL && json_array_append_new(classes, entry) == 0;
    }
    ok = ok && json_object_set(root, "classes", classes) == 0;
    char *text = ok ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6))
                    : NULL;
    if (text == NULL) {
        status = upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory building JSON", path);
    } else {
        const size_t len = strlen(text);
        text[len] = '\0';
        char *with_newline = upernet_realloc(text, len + 2);
        if (with_newline == NULL) {
            status = upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", path);
        } else {
            text = with_newline;
            text[len] = '\n';
            text[len + 1] = '\0';
            status = upernet_write_file_atomic(path, text, len + 1, err);
        }
        free(text);
    }
    json_decref(classes);
    json_decref(root);
    free(counts);
    return status;
}
