/* mmseg's IoU counting and metrics (its IoUMetric): per image, histograms of
 * the prediction, the label and their agreement over the pixels whose label
 * is not ignored; summed over the dataset in 64-bit integers; metrics from
 * the sums at the end, NaN for a class with an empty denominator. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "upernet.h"

enum upernet_status upernet_iou_counts_init(upernet_iou_counts *counts, int num_classes,
                                            upernet_error *err)
{
    memset(counts, 0, sizeof *counts);
    if (num_classes <= 0 || num_classes > UPERNET_IGNORE_LABEL)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                            "IoU counts: %d classes (must be 1..%d with 8-bit labels)", num_classes,
                            UPERNET_IGNORE_LABEL);
    /* One block for the four vectors. */
    int64_t *block = upernet_calloc(4 * (size_t) num_classes, sizeof *block);
    if (block == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "IoU counts: out of memory");
    counts->num_classes = num_classes;
    counts->area_intersect = block;
    counts->area_union = block + num_classes;
    counts->area_pred = block + 2 * num_classes;
    counts->area_label = block + 3 * num_classes;
    return UPERNET_OK;
}

void upernet_iou_counts_free(upernet_iou_counts *counts)
{
    if (counts == NULL)
        return;
    free(counts->area_intersect);
    memset(counts, 0, sizeof *counts);
}

/* mmseg's reduce_zero_label on uint8: 0 -> 255, k -> k - 1, 255 stays 255. */
static inline unsigned reduced_label(unsigned raw)
{
    return raw == 0 || raw == 255 ? UPERNET_IGNORE_LABEL : raw - 1;
}

enum upernet_status upernet_iou_counts_add(upernet_iou_counts *counts, const uint16_t *pred,
                                           const uint8_t *labels, size_t pixels,
                                           int reduce_zero_label, upernet_error *err)
{
    const unsigned n = (unsigned) counts->num_classes;
    for (size_t i = 0; i < pixels; i++)
        if (pred[i] >= n)
            return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                                "IoU counts: prediction %u at pixel %zu is not a class (0..%u)",
                                pred[i], i, n - 1);
    int64_t intersect[UPERNET_IGNORE_LABEL] = {0}, predicted[UPERNET_IGNORE_LABEL] = {0},
            labelled[UPERNET_IGNORE_LABEL] = {0};
    int64_t out_of_range = 0;
    for (size_t i = 0; i < pixels; i++) {
        const unsigned label = reduce_zero_label ? reduced_label(labels[i]) : labels[i];
        if (label == UPERNET_IGNORE_LABEL)
            continue;
        predicted[pred[i]]++;
        if (label >= n) {
            out_of_range++;
            continue;
        }
        labelled[label]++;
        intersect[label] += pred[i] == label;
    }
    for (unsigned c = 0; c < n; c++) {
        counts->area_intersect[c] += intersect[c];
        counts->area_pred[c] += predicted[c];
        counts->area_label[c] += labelled[c];
        counts->area_union[c] += predicted[c] + labelled[c] - intersect[c];
    }
    counts->out_of_range_labels += out_of_range;
    counts->images++;
    return UPERNET_OK;
}

enum upernet_status upernet_iou_counts_merge(upernet_iou_counts *dst, const upernet_iou_counts *src,
                                             upernet_error *err)
{
    if (dst->num_classes != src->num_classes)
        return upernet_fail(err, UPERNET_ERR_MISMATCH,
                            "IoU counts: cannot add counts of %d classes to counts of %d",
                            src->num_classes, dst->num_classes);
    for (int c = 0; c < dst->num_classes; c++) {
        dst->area_intersect[c] += src->area_intersect[c];
        dst->area_union[c] += src->area_union[c];
        dst->area_pred[c] += src->area_pred[c];
        dst->area_label[c] += src->area_label[c];
    }
    dst->out_of_range_labels += src->out_of_range_labels;
    dst->images += src->images;
    return UPERNET_OK;
}

/* a / b in double; NaN when b is 0 (numpy's 0/0 and x/0 as mmseg meets them). */
static double ratio(int64_t a, int64_t b)
{
    return b == 0 ? NAN : (double) a / (double) b;
}

/* numpy.nanmean: the mean of the non-NaN values, NaN if there are none. */
static double nan_mean(const double *v, int n)
{
    double sum = 0.0;
    int used = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(v[i])) {
            sum += v[i];
            used++;
        }
    return used == 0 ? NAN : sum / used;
}

enum upernet_status upernet_iou_metrics_compute(const upernet_iou_counts *counts,
                                                upernet_iou_metrics *out, upernet_error *err)
{
    memset(out, 0, sizeof *out);
    const int n = counts->num_classes;
    out->iou = upernet_malloc(2 * (size_t) n * sizeof *out->iou);
    if (out->iou == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "IoU metrics: out of memory");
    out->acc = out->iou + n;
    out->num_classes = n;
    int64_t total_intersect = 0, total_label = 0;
    for (int c = 0; c < n; c++) {
        out->iou[c] = ratio(counts->area_intersect[c], counts->area_union[c]);
        out->acc[c] = ratio(counts->area_intersect[c], counts->area_label[c]);
        total_intersect += counts->area_intersect[c];
        total_label += counts->area_label[c];
    }
    out->aacc = ratio(total_intersect, total_label);
    out->miou = nan_mean(out->iou, n);
    out->macc = nan_mean(out->acc, n);
    return UPERNET_OK;
}

void upernet_iou_metrics_free(upernet_iou_metrics *metrics)
{
    if (metrics == NULL)
        return;
    free(metrics->iou);
    memset(metrics, 0, sizeof *metrics);
}
