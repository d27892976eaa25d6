/* Dataset evaluation, library side: the IoU counts and metrics against an
 * independent numpy implementation (data/golden/iou.json,
 * tools/make_iou_goldens.py), the OpenCV-exact resize against OpenCV 4.6
 * (data/golden/opencv-resize.json, tools/make_opencv_goldens.py), and
 * annotation loading. */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/sha256.h"
#include "tests/testutil.h"
#include "upernet.h"

static json_t *iou_golden;
static json_t *resize_golden;

static json_t *load_golden(const char *name)
{
    char path[4096];
    json_error_t jerr;
    snprintf(path, sizeof path, "%s/golden/%s", test_data_dir(), name);
    json_t *doc = json_load_file(path, 0, &jerr);
    if (doc == NULL)
        fprintf(stderr, "%s: %s (line %d)\n", path, jerr.text, jerr.line);
    return doc;
}

static void check_counts_vector(const char *case_name, const char *key, const int64_t *got,
                                json_t *want, int n)
{
    ck_assert_int_eq((int) json_array_size(want), n);
    for (int c = 0; c < n; c++)
        ck_assert_msg(got[c] == json_integer_value(json_array_get(want, (size_t) c)),
                      "%s: %s[%d] = %lld, numpy says %lld", case_name, key, c, (long long) got[c],
                      (long long) json_integer_value(json_array_get(want, (size_t) c)));
}

/* A metric against the golden value (null = NaN). */
static void check_metric(const char *case_name, const char *key, double got, json_t *want)
{
    if (json_is_null(want)) {
        ck_assert_msg(isnan(got), "%s: %s = %.17g, numpy says NaN", case_name, key, got);
        return;
    }
    const double w = json_real_value(want);
    ck_assert_msg(fabs(got - w) <= 1e-12, "%s: %s = %.17g, numpy says %.17g", case_name, key, got,
                  w);
}

START_TEST(test_iou_golden)
{
    json_t *entry = json_array_get(json_object_get(iou_golden, "cases"), (size_t) _i);
    const char *name = json_string_value(json_object_get(entry, "name"));
    const int n = (int) json_integer_value(json_object_get(entry, "num_classes"));
    const int reduce = json_is_true(json_object_get(entry, "reduce_zero_label"));
    upernet_error err;
    upernet_iou_counts counts;
    ck_assert_int_eq(upernet_iou_counts_init(&counts, n, &err), UPERNET_OK);
    size_t k;
    json_t *image;
    json_array_foreach(json_object_get(entry, "images"), k, image) {
        json_t *pred_json = json_object_get(image, "pred");
        json_t *label_json = json_object_get(image, "labels");
        const size_t pixels = json_array_size(pred_json);
        ck_assert_uint_eq(pixels, json_array_size(label_json));
        uint16_t *pred = malloc(pixels * sizeof *pred);
        uint8_t *labels = malloc(pixels);
        ck_assert(pred != NULL && labels != NULL);
        for (size_t i = 0; i < pixels; i++) {
            pred[i] = (uint16_t) json_integer_value(json_array_get(pred_json, i));
            labels[i] = (uint8_t) json_integer_value(json_array_get(label_json, i));
        }
        ck_assert_int_eq(upernet_iou_counts_add(&counts, pred, labels, pixels, reduce, &err),
                         UPERNET_OK);
        free(pred);
        free(labels);
    }
    ck_assert_int_eq(counts.images, (int64_t) json_array_size(json_object_get(entry, "images")));
    check_counts_vector(name, "area_intersect", counts.area_intersect,
                        json_object_get(entry, "area_intersect"), n);
    check_counts_vector(name, "area_union", counts.area_union, json_object_get(entry, "area_union"),
                        n);
    check_counts_vector(name, "area_pred", counts.area_pred, json_object_get(entry, "area_pred"), n);
    check_counts_vector(name, "area_label", counts.area_label, json_object_get(entry, "area_label"),
                        n);
    ck_assert_int_eq(counts.out_of_range_labels,
                     json_integer_value(json_object_get(entry, "out_of_range_labels")));

    upernet_iou_metrics metrics;
    ck_assert_int_eq(upernet_iou_metrics_compute(&counts, &metrics, &err), UPERNET_OK);
    for (int c = 0; c < n; c++) {
        check_metric(name, "IoU", metrics.iou[c],
                     json_array_get(json_object_get(entry, "IoU"), (size_t) c));
        check_metric(name, "Acc", metrics.acc[c],
                     json_array_get(json_object_get(entry, "Acc"), (size_t) c));
    }
    check_metric(name, "aAcc", metrics.aacc, json_object_get(entry, "aAcc"));
    check_metric(name, "mIoU", metrics.miou, json_object_get(entry, "mIoU"));
    check_metric(name, "mAcc", metrics.macc, json_object_get(entry, "mAcc"));
    upernet_iou_metrics_free(&metrics);
    upernet_iou_counts_free(&counts);
}
END_TEST

