/* Dataset evaluation with a model: mmseg's slide window grid and slide
 * logits against PyTorch (data/golden/slide.json.z,
 * tools/make_slide_goldens.py; tiny with the synthetic weights), mmcv's
 * keep-ratio rescale, and the multi-scale + flip probabilities against
 * PyTorch and OpenCV 4.6 (data/golden/msflip.json.z,
 * tools/make_msflip_goldens.py). */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval/eval_internal.h"
#include "tests/golden.h"
#include "tests/testutil.h"
#include "upernet.h"

static json_t *slide_golden;
static json_t *msflip_golden;
static upernet_model *tiny;
static upernet_workspace *ws;

START_TEST(test_slide_grid_matches_mmseg)
{
    json_t *grids = json_object_get(slide_golden, "grids");
    json_t *cases = json_object_get(slide_golden, "cases");
    size_t checked = 0;
    for (int set = 0; set < 2; set++) {
        json_t *list = set == 0 ? grids : cases;
        size_t i;
        json_t *g;
        json_array_foreach(list, i, g) {
            const int h = (int) json_integer_value(json_object_get(g, "height"));
            const int w = (int) json_integer_value(json_object_get(g, "width"));
            const int crop = (int) json_integer_value(json_object_get(g, "crop"));
            const int stride = (int) json_integer_value(json_object_get(g, "stride"));
            const upernet_slide_params params = {crop, crop, stride, stride, 1, 1};
            json_t *want = json_object_get(g, "windows");
            const int n = upernet_slide_windows(h, w, &params, NULL);
            ck_assert_msg(n == (int) json_array_size(want), "%dx%d crop %d stride %d: %d windows, mmseg %zu",
                          h, w, crop, stride, n, json_array_size(want));
            struct upernet_slide_window *windows = malloc((size_t) n * sizeof *windows);
            ck_assert_ptr_nonnull(windows);
            upernet_slide_windows(h, w, &params, windows);
            for (int k = 0; k < n; k++) {
                json_t *wk = json_array_get(want, (size_t) k);
                const int got[4] = {windows[k].y1, windows[k].y2, windows[k].x1, windows[k].x2};
                for (int j = 0; j < 4; j++)
                    ck_assert_msg(got[j] == json_integer_value(json_array_get(wk, (size_t) j)),
                                  "%dx%d crop %d stride %d: window %d differs from mmseg's", h, w,
                                  crop, stride, k);
            }
            free(windows);
            checked++;
        }
    }
    ck_assert_uint_gt(checked, 100);
}
END_TEST

/* The largest |planes[c][y][x] - value| over golden samples [c, y, x,
 * value] of planes of height x width (NaN counts as the worst). */
static double worst_sample_error(json_t *samples, const float *planes, int height, int width)
{
    double worst = 0.0;
    size_t i;
    json_t *s;
    json_array_foreach(samples, i, s) {
        const size_t k = (size_t) json_integer_value(json_array_get(s, 0));
        const size_t y = (size_t) json_integer_value(json_array_get(s, 1));
        const size_t x = (size_t) json_integer_value(json_array_get(s, 2));
        const double diff = fabs(planes[(k * (size_t) height + y) * (size_t) width + x] -
                                 json_real_value(json_array_get(s, 3)));
        worst = diff > worst || isnan(diff) ? diff : worst;
    }
    return worst;
}

