/* Images in: decoding and preprocessing against the Pillow goldens
 * (data/golden/images.json, made by tools/make_image_fixtures.py with the
 * Pillow that links the same libjpeg-turbo), Pillow's resize coefficients
 * (REFERENCE.md §2.3), and hostile files that must be refused cleanly. */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "image/image_internal.h"
#include "tests/sha256.h"
#include "tests/testutil.h"
#include "upernet.h"

static json_t *golden;      /* the parsed images.json */
static size_t golden_count; /* entries in golden["images"] */

static char *data_path(const char *relative)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", test_data_dir(), relative);
    return path;
}

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    const long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = malloc((size_t) n + 1);
    ck_assert_ptr_nonnull(data);
    ck_assert_uint_eq(fread(data, 1, (size_t) n, f), (size_t) n);
    fclose(f);
    *size = (size_t) n;
    return data;
}

/* ------------------------------------------------ resize coefficients */

static void check_taps(const struct upernet_resample_axis *axis, int i, int first,
                       const int32_t *expected, int n)
{
    ck_assert_int_eq(axis->first[i], first);
    ck_assert_int_eq(axis->count[i], n);
    int64_t sum = 0;
    for (int t = 0; t < n; t++) {
        ck_assert_msg(axis->coeffs[(size_t) i * axis->ksize + t] == expected[t],
                      "output %d tap %d: %d, expected %d", i, t,
                      axis->coeffs[(size_t) i * axis->ksize + t], expected[t]);
        sum += expected[t];
    }
    ck_assert_int_eq(sum, 1 << 22);
}

START_TEST(test_coefficients_683_to_512)
{
    struct upernet_resample_axis axis;
    ck_assert_int_eq(upernet_resample_axis_init(&axis, 683, 512, NULL), UPERNET_OK);
    ck_assert_int_eq(axis.ksize, 5);
    check_taps(&axis, 0, 0, (const int32_t[]){2934539, 1259765}, 2);
    check_taps(&axis, 1, 1, (const int32_t[]){2094696, 2099608}, 2);
    check_taps(&axis, 2, 2, (const int32_t[]){1139441, 2669103, 385760}, 3);
    check_taps(&axis, 3, 3, (const int32_t[]){377644, 2665852, 1150808}, 3);
    check_taps(&axis, 255, 339, (const int32_t[]){2454, 2515601, 1676249}, 3);
    check_taps(&axis, 511, 681, (const int32_t[]){1259765, 2934539}, 2);
    upernet_resample_axis_free(&axis);
}
END_TEST

START_TEST(test_coefficients_300_to_512)
{
    struct upernet_resample_axis axis;
    ck_assert_int_eq(upernet_resample_axis_init(&axis, 300, 512, NULL), UPERNET_OK);
    ck_assert_int_eq(axis.ksize, 3);
    check_taps(&axis, 0, 0, (const int32_t[]){4194304}, 1);
    check_taps(&axis, 1, 0, (const int32_t[]){2605056, 1589248}, 2);
    upernet_resample_axis_free(&axis);
}
END_TEST

START_TEST(test_resize_same_size_is_copy)
{
    uint8_t pixels[2 * 3 * 3];
    for (size_t i = 0; i < sizeof pixels; i++)
        pixels[i] = (uint8_t) (i * 37);
    const upernet_image src = {3, 2, pixels};
    upernet_image dst;
    ck_assert_int_eq(upernet_image_resize(&src, 3, 2, &dst, NULL), UPERNET_OK);
    ck_assert_mem_eq(dst.rgb, pixels, sizeof pixels);
    upernet_image_free(&dst);
}
END_TEST

/* ------------------------------------------------------ goldens */