/* Reduction on and off read the same raw values differently. */
START_TEST(test_reduce_zero_label_rules)
{
    /* raw:       0    1  2  3  4    5  254  255 */
    const uint8_t raw[8] = {0, 1, 2, 3, 4, 5, 254, 255};
    const uint16_t pred[8] = {0, 0, 1, 1, 3, 2, 1, 2};
    upernet_error err;
    upernet_iou_counts on, off;
    ck_assert_int_eq(upernet_iou_counts_init(&on, 4, &err), UPERNET_OK);
    ck_assert_int_eq(upernet_iou_counts_init(&off, 4, &err), UPERNET_OK);
    ck_assert_int_eq(upernet_iou_counts_add(&on, pred, raw, 8, 1, &err), UPERNET_OK);
    ck_assert_int_eq(upernet_iou_counts_add(&off, pred, raw, 8, 0, &err), UPERNET_OK);
    /* on: labels x 0 1 2 3 4 253 x -> counted 6 pixels, out of range 4 and 253 */
    ck_assert_int_eq(on.out_of_range_labels, 2);
    const int64_t on_label[4] = {1, 1, 1, 1}, on_inter[4] = {1, 1, 0, 1},
                  on_pred[4] = {1, 3, 1, 1};
    /* off: labels 0 1 2 3 4 5 254 x -> counted 7, out of range 4, 5, 254 */
    ck_assert_int_eq(off.out_of_range_labels, 3);
    const int64_t off_label[4] = {1, 1, 1, 1}, off_inter[4] = {1, 0, 0, 0},
                  off_pred[4] = {2, 3, 1, 1};
    for (int c = 0; c < 4; c++) {
        ck_assert_int_eq(on.area_label[c], on_label[c]);
        ck_assert_int_eq(on.area_intersect[c], on_inter[c]);
        ck_assert_int_eq(on.area_pred[c], on_pred[c]);
        ck_assert_int_eq(off.area_label[c], off_label[c]);
        ck_assert_int_eq(off.area_intersect[c], off_inter[c]);
        ck_assert_int_eq(off.area_pred[c], off_pred[c]);
    }
    /* Merging sums everything, images included. */
    ck_assert_int_eq(upernet_iou_counts_merge(&on, &off, &err), UPERNET_OK);
    ck_assert_int_eq(on.images, 2);
    ck_assert_int_eq(on.out_of_range_labels, 5);
    ck_assert_int_eq(on.area_pred[1], 6);
    upernet_iou_counts_free(&on);
    upernet_iou_counts_free(&off);
}
END_TEST

START_TEST(test_counts_refuse_bad_input)
{
    upernet_error err;
    upernet_iou_counts a, b;
    ck_assert_int_eq(upernet_iou_counts_init(&a, 0, &err), UPERNET_ERR_ARGUMENT);
    ck_assert_int_eq(upernet_iou_counts_init(&a, 3, &err), UPERNET_OK);
    ck_assert_int_eq(upernet_iou_counts_init(&b, 4, &err), UPERNET_OK);
    const uint16_t pred[2] = {1, 3};
    const uint8_t labels[2] = {1, 1};
    ck_assert_int_eq(upernet_iou_counts_add(&a, pred, labels, 2, 0, &err), UPERNET_ERR_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "prediction 3"));
    ck_assert_int_eq(a.images, 0);
    ck_assert_int_eq(a.area_pred[1], 0);
    ck_assert_int_eq(upernet_iou_counts_merge(&a, &b, &err), UPERNET_ERR_MISMATCH);
    upernet_iou_counts_free(&a);
    upernet_iou_counts_free(&b);
}
END_TEST