START_TEST(test_slide_logits_match_pytorch)
{
    json_t *c = json_array_get(json_object_get(slide_golden, "cases"), (size_t) _i);
    const int h = (int) json_integer_value(json_object_get(c, "height"));
    const int w = (int) json_integer_value(json_object_get(c, "width"));
    const int crop = (int) json_integer_value(json_object_get(c, "crop"));
    const int stride = (int) json_integer_value(json_object_get(c, "stride"));
    const upernet_slide_params params = {crop, crop, stride, stride, 1, 1};
    const int classes = upernet_model_num_labels(tiny);
    float *pixels = malloc(3 * (size_t) h * w * sizeof *pixels);
    float *logits = malloc((size_t) classes * h * w * sizeof *logits);
    ck_assert(pixels != NULL && logits != NULL);
    golden_make_input(h, w, pixels);
    struct upernet_slide_scratch scratch = {0};
    upernet_error err;
    ck_assert_msg(upernet_slide_inference(tiny, ws, pixels, h, w, &params, &scratch, logits, &err) ==
                      UPERNET_OK,
                  "%s", err.message);
    const double worst = worst_sample_error(json_object_get(c, "samples"), logits, h, w);
    ck_assert_msg(worst <= 1e-4, "%dx%d: max |slide logit - PyTorch| = %g", h, w, worst);
    /* The argmax agrees almost everywhere (near-ties may flip within 1e-4). */
    size_t n = 0;
    unsigned char *want = golden_unpack_base64_zlib(
        json_string_value(json_object_get(c, "argmax")), &n);
    ck_assert_uint_eq(n, (size_t) h * w);
    uint16_t *map = malloc((size_t) h * w * sizeof *map);
    upernet_argmax(logits, classes, h, w, map);
    size_t same = 0;
    for (size_t p = 0; p < n; p++)
        same += map[p] == want[p];
    ck_assert_msg((double) same >= 0.999 * (double) n, "%dx%d: argmax agrees on %zu of %zu", h, w,
                  same, n);
    free(map);
    free(want);
    upernet_slide_scratch_free(&scratch);
    free(pixels);
    free(logits);
}
END_TEST

START_TEST(test_rescale_size_like_mmcv)
{
    /* (h, w, long, short) -> (h', w'): int(x * s + 0.5) with
     * s = min(long / max(h, w), short / min(h, w)). */
    static const int cases[][6] = {
        {512, 683, 2048, 512, 512, 683}, {30, 150, 2048, 512, 410, 2048},
        {20, 24, 2048, 512, 512, 614},   {75, 33, 2048, 512, 1164, 512},
        {1000, 1000, 2048, 512, 512, 512}, {120, 40, 256, 64, 192, 64},
        {43, 57, 2560, 640, 640, 848},   {512, 683, 1024, 256, 256, 342},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int h, w;
        upernet_slide_rescale_size(cases[i][0], cases[i][1], cases[i][2], cases[i][3], &h, &w);
        ck_assert_msg(h == cases[i][4] && w == cases[i][5], "%dx%d at (%d, %d): %dx%d, mmcv %dx%d",
                      cases[i][0], cases[i][1], cases[i][2], cases[i][3], h, w, cases[i][4],
                      cases[i][5]);
    }
}
END_TEST

/* create + prepare + infer of `image` with the tiny model. */
static upernet_prediction *predict_with_tiny(const upernet_eval_config *config,
                                             const upernet_image *image)
{
    upernet_error err;
    upernet_prediction *p = upernet_prediction_create(config, &err);
    ck_assert_msg(p != NULL, "%s", err.message);
    ck_assert_msg(upernet_prediction_prepare(p, image, &err) == UPERNET_OK, "%s", err.message);
    ck_assert_msg(upernet_prediction_infer(p, tiny, ws, &err) == UPERNET_OK, "%s", err.message);
    return p;
}

/* A slide prediction of a non-square image: its scores are the slide logits
 * of the image rescaled by upernet_image_resize_opencv to mmcv's keep-ratio
 * size (height, width) and normalised with mmseg's mean and std. A swapped
 * (width, height) anywhere on that path changes them. */
