/* Images in: decoding and preprocessing against the Pillow goldens
 * (data/golden/images.json, made by tools/make_image_fixtures.py with the
 * Pillow that links the same libjpeg-turbo), Pillow's resize coefficients
 * (docs/SPECIFICATION.md §2.3), and hostile files that must be refused cleanly. */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "image/image_internal.h"
#include "tests/sha256.h"
#include "tests/testutil.h"
#include "upernet.h"

static json_t *golden;      /* the parsed images.json */
static size_t golden_count; /* entries in golden["images"] */
static json_t *golden13;    /* images-pillow13.json: transformers on Pillow 13 */

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
    const upernet_image src = {.height = 2, .width = 3, .rgb = pixels};
    upernet_image dst;
    ck_assert_int_eq(upernet_image_resize(&src, 2, 3, &dst, NULL), UPERNET_OK);
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

/* The same images through transformers' processor on Pillow 13, whose
 * resize runs the vertical pass first for some shapes: reproduced by
 * UPERNET_RESIZE_PILLOW_13, and at least one case must differ from the
 * classic order (or this test would not test the switch). */
START_TEST(test_golden_pillow13)
{
    json_t *images = json_object_get(golden13, "images");
    int differing_cases = 0;
    size_t i;
    json_t *entry;
    json_array_foreach(images, i, entry) {
        const char *file = json_string_value(json_object_get(entry, "file"));
        char relative[512];
        snprintf(relative, sizeof relative, "images/%s", file);
        upernet_image image;
        upernet_error err;
        ck_assert_msg(upernet_image_load(data_path(relative), &image, &err) == UPERNET_OK, "%s: %s",
                      file, err.message);
        size_t k;
        json_t *pv;
        json_array_foreach(json_object_get(entry, "pixel_values"), k, pv) {
            const int h = (int) json_integer_value(json_object_get(pv, "height"));
            const int w = (int) json_integer_value(json_object_get(pv, "width"));
            const size_t n = (size_t) 3 * (size_t) h * (size_t) w;
            float *values = malloc(n * sizeof *values);
            ck_assert_ptr_nonnull(values);
            ck_assert_int_eq(upernet_preprocess_compat(&image, h, w, UPERNET_RESIZE_PILLOW_13,
                                                       values, NULL),
                             UPERNET_OK);
            char hex[65];
            test_sha256_hex(values, n * sizeof *values, hex);
            ck_assert_msg(strcmp(hex, json_string_value(json_object_get(pv, "sha256"))) == 0,
                          "%s: Pillow 13 pixel_values at %dx%d differ", file, w, h);
            differing_cases += !json_is_true(json_object_get(pv, "same_as_classic"));
            ck_assert_int_eq(!json_is_true(json_object_get(pv, "same_as_classic")),
                             upernet_resize_vertical_first(image.width, image.height, w, h,
                                                           UPERNET_RESIZE_PILLOW_13));
            free(values);
        }
        upernet_image_free(&image);
    }
    ck_assert_int_gt(differing_cases, 0);
}
END_TEST

/* Non-default preprocessor_config.json files (data/golden/processor-*.json)
 * against transformers' SegformerImageProcessorPil built from them
 * (processor-configs.json): the same pixel_values, bit for bit. */
START_TEST(test_processor_configs)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", data_path("golden/processor-configs.json"));
    json_error_t jerr;
    json_t *cases_doc = json_load_file(path, 0, &jerr);
    ck_assert_msg(cases_doc != NULL, "%s: %s", path, jerr.text);
    json_t *cases = json_object_get(cases_doc, "cases");
    ck_assert_int_ge(json_array_size(cases), 4);
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        char relative[512];
        snprintf(relative, sizeof relative, "golden/%s",
                 json_string_value(json_object_get(c, "config")));
        upernet_preprocessing p;
        upernet_error err;
        ck_assert_msg(upernet_preprocessing_load(data_path(relative), &p, &err) == UPERNET_OK,
                      "%s", err.message);
        snprintf(relative, sizeof relative, "images/%s",
                 json_string_value(json_object_get(c, "file")));
        upernet_image image;
        ck_assert(upernet_image_load(data_path(relative), &image, &err) == UPERNET_OK);
        int h, w;
        upernet_preprocessing_output_size(&p, &image, &h, &w);
        ck_assert_int_eq(h, (int) json_integer_value(json_object_get(c, "height")));
        ck_assert_int_eq(w, (int) json_integer_value(json_object_get(c, "width")));
        const size_t n = (size_t) 3 * (size_t) h * (size_t) w;
        float *values = malloc(n * sizeof *values);
        ck_assert_ptr_nonnull(values);
        ck_assert_int_eq(upernet_preprocess_with(&image, &p, UPERNET_RESIZE_PILLOW_CLASSIC, values,
                                                 &err),
                         UPERNET_OK);
        size_t k;
        json_t *sample;
        json_array_foreach(json_object_get(c, "samples"), k, sample) {
            const size_t at = (size_t) json_integer_value(json_array_get(sample, 0));
            const double want = json_real_value(json_array_get(sample, 1));
            ck_assert_msg((double) values[at] == want, "%s: value %zu = %.9g, transformers %.9g",
                          relative, at, (double) values[at], want);
        }
        char hex[65];
        test_sha256_hex(values, n * sizeof *values, hex);
        ck_assert_msg(strcmp(hex, json_string_value(json_object_get(c, "sha256"))) == 0,
                      "%s with %s: pixel_values differ from transformers'", relative,
                      json_string_value(json_object_get(c, "config")));
        free(values);
        upernet_image_free(&image);
    }
    json_decref(cases_doc);
}
END_TEST