START_TEST(test_golden_image)
{
    json_t *entry = json_array_get(json_object_get(golden, "images"), (size_t) _i);
    const char *file = json_string_value(json_object_get(entry, "file"));
    char relative[512];
    snprintf(relative, sizeof relative, "images/%s", file);
    upernet_image image;
    upernet_error err;
    const enum upernet_status status = upernet_image_load(data_path(relative), &image, &err);
    ck_assert_msg(status == UPERNET_OK, "%s: %s", file, err.message);
    ck_assert_int_eq(image.width, json_integer_value(json_object_get(entry, "width")));
    ck_assert_int_eq(image.height, json_integer_value(json_object_get(entry, "height")));

    /* Decoded RGB: samples first (they say where it goes wrong), then the hash. */
    const size_t n_bytes = (size_t) image.width * (size_t) image.height * 3;
    size_t k;
    json_t *sample;
    json_array_foreach(json_object_get(entry, "rgb_samples"), k, sample) {
        const size_t at = (size_t) json_integer_value(json_array_get(sample, 0));
        const int want = (int) json_integer_value(json_array_get(sample, 1));
        ck_assert_msg(at < n_bytes && image.rgb[at] == want, "%s: rgb byte %zu is %d, Pillow %d",
                      file, at, at < n_bytes ? image.rgb[at] : -1, want);
    }
    char hex[65];
    test_sha256_hex(image.rgb, n_bytes, hex);
    ck_assert_msg(strcmp(hex, json_string_value(json_object_get(entry, "rgb_sha256"))) == 0,
                  "%s: decoded RGB differs from Pillow's", file);

    /* pixel_values at each golden size. */
    json_t *pv;
    json_array_foreach(json_object_get(entry, "pixel_values"), k, pv) {
        const int h = (int) json_integer_value(json_object_get(pv, "height"));
        const int w = (int) json_integer_value(json_object_get(pv, "width"));
        const size_t n = (size_t) 3 * (size_t) h * (size_t) w;
        float *values = malloc(n * sizeof *values);
        ck_assert_ptr_nonnull(values);
        ck_assert_int_eq(upernet_preprocess(&image, h, w, values, NULL), UPERNET_OK);
        size_t s;
        json_t *ps;
        json_array_foreach(json_object_get(pv, "samples"), s, ps) {
            const size_t at = (size_t) json_integer_value(json_array_get(ps, 0));
            const float want = (float) json_real_value(json_array_get(ps, 1));
            ck_assert_msg(at < n && values[at] == want, "%s at %dx%d: value %zu is %.9g, expected %.9g",
                          file, w, h, at, at < n ? values[at] : 0.0f, want);
        }
        test_sha256_hex(values, n * sizeof *values, hex);
        ck_assert_msg(strcmp(hex, json_string_value(json_object_get(pv, "sha256"))) == 0,
                      "%s: pixel_values at %dx%d differ from the processor's", file, w, h);
        free(values);
    }
    upernet_image_free(&image);
}
END_TEST

/* ------------------------------------------------------ hostile input */

static void expect_refused(const uint8_t *data, size_t size, enum upernet_status expected,
                           const char *what)
{
    upernet_image image = {7, 7, (uint8_t *) 1};
    upernet_error err;
    const enum upernet_status status = upernet_image_decode(data, size, "hostile.img", &image, &err);
    ck_assert_msg(status != UPERNET_OK, "%s: accepted", what);
    if (expected != UPERNET_OK)
        ck_assert_msg(status == expected, "%s: status %s, expected %s (%s)", what,
                      upernet_status_name(status), upernet_status_name(expected), err.message);
    ck_assert_msg(strstr(err.message, "hostile.img") != NULL, "%s: message without the file name: %s",
                  what, err.message);
    ck_assert_ptr_null(image.rgb);
    ck_assert_int_eq(image.width, 0);
}

START_TEST(test_empty_and_unknown)
{
    expect_refused((const uint8_t *) "", 0, UPERNET_ERR_FORMAT, "zero bytes");
    expect_refused((const uint8_t *) "GIF89a\x01\x00\x01\x00", 10, UPERNET_ERR_UNSUPPORTED, "GIF");
    expect_refused((const uint8_t *) "\xff\xd8\xff", 3, UPERNET_ERR_FORMAT, "bare SOI");
    expect_refused((const uint8_t *) "\x89PNG\r\n\x1a\n", 8, UPERNET_OK, "bare PNG signature");
    upernet_image image;
    upernet_error err;
    ck_assert_int_eq(upernet_image_load(data_path("images/does-not-exist.png"), &image, &err),
                     UPERNET_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.message, "does-not-exist.png"));
    ck_assert_int_eq(upernet_image_load(test_data_dir(), &image, &err), UPERNET_ERR_IO);
}
END_TEST

/* Every proper prefix of a valid file shorter than `complete_below` bytes is
 * refused, never decoded or crashed on. Longer prefixes may decode (Pillow
 * accepts a PNG whose image data is complete but whose last CRC or IEND is
 * missing), but then to the same pixels as the whole file. */