START_TEST(test_slide_prediction_of_non_square_image)
{
    static const float mean[3] = {123.675f, 116.28f, 103.53f};
    static const float std_dev[3] = {58.395f, 57.12f, 57.375f};
    upernet_image image = {0};
    image.height = 30;
    image.width = 70;
    image.rgb = malloc((size_t) image.height * image.width * 3);
    ck_assert(image.rgb != NULL);
    for (int y = 0; y < image.height; y++)
        for (int x = 0; x < image.width; x++)
            for (int c = 0; c < 3; c++)
                image.rgb[((size_t) y * image.width + x) * 3 + c] =
                    (uint8_t) ((x * 7 + y * 3 * (c + 1) + c * 50) % 256);
    upernet_eval_config config = {0};
    config.mode = UPERNET_EVAL_SLIDE;
    config.resize = UPERNET_EVAL_RESIZE_OPENCV;
    config.slide = (upernet_slide_params){32, 32, 24, 24, 140, 60};
    upernet_error err;
    upernet_prediction *p = predict_with_tiny(&config, &image);
    int classes, h, w;
    const float *scores = upernet_prediction_scores(p, &classes, &h, &w);
    ck_assert_int_eq(h, 60); /* min(140 / 70, 60 / 30) = 2 */
    ck_assert_int_eq(w, 140);

    upernet_image rescaled;
    ck_assert_msg(upernet_image_resize_opencv(&image, h, w, &rescaled, &err) == UPERNET_OK, "%s",
                  err.message);
    ck_assert(rescaled.height == h && rescaled.width == w);
    const size_t plane = (size_t) h * w;
    float *pixels = malloc(3 * plane * sizeof *pixels);
    float *want = malloc((size_t) classes * plane * sizeof *want);
    ck_assert(pixels != NULL && want != NULL);
    for (size_t i = 0; i < plane; i++)
        for (int c = 0; c < 3; c++)
            pixels[(size_t) c * plane + i] = ((float) rescaled.rgb[i * 3 + c] - mean[c]) / std_dev[c];
    struct upernet_slide_scratch scratch = {0};
    ck_assert_msg(upernet_slide_inference(tiny, ws, pixels, h, w, &config.slide, &scratch, want,
                                          &err) == UPERNET_OK,
                  "%s", err.message);
    ck_assert_msg(memcmp(scores, want, (size_t) classes * plane * sizeof *want) == 0,
                  "slide scores of a 30x70 image differ from resize(60, 140) + slide inference");
    upernet_slide_scratch_free(&scratch);
    free(pixels);
    free(want);
    upernet_image_free(&rescaled);
    upernet_prediction_free(p);
    upernet_image_free(&image);
}
END_TEST

/* mmseg's multi-scale + flip through the library's prediction API, against
 * tools/make_msflip_goldens.py: 12 views of a 40x56 image from 32x45 (one
 * window smaller than the crop) to 112x157 (2x3 windows). The averaged
 * probabilities are small (1/150 on average), so 1e-4 on them is tight: a
 * view left mirrored, a ratio dropped or a view's windows averaged wrongly
 * moves them by more. */