/* What upernet cannot reproduce is refused, naming the file and the key;
 * the defaults are SegformerImageProcessor()'s. */
START_TEST(test_processor_config_errors)
{
    static const struct {
        const char *json;
        enum upernet_status status;
        const char *part;
    } bad[] = {
        {"{\"resample\": 3}", UPERNET_ERR_UNSUPPORTED, "resample = 3 (BICUBIC)"},
        {"{\"size\": {\"shortest_edge\": 512}}", UPERNET_ERR_UNSUPPORTED, "size must be"},
        {"{\"image_processor_type\": \"BeitImageProcessor\"}", UPERNET_ERR_UNSUPPORTED,
         "BeitImageProcessor"},
        {"{\"do_resize\": 1}", UPERNET_ERR_FORMAT, "do_resize must be true or false"},
        {"{\"image_std\": [0.5, 0, 0.5]}", UPERNET_ERR_ARGUMENT, "image_std[1] is 0"},
        {"{\"image_mean\": [0.5, 0.5]}", UPERNET_ERR_FORMAT, "image_mean must be"},
        {"{\"rescale_factor\": -1}", UPERNET_ERR_FORMAT, "rescale_factor"},
        {"[1]", UPERNET_ERR_FORMAT, "top level"},
        {"{", UPERNET_ERR_FORMAT, "invalid JSON"},
    };
    char path[] = "/tmp/upernet-processor-XXXXXX";
    const int fd = mkstemp(path);
    ck_assert(fd >= 0);
    close(fd);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FILE *f = fopen(path, "w");
        fputs(bad[i].json, f);
        fclose(f);
        upernet_preprocessing p;
        upernet_error err;
        ck_assert_msg(upernet_preprocessing_load(path, &p, &err) == bad[i].status, "%s: %s",
                      bad[i].json, err.message);
        ck_assert_msg(strstr(err.message, bad[i].part) && strstr(err.message, path), "%s: %s",
                      bad[i].json, err.message);
    }
    FILE *f = fopen(path, "w");
    fputs("{\"do_reduce_labels\": true}", f);
    fclose(f);
    upernet_preprocessing p, defaults;
    upernet_error err;
    ck_assert(upernet_preprocessing_load(path, &p, &err) == UPERNET_OK);
    upernet_preprocessing_init(&defaults);
    /* Field by field: the struct has padding, which memcmp would compare. */
    ck_assert(p.do_resize == defaults.do_resize && p.height == defaults.height &&
              p.width == defaults.width && p.do_rescale == defaults.do_rescale &&
              p.rescale_factor == defaults.rescale_factor &&
              p.do_normalize == defaults.do_normalize);
    for (int c = 0; c < 3; c++)
        ck_assert(p.image_mean[c] == defaults.image_mean[c] &&
                  p.image_std[c] == defaults.image_std[c]);
    unlink(path);
}
END_TEST

/* ------------------------------------------------------ hostile input */

static void expect_refused(const uint8_t *data, size_t size, enum upernet_status expected,
                           const char *what)
{
    upernet_image image = {.height = 7, .width = 7, .rgb = (uint8_t *) 1};
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
    /* The normalised extremes (docs/SPECIFICATION.md §2.2): v = 0 and 255 per channel. */
    uint8_t pixels[6] = {0, 0, 0, 255, 255, 255};
    const upernet_image image = {.height = 1, .width = 2, .rgb = pixels};
    float out[6];
    ck_assert_int_eq(upernet_preprocess(&image, 1, 2, out, NULL), UPERNET_OK);
    ck_assert_float_eq(out[0], (0.0f - 0.485f) / 0.229f);
    ck_assert_float_eq(out[1], (1.0f - 0.485f) / 0.229f);
    ck_assert_float_eq(out[5], (1.0f - 0.406f) / 0.225f);
}
END_TEST