static void check_truncations(const char *relative, size_t step, size_t tail_allowed)
{
    size_t size;
    uint8_t *data = read_file(data_path(relative), &size);
    upernet_image whole;
    ck_assert_int_eq(upernet_image_decode(data, size, relative, &whole, NULL), UPERNET_OK);
    for (size_t cut = 0; cut < size; cut += (cut < 64 || size - cut < 64) ? 1 : step) {
        uint8_t *copy = malloc(cut + 1); /* exact size, so ASan/valgrind see over-reads */
        memcpy(copy, data, cut);
        char what[128];
        snprintf(what, sizeof what, "%s cut to %zu of %zu bytes", relative, cut, size);
        if (cut + tail_allowed >= size) {
            upernet_image image;
            if (upernet_image_decode(copy, cut, "hostile.img", &image, NULL) == UPERNET_OK) {
                ck_assert_msg(image.width == whole.width && image.height == whole.height &&
                                  memcmp(image.rgb, whole.rgb, (size_t) whole.width * whole.height * 3) == 0,
                              "%s: decoded to different pixels", what);
                upernet_image_free(&image);
            }
        } else {
            expect_refused(copy, cut, UPERNET_OK, what);
        }
        free(copy);
    }
    upernet_image_free(&whole);
    free(data);
}

START_TEST(test_truncated_jpeg) { check_truncations("images/jpeg-420-37x23.jpg", 7, 0); }
END_TEST

START_TEST(test_truncated_progressive_jpeg) { check_truncations("images/jpeg-progressive-80x60.jpg", 13, 0); }
END_TEST

START_TEST(test_truncated_png) { check_truncations("images/png-rgb8-41x37.png", 11, 16); /* IEND + last CRC */ }
END_TEST

START_TEST(test_huge_jpeg_dimensions)
{
    size_t size;
    uint8_t *data = read_file(data_path("images/jpeg-420-37x23.jpg"), &size);
    size_t sof = 0;
    for (size_t i = 2; i + 9 < size; i++)
        if (data[i] == 0xff && data[i + 1] == 0xc0) {
            sof = i;
            break;
        }
    ck_assert_uint_gt(sof, 0);
    /* 65535 x 65535: 4.3 gigapixels, refused before any allocation. */
    data[sof + 5] = data[sof + 6] = data[sof + 7] = data[sof + 8] = 0xff;
    expect_refused(data, size, UPERNET_ERR_LIMIT, "65535x65535 JPEG");
    /* A zero height (DNL-defined) is not supported either. */
    data[sof + 5] = data[sof + 6] = 0;
    expect_refused(data, size, UPERNET_ERR_UNSUPPORTED, "JPEG with height 0");
    free(data);
}
END_TEST

static void set_png_size(uint8_t *png, uint32_t width, uint32_t height)
{
    /* IHDR data starts at byte 16; its CRC covers type + data (bytes 12..28). */
    const uint32_t v[2] = {width, height};
    for (int k = 0; k < 2; k++)
        for (int b = 0; b < 4; b++)
            png[16 + 4 * k + b] = (uint8_t) (v[k] >> (24 - 8 * b));
    const uLong crc = crc32(0, png + 12, 17);
    for (int b = 0; b < 4; b++)
        png[29 + b] = (uint8_t) (crc >> (24 - 8 * b));
}

START_TEST(test_huge_png_dimensions)
{
    size_t size;
    uint8_t *data = read_file(data_path("images/png-rgb8-41x37.png"), &size);
    set_png_size(data, 100000, 100000);
    expect_refused(data, size, UPERNET_ERR_LIMIT, "100000x100000 PNG");
    set_png_size(data, 1u << 28, 2);
    expect_refused(data, size, UPERNET_ERR_LIMIT, "2^28 x 2 PNG");
    /* Plausible size, but the pixel data is far too short. */
    set_png_size(data, 4000, 3000);
    expect_refused(data, size, UPERNET_OK, "4000x3000 PNG with 41x37 data");
    /* A bad CRC on IHDR. */
    set_png_size(data, 41, 37);
    data[29] ^= 1;
    expect_refused(data, size, UPERNET_ERR_FORMAT, "PNG with a corrupt IHDR CRC");
    free(data);
}
END_TEST

START_TEST(test_corrupt_bytes_never_crash)
{
    /* Flip bytes all over a JPEG and a PNG: each result is an image of the
     * right size or a clean error. */
    const char *files[] = {"images/jpeg-422-64x48.jpg", "images/png-palette4-30x22.png"};
    for (int f = 0; f < 2; f++) {
        size_t size;
        uint8_t *data = read_file(data_path(files[f]), &size);
        uint64_t seed = 0x2545F4914F6CDD1Dull;
        for (int trial = 0; trial < 200; trial++) {
            uint8_t *copy = malloc(size);
            memcpy(copy, data, size);
            for (int k = 0; k < 4; k++) {
                seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
                copy[2 + seed % (size - 2)] ^= (uint8_t) (seed >> 32) | 1;
            }
            upernet_image image;
            upernet_error err;
            if (upernet_image_decode(copy, size, "fuzzed", &image, &err) == UPERNET_OK) {
                ck_assert_int_gt(image.width, 0);
                ck_assert_int_gt(image.height, 0);
                upernet_image_free(&image);
            } else {
                ck_assert_ptr_null(image.rgb);
            }
            free(copy);
        }
        free(data);
    }
}
END_TEST