START_TEST(test_opencv_resize_golden)
{
    json_t *entry = json_array_get(json_object_get(resize_golden, "cases"), (size_t) _i);
    const char *file = json_string_value(json_object_get(entry, "file"));
    const int w = (int) json_integer_value(json_object_get(entry, "width"));
    const int h = (int) json_integer_value(json_object_get(entry, "height"));
    char path[4096];
    snprintf(path, sizeof path, "%s/images/%s", test_data_dir(), file);
    upernet_error err;
    upernet_image image, resized;
    ck_assert_msg(upernet_image_load(path, &image, &err) == UPERNET_OK, "%s", err.message);
    ck_assert_msg(upernet_image_resize_opencv(&image, h, w, &resized, &err) == UPERNET_OK, "%s",
                  err.message);
    size_t k;
    json_t *sample;
    json_array_foreach(json_object_get(entry, "samples"), k, sample) {
        const size_t at = (size_t) json_integer_value(json_array_get(sample, 0));
        ck_assert_msg(resized.rgb[at] == json_integer_value(json_array_get(sample, 1)),
                      "%s %dx%d -> %dx%d: byte %zu is %d, OpenCV says %lld", file, image.width,
                      image.height, w, h, at, resized.rgb[at],
                      (long long) json_integer_value(json_array_get(sample, 1)));
    }
    char hex[65];
    test_sha256_hex(resized.rgb, (size_t) w * (size_t) h * 3, hex);
    ck_assert_msg(strcmp(hex, json_string_value(json_object_get(entry, "sha256"))) == 0,
                  "%s %dx%d -> %dx%d: bytes differ from OpenCV's", file, image.width, image.height,
                  w, h);
    upernet_image_free(&image);
    upernet_image_free(&resized);
}
END_TEST

static enum upernet_status load_fixture_annotation(const char *name, upernet_annotation *out,
                                                   upernet_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/images/%s", test_data_dir(), name);
    return upernet_annotation_load(path, out, err);
}

START_TEST(test_annotation_layouts)
{
    upernet_error err;
    upernet_annotation a, p;
    upernet_image rgb;
    char path[4096];
    /* 8-bit gray: the samples themselves (the RGB decode replicates them). */
    ck_assert_int_eq(load_fixture_annotation("png-gray8-31x17.png", &a, &err), UPERNET_OK);
    ck_assert_int_eq(a.width, 31);
    ck_assert_int_eq(a.height, 17);
    snprintf(path, sizeof path, "%s/images/png-gray8-31x17.png", test_data_dir());
    ck_assert_int_eq(upernet_image_load(path, &rgb, &err), UPERNET_OK);
    for (int i = 0; i < 31 * 17; i++)
        ck_assert_int_eq(a.labels[i], rgb.rgb[3 * i]);
    upernet_image_free(&rgb);
    upernet_annotation_free(&a);
    /* Palette: the indices, not the colours. */
    ck_assert_int_eq(load_fixture_annotation("png-palette4-30x22.png", &p, &err), UPERNET_OK);
    int max_index = 0;
    for (int i = 0; i < 30 * 22; i++)
        max_index = p.labels[i] > max_index ? p.labels[i] : max_index;
    ck_assert_int_le(max_index, 15);
    ck_assert_int_gt(max_index, 0);
    upernet_annotation_free(&p);
    /* Refused, naming the file and what it holds. */
    ck_assert_int_eq(load_fixture_annotation("png-gray16-29x19.png", &a, &err),
                     UPERNET_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err.message, "png-gray16-29x19.png"));
    ck_assert_ptr_nonnull(strstr(err.message, "16-bit grayscale"));
    ck_assert_ptr_null(a.labels);
    ck_assert_int_eq(load_fixture_annotation("png-rgb8-41x37.png", &a, &err),
                     UPERNET_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err.message, "8-bit RGB"));
    ck_assert_int_eq(load_fixture_annotation("jpeg-1x1.jpg", &a, &err), UPERNET_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.message, "not a PNG"));
    ck_assert_int_eq(load_fixture_annotation("no-such-file.png", &a, &err), UPERNET_ERR_IO);
}
END_TEST

static Suite *eval_counts_suite(void)
{
    Suite *s = suite_create("eval-counts");
    TCase *iou = tcase_create("iou");
    tcase_add_loop_test(iou, test_iou_golden, 0,
                        (int) json_array_size(json_object_get(iou_golden, "cases")));
    tcase_add_test(iou, test_reduce_zero_label_rules);
    tcase_add_test(iou, test_counts_refuse_bad_input);
    suite_add_tcase(s, iou);
    TCase *resize = tcase_create("opencv-resize");
    tcase_set_timeout(resize, 60);
    tcase_add_loop_test(resize, test_opencv_resize_golden, 0,
                        (int) json_array_size(json_object_get(resize_golden, "cases")));
    suite_add_tcase(s, resize);
    TCase *annotations = tcase_create("annotations");
    tcase_add_test(annotations, test_annotation_layouts);
    suite_add_tcase(s, annotations);
    return s;
}

int main(void)
{
    iou_golden = load_golden("iou.json");
    resize_golden = load_golden("opencv-resize.json");
    if (iou_golden == NULL || resize_golden == NULL)
        return 1;
    SRunner *runner = srunner_create(eval_counts_suite());
    srunner_run_all(runner, CK_NORMAL);
    const int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    json_decref(iou_golden);
    json_decref(resize_golden);
    return failed == 0 ? 0 : 1;
}