/* ------------------------------------------------------ outputs */

START_TEST(test_argmax)
{
    /* 3 classes over 2x2 pixels: plain maximum, a tie (lowest index wins),
     * a NaN (wins, as torch.argmax), -inf everywhere but one class. */
    const float logits[3 * 4] = {
        1.0f, 2.0f, 0.0f, -INFINITY, /* class 0 */
        3.0f, 2.0f, NAN, -INFINITY,  /* class 1 */
        2.0f, 1.0f, 5.0f, -1.0f,     /* class 2 */
    };
    uint16_t map[4];
    upernet_argmax(logits, 3, 2, 2, map);
    ck_assert_uint_eq(map[0], 1);
    ck_assert_uint_eq(map[1], 0);
    ck_assert_uint_eq(map[2], 1);
    ck_assert_uint_eq(map[3], 2);
}
END_TEST

START_TEST(test_labels)
{
    upernet_labels builtin, file, generic;
    upernet_error err;
    ck_assert_int_eq(upernet_labels_ade20k(&builtin, &err), UPERNET_OK);
    ck_assert_msg(upernet_labels_load(data_path("ade20k_labels.tsv"), &file, &err) == UPERNET_OK,
                  "%s", err.message);
    ck_assert_int_eq(builtin.count, 150);
    ck_assert_int_eq(file.count, 150);
    for (int i = 0; i < 150; i++) {
        ck_assert_str_eq(builtin.names[i], file.names[i]);
        ck_assert_mem_eq(builtin.colors + 3 * i, file.colors + 3 * i, 3);
    }
    ck_assert_str_eq(builtin.names[0], "wall");
    ck_assert_str_eq(builtin.names[7], "bed "); /* verbatim, trailing space */
    ck_assert_int_eq(builtin.colors[3 * 2 + 1], 230);
    upernet_labels_free(&builtin);
    upernet_labels_free(&file);

    ck_assert_int_eq(upernet_labels_generic(21, &generic, &err), UPERNET_OK);
    ck_assert_str_eq(generic.names[20], "class_20");
    ck_assert_mem_eq(generic.colors + 3 * 1, ((const uint8_t[]){128, 0, 0}), 3);
    ck_assert_mem_eq(generic.colors + 3 * 15, ((const uint8_t[]){192, 128, 128}), 3);
    upernet_labels_free(&generic);
    ck_assert_int_eq(upernet_labels_generic(0, &generic, &err), UPERNET_ERR_ARGUMENT);
}
END_TEST