START_TEST(test_cmyk_formula)
{
    /* Spot values of Pillow's cmyk2rgb (on Adobe-inverted CMYK). */
    uint8_t rgb[3];
    upernet_cmyk_to_rgb((const uint8_t[]){0, 0, 0, 0}, rgb);
    ck_assert(rgb[0] == 255 && rgb[1] == 255 && rgb[2] == 255);
    upernet_cmyk_to_rgb((const uint8_t[]){255, 128, 0, 0}, rgb);
    ck_assert(rgb[0] == 0 && rgb[1] == 127 && rgb[2] == 255);
    upernet_cmyk_to_rgb((const uint8_t[]){100, 200, 50, 255}, rgb);
    ck_assert(rgb[0] == 0 && rgb[1] == 0 && rgb[2] == 0);
    upernet_cmyk_to_rgb((const uint8_t[]){100, 200, 50, 60}, rgb);
    /* nk = 195: 195 - round(100*195/255) = 195 - 76 = 119, 195 - 153 = 42, 195 - 38 = 157 */
    ck_assert_int_eq(rgb[0], 119);
    ck_assert_int_eq(rgb[1], 42);
    ck_assert_int_eq(rgb[2], 157);
}
END_TEST

START_TEST(test_preprocess_range)
{
    /* The normalised extremes of §2.4: v = 0 and 255 per channel. */
    uint8_t pixels[6] = {0, 0, 0, 255, 255, 255};
    const upernet_image image = {2, 1, pixels};
    float out[6];
    ck_assert_int_eq(upernet_preprocess(&image, 1, 2, out, NULL), UPERNET_OK);
    ck_assert_float_eq(out[0], (0.0f - 0.485f) / 0.229f);
    ck_assert_float_eq(out[1], (1.0f - 0.485f) / 0.229f);
    ck_assert_float_eq(out[5], (1.0f - 0.406f) / 0.225f);
}
END_TEST

static Suite *images_suite(void)
{
    Suite *s = suite_create("images");
    TCase *resize = tcase_create("resize");
    tcase_add_test(resize, test_coefficients_683_to_512);
    tcase_add_test(resize, test_coefficients_300_to_512);
    tcase_add_test(resize, test_resize_same_size_is_copy);
    tcase_add_test(resize, test_preprocess_range);
    suite_add_tcase(s, resize);
    TCase *goldens = tcase_create("pillow-goldens");
    tcase_set_timeout(goldens, 120);
    tcase_add_loop_test(goldens, test_golden_image, 0, (int) golden_count);
    suite_add_tcase(s, goldens);
    TCase *hostile = tcase_create("hostile");
    tcase_set_timeout(hostile, 120);
    tcase_add_test(hostile, test_empty_and_unknown);
    tcase_add_test(hostile, test_truncated_jpeg);
    tcase_add_test(hostile, test_truncated_progressive_jpeg);
    tcase_add_test(hostile, test_truncated_png);
    tcase_add_test(hostile, test_huge_jpeg_dimensions);
    tcase_add_test(hostile, test_huge_png_dimensions);
    tcase_add_test(hostile, test_corrupt_bytes_never_crash);
    tcase_add_test(hostile, test_cmyk_formula);
    suite_add_tcase(s, hostile);
    return s;
}

int main(void)
{
    json_error_t jerr;
    char path[4096];
    snprintf(path, sizeof path, "%s/golden/images.json", test_data_dir());
    golden = json_load_file(path, 0, &jerr);
    if (golden == NULL) {
        fprintf(stderr, "%s: %s (line %d)\n", path, jerr.text, jerr.line);
        return 1;
    }
    golden_count = json_array_size(json_object_get(golden, "images"));
    if (golden_count == 0) {
        fprintf(stderr, "%s: no images\n", path);
        return 1;
    }
    SRunner *runner = srunner_create(images_suite());
    srunner_run_all(runner, CK_NORMAL);
    const int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    json_decref(golden);
    return failed == 0 ? 0 : 1;
}
