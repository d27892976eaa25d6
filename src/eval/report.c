/* The evaluation report (JSON): what `upernet evaluate --json` writes and
 * what `--merge` reads back. The integer counts are the payload (shards sum
 * them exactly); the metrics are recomputed from them on every write. */
#include "config.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "upernet.h"

/* A metric, or null when NaN (JSON has no NaN). */
static json_t *metric(double v)
{
    return isnan(v) ? json_null() : json_real(v);
}

enum upernet_status upernet_eval_report_write(const char *path, const upernet_eval_report *report,
                                              const upernet_iou_counts *counts,
                                              const upernet_labels *labels, upernet_error *err)
{
    if (labels->count != counts->num_classes)
        return upernet_fail(err, UPERNET_ERR_MISMATCH, "%s: %d class names for %d classes", path,
                            labels->count, counts->num_classes);
    upernet_iou_metrics m;
    enum upernet_status st = upernet_iou_metrics_compute(counts, &m, err);
    if (st != UPERNET_OK)
        return st;
    json_t *doc = json_object();
    json_t *classes = json_array();
    for (int c = 0; c < counts->num_classes; c++)
        json_array_append_new(
            classes,
            json_pack("{s:i, s:s, s:o, s:o, s:I, s:I, s:I, s:I}", "index", c, "name",
                      labels->names[c], "IoU", metric(m.iou[c]), "Acc", metric(m.acc[c]),
                      "area_intersect", (json_int_t) counts->area_intersect[c], "area_union",
                      (json_int_t) counts->area_union[c], "area_pred",
                      (json_int_t) counts->area_pred[c], "area_label",
                      (json_int_t) counts->area_label[c]));
    json_object_set_new(doc, "images", json_integer(counts->images));
    json_object_set_new(doc, "mode", json_string(report->mode));
    json_object_set_new(doc, "model", json_string(report->model));
    json_object_set_new(doc, "aAcc", metric(m.aacc));
    json_object_set_new(doc, "mIoU", metric(m.miou));
    json_object_set_new(doc, "mAcc", metric(m.macc));
    json_object_set_new(doc, "classes", classes);
    json_object_set_new(doc, "out_of_range_labels", json_integer(counts->out_of_range_labels));
    if (report->shard_count > 0) {
        char shard[32];
        snprintf(shard, sizeof shard, "%d/%d", report->shard_index, report->shard_count);
        json_object_set_new(doc, "shard", json_string(shard));
    }
    upernet_iou_metrics_free(&m);
    char *text = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(doc);
    if (text == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory for the report", path);
    st = upernet_write_file_atomic(path, text, strlen(text), err);
    free(text);
    return st;
}

/* An integer member of `obj`, else a message naming the file and key. */
static enum upernet_status get_int(json_t *obj, const char *key, const char *path,
                                   const char *where, int64_t *out, upernet_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: %s\"%s\" is missing or not a count",
                            path, where, key);
    *out = json_integer_value(v);
    return UPERNET_OK;
}

static enum upernet_status read_class(json_t *entry, int c, const char *path,
                                      upernet_iou_counts *counts, upernet_labels *labels,
                                      upernet_error *err)
{
    char where[64];
    snprintf(where, sizeof where, "classes[%d].", c);
    json_t *index = json_object_get(entry, "index");
    json_t *name = json_object_get(entry, "name");
    if (!json_is_integer(index) || json_integer_value(index) != c || !json_is_string(name))
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: %s: expected index %d and a name", path,
                            where, c);
    enum upernet_status st;
    if ((st = get_int(entry, "area_intersect", path, where, &counts->area_intersect[c], err)) ||
        (st = get_int(entry, "area_union", path, where, &counts->area_union[c], err)) ||
        (st = get_int(entry, "area_pred", path, where, &counts->area_pred[c], err)) ||
        (st = get_int(entry, "area_label", path, where, &counts->area_label[c], err)))
        return st;
    if (counts->area_union[c] !=
        counts->area_pred[c] + counts->area_label[c] - counts->area_intersect[c])
        return upernet_fail(err, UPERNET_ERR_FORMAT,
                            "%s: %s area_union is not area_pred + area_label - area_intersect",
                            path, where);
    char *copy = upernet_strdup(json_string_value(name));
    if (copy == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", path);
    free(labels->names[c]);
    labels->names[c] = copy;
    return UPERNET_OK;
}

static enum upernet_status read_document(json_t *doc, const char *path,
                                         upernet_eval_report *report, upernet_iou_counts *counts,
                                         upernet_labels *labels, upernet_error *err)
{
    json_t *model = json_object_get(doc, "model"), *mode = json_object_get(doc, "mode");
    json_t *classes = json_object_get(doc, "classes"), *shard = json_object_get(doc, "shard");
    if (!json_is_string(model) || !json_is_string(mode))
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: \"model\" or \"mode\" missing", path);
    if (!json_is_array(classes) || json_array_size(classes) == 0)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: \"classes\" missing or empty", path);
    report->shard_index = report->shard_count = 0;
    if (shard != NULL) {
        int k, n, used = 0;
        if (!json_is_string(shard) ||
            sscanf(json_string_value(shard), "%d/%d%n", &k, &n, &used) != 2 ||
            json_string_value(shard)[used] != '\0' || n < 1 || k < 1 || k > n)
            return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: \"shard\" is not \"K/N\"", path);
        report->shard_index = k;
        report->shard_count = n;
    }
    const int n = (int) json_array_size(classes);
    enum upernet_status st = upernet_iou_counts_init(counts, n, err);
    if (st == UPERNET_OK)
        st = upernet_labels_generic(n, labels, err);
    if (st == UPERNET_OK)
        st = get_int(doc, "images", path, "", &counts->images, err);
    if (st == UPERNET_OK)
        st = get_int(doc, "out_of_range_labels", path, "", &counts->out_of_range_labels, err);
    for (int c = 0; c < n && st == UPERNET_OK; c++)
        st = read_class(json_array_get(classes, (size_t) c), c, path, counts, labels, err);
    if (st == UPERNET_OK) {
        report->model = upernet_strdup(json_string_value(model));
        report->mode = upernet_strdup(json_string_value(mode));
        if (report->model == NULL || report->mode == NULL)
            st = upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", path);
    }
    return st;
}

enum upernet_status upernet_eval_report_read(const char *path, upernet_eval_report *report,
                                             upernet_iou_counts *counts, upernet_labels *labels,
                                             upernet_error *err)
{
    memset(report, 0, sizeof *report);
    memset(counts, 0, sizeof *counts);
    memset(labels, 0, sizeof *labels);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    if (doc == NULL)
        return upernet_fail(err, UPERNET_ERR_FORMAT, "%s: not a JSON report: %s (line %d)", path,
                            jerr.text, jerr.line);
    enum upernet_status st =
        json_is_object(doc) ? read_document(doc, path, report, counts, labels, err)
                            : upernet_fail(err, UPERNET_ERR_FORMAT, "%s: not a JSON object", path);
    json_decref(doc);
    if (st != UPERNET_OK) {
        free((char *) report->model);
        free((char *) report->mode);
        memset(report, 0, sizeof *report);
        upernet_iou_counts_free(counts);
        upernet_labels_free(labels);
    }
    return st;
}