static char *make_temp_dir(void)
{
    static char dir[256];
    snprintf(dir, sizeof dir, "%s/upernet-test-images-XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    return dir;
}

static int count_dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

START_TEST(test_write_outputs)
{
    upernet_labels labels;
    upernet_error err;
    ck_assert_int_eq(upernet_labels_ade20k(&labels, &err), UPERNET_OK);
    /* A 4x3 map (W x H) over a 7x5 picture. */
    const uint16_t map[12] = {0, 0, 2, 2, 0, 0, 2, 2, 149, 149, 149, 7};
    uint8_t pixels[7 * 5 * 3];
    for (size_t i = 0; i < sizeof pixels; i++)
        pixels[i] = (uint8_t) (i * 11);
    const upernet_image picture = {.height = 5, .width = 7, .rgb = pixels};
    char *dir = make_temp_dir();
    char map_path[512], overlay_path[512], json_path[512];
    snprintf(map_path, sizeof map_path, "%s/map.png", dir);
    snprintf(overlay_path, sizeof overlay_path, "%s/overlay.png", dir);
    snprintf(json_path, sizeof json_path, "%s/summary.json", dir);

    ck_assert_msg(upernet_write_class_map_png(map_path, map, 3, 4, &labels, &err) == UPERNET_OK,
                  "%s", err.message);
    upernet_image back;
    ck_assert_int_eq(upernet_image_load(map_path, &back, &err), UPERNET_OK);
    ck_assert_int_eq(back.width, 4);
    ck_assert_int_eq(back.height, 3);
    for (int i = 0; i < 12; i++)
        ck_assert_mem_eq(back.rgb + 3 * i, labels.colors + 3 * map[i], 3);
    upernet_image_free(&back);

    ck_assert_int_eq(upernet_write_overlay_png(overlay_path, &picture, map, 3, 4, &labels, &err),
                     UPERNET_OK);
    ck_assert_int_eq(upernet_image_load(overlay_path, &back, &err), UPERNET_OK);
    ck_assert_int_eq(back.width, 7);
    ck_assert_int_eq(back.height, 5);
    for (int y = 0; y < 5; y++)
        for (int x = 0; x < 7; x++) {
            const int sy = (2 * y + 1) * 3 / 10, sx = (2 * x + 1) * 4 / 14;
            const uint8_t *color = labels.colors + 3 * map[sy * 4 + sx];
            for (int c = 0; c < 3; c++) {
                const int at = (y * 7 + x) * 3 + c;
                ck_assert_int_eq(back.rgb[at], (pixels[at] + color[c] + 1) / 2);
            }
        }
    upernet_image_free(&back);

    ck_assert_int_eq(upernet_write_summary_json(json_path, "x.jpg", map, 3, 4, &labels, &err),
                     UPERNET_OK);
    json_error_t jerr;
    json_t *summary = json_load_file(json_path, 0, &jerr);
    ck_assert_ptr_nonnull(summary);
    json_t *classes = json_object_get(summary, "classes");
    ck_assert_int_eq(json_array_size(classes), 4);
    /* Most pixels first: wall (4), sky (4, higher index), flag (3), bed (1). */
    const int order[4] = {0, 2, 149, 7};
    const int pixels_of[4] = {4, 4, 3, 1};
    for (int k = 0; k < 4; k++) {
        json_t *c = json_array_get(classes, (size_t) k);
        ck_assert_int_eq(json_integer_value(json_object_get(c, "index")), order[k]);
        ck_assert_int_eq(json_integer_value(json_object_get(c, "pixels")), pixels_of[k]);
        ck_assert_double_eq_tol(json_real_value(json_object_get(c, "share")), pixels_of[k] / 12.0, 1e-6);
    }
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(classes, 3), "name")), "bed ");
    ck_assert_str_eq(json_string_value(json_object_get(summary, "image")), "x.jpg");
    json_decref(summary);

    /* Only the three results: no temporary files left behind. */
    ck_assert_int_eq(count_dir_entries(dir), 3);

    /* A class past the labels is refused and nothing is written. */
    const uint16_t bad[1] = {150};
    char bad_path[512];
    snprintf(bad_path, sizeof bad_path, "%s/bad.png", dir);
    ck_assert_int_eq(upernet_write_class_map_png(bad_path, bad, 1, 1, &labels, &err),
                     UPERNET_ERR_ARGUMENT);
    ck_assert_int_eq(count_dir_entries(dir), 3);
    unlink(map_path);
    unlink(overlay_path);
    unlink(json_path);
    rmdir(dir);
    upernet_labels_free(&labels);
}
END_TEST

START_TEST(test_unwritable_output)
{
    upernet_labels labels;
    upernet_error err;
    ck_assert_int_eq(upernet_labels_generic(3, &labels, &err), UPERNET_OK);
    const uint16_t map[2] = {1, 2};
    ck_assert_int_eq(upernet_write_class_map_png("/nonexistent-upernet-dir/map.png", map, 1, 2,
                                                 &labels, &err),
                     UPERNET_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent-upernet-dir/map.png"));
    ck_assert_int_eq(upernet_write_summary_json("/nonexistent-upernet-dir/s.json", NULL, map, 1, 2,
                                                &labels, &err),
                     UPERNET_ERR_IO);
    upernet_labels_free(&labels);
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
    tcase_add_test(goldens, test_golden_pillow13);
    tcase_add_test(goldens, test_processor_configs);
    tcase_add_test(goldens, test_processor_config_errors);
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
    TCase *outputs = tcase_create("outputs");
    tcase_add_test(outputs, test_argmax);
    tcase_add_test(outputs, test_labels);
    tcase_add_test(outputs, test_write_outputs);
    tcase_add_test(outputs, test_unwritable_output);
    suite_add_tcase(s, outputs);
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
    snprintf(path, sizeof path, "%s/golden/images-pillow13.json", test_data_dir());
    golden13 = json_load_file(path, 0, &jerr);
    if (golden13 == NULL) {
        fprintf(stderr, "%s: %s (line %d)\n", path, jerr.text, jerr.line);
        return 1;
    }
    if (golden_count == 0) {
        fprintf(stderr, "%s: no images\n", path);
        return 1;
    }
    SRunner *runner = srunner_create(images_suite());
    srunner_run_all(runner, CK_NORMAL);
    const int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    json_decref(golden);
    json_decref(golden13);
    return failed == 0 ? 0 : 1;
}