START_TEST(test_ms_flip_matches_pytorch)
{
    json_t *g = msflip_golden;
    const int H = (int) json_integer_value(json_object_get(g, "height"));
    const int W = (int) json_integer_value(json_object_get(g, "width"));
    const int crop = (int) json_integer_value(json_object_get(g, "crop"));
    const int stride = (int) json_integer_value(json_object_get(g, "stride"));
    json_t *scale = json_object_get(g, "scale");
    size_t n = 0;
    upernet_image image = {H, W, golden_unpack_base64_zlib(
                                     json_string_value(json_object_get(g, "image")), &n)};
    ck_assert_uint_eq(n, (size_t) H * W * 3);
    upernet_eval_config config = {0};
    config.mode = UPERNET_EVAL_SLIDE;
    config.resize = UPERNET_EVAL_RESIZE_OPENCV;
    config.ms_flip = 1;
    config.slide = (upernet_slide_params){crop, crop, stride, stride,
                                          (int) json_integer_value(json_array_get(scale, 0)),
                                          (int) json_integer_value(json_array_get(scale, 1))};
    upernet_error err;
    upernet_prediction *p = predict_with_tiny(&config, &image);
    int classes, h, w;
    const float *probs = upernet_prediction_scores(p, &classes, &h, &w);
    ck_assert(h == H && w == W);
    const size_t plane = (size_t) H * W;

    double worst = worst_sample_error(json_object_get(g, "samples"), probs, H, W);
    json_t *max_prob = json_object_get(g, "max_prob");
    ck_assert_uint_eq(json_array_size(max_prob), plane);
    for (size_t at = 0; at < plane; at++) {
        float top = probs[at];
        for (int k = 1; k < classes; k++)
            top = probs[(size_t) k * plane + at] > top ? probs[(size_t) k * plane + at] : top;
        const double diff = fabs(top - json_real_value(json_array_get(max_prob, at)));
        worst = diff > worst || isnan(diff) ? diff : worst;
    }
    printf("ms-flip %dx%d: max |probability - PyTorch| = %.3g\n", H, W, worst);
    ck_assert_msg(worst <= 1e-4, "ms-flip %dx%d: max |probability - PyTorch| = %g", H, W, worst);

    /* Every pixel's top two golden probabilities are min_top2_margin
     * (2.6e-5) or more apart, over 100 times the error measured above
     * (2e-7), so no near-tie excuses a differing class. */
    unsigned char *want = golden_unpack_base64_zlib(
        json_string_value(json_object_get(g, "argmax")), &n);
    ck_assert_uint_eq(n, plane);
    uint16_t *map = malloc(plane * sizeof *map);
    ck_assert_ptr_nonnull(map);
    ck_assert_msg(upernet_prediction_finish(p, map, &err) == UPERNET_OK, "%s", err.message);
    size_t same = 0;
    for (size_t at = 0; at < plane; at++)
        same += map[at] == want[at];
    ck_assert_msg(same == plane, "ms-flip %dx%d: class map agrees on %zu of %zu pixels", H, W, same,
                  plane);
    free(map);
    free(want);
    upernet_prediction_free(p);
    upernet_image_free(&image);
}
END_TEST

static Suite *eval_suite(void)
{
    Suite *s = suite_create("eval");
    TCase *geometry = tcase_create("geometry");
    tcase_add_test(geometry, test_slide_grid_matches_mmseg);
    tcase_add_test(geometry, test_rescale_size_like_mmcv);
    suite_add_tcase(s, geometry);
    TCase *slide = tcase_create("slide");
    tcase_set_timeout(slide, 600);
    /* UPERNET_TEST_QUICK=1 (qemu, sanitizers): only the last slide case,
     * the image lower than the crop (two windows). The ms-flip golden (42
     * windows of at most 64x64, 1.6 s natively) always runs. */
    const int cases = (int) json_array_size(json_object_get(slide_golden, "cases"));
    const char *quick = getenv("UPERNET_TEST_QUICK");
    tcase_add_test(slide, test_slide_prediction_of_non_square_image);
    tcase_add_test(slide, test_ms_flip_matches_pytorch);
    tcase_add_loop_test(slide, test_slide_logits_match_pytorch,
                        quick != NULL && strcmp(quick, "1") == 0 ? cases - 1 : 0, cases);
    suite_add_tcase(s, slide);
    return s;
}

int main(void)
{
    char path[4096], err_text[512];
    slide_golden = golden_load_json_z(golden_path("slide.json.z", path, sizeof path), err_text,
                                      sizeof err_text);
    if (slide_golden == NULL) {
        fprintf(stderr, "%s\n", err_text);
        return 1;
    }
    msflip_golden = golden_load_json_z(golden_path("msflip.json.z", path, sizeof path), err_text,
                                       sizeof err_text);
    if (msflip_golden == NULL) {
        fprintf(stderr, "%s\n", err_text);
        json_decref(slide_golden);
        return 1;
    }
    upernet_error err;
    if (upernet_model_open("tiny", NULL, &tiny, &err) != UPERNET_OK ||
        upernet_workspace_create(tiny, &ws, &err) != UPERNET_OK) {
        fprintf(stderr, "tiny: %s\n", err.message);
        return 1;
    }
    SRunner *runner = srunner_create(eval_suite());
    srunner_set_fork_status(runner, CK_NOFORK);
    srunner_run_all(runner, CK_NORMAL);
    const int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    upernet_workspace_free(ws);
    upernet_model_free(tiny);
    json_decref(slide_golden);
    json_decref(msflip_golden);
    return failed == 0 ? 0 : 1;
}
