/* The fuzzed entry points (see fuzz_entries.h). */
#include "config.h"

#include "fuzz/fuzz_entries.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "image/image_internal.h"
#include "io/config_json.h"
#include "io/npy.h"
#include "io/pickle.h"
#include "io/tensor_map.h"
#include "io/torch_legacy.h"
#include "model/model_config.h"

/* Reads every value a weights set hands out; the volatile sink keeps the
 * loads from being optimised away. */
static volatile float weights_sink;

static void touch_weights(const upernet_weights *w)
{
    float sum = 0.0f;
    for (size_t i = 0; i < upernet_weights_count(w); i++) {
        const struct upernet_tensor *t = upernet_weights_at(w, i);
        if (upernet_weights_find(w, t->name) == NULL)
            abort(); /* the index must find every tensor by its name */
        for (size_t k = 0; k < t->numel; k++)
            sum += t->data != NULL ? t->data[k] : (float) t->ints[k];
    }
    weights_sink = sum;
}

static enum upernet_status weights_entry(const uint8_t *data, size_t size, upernet_error *err)
{
    upernet_weights *w = NULL;
    enum upernet_status st = upernet_weights_open_memory(data, size, "fuzz", &w, err);
    if (st == UPERNET_OK) {
        touch_weights(w);
        upernet_weights_free(w);
    }
    return st;
}

/* The unpickler alone: up to five pickles in a row (as the legacy format
 * has), then, for input starting with the legacy magic, the legacy torch
 * reader on the same bytes. */
static enum upernet_status pickle_entry(const uint8_t *data, size_t size, upernet_error *err)
{
    struct pickle_arena arena = {0};
    size_t pos = 0;
    enum upernet_status st = UPERNET_OK;
    for (int i = 0; i < 5 && pos < size; i++) {
        struct pickle_object *root;
        size_t used = 0;
        st = pickle_load(&arena, data + pos, size - pos, "fuzz", &root, &used, err);
        if (st != UPERNET_OK)
            break;
        (void) pickle_dict_get(root, "state_dict");
        pos += used;
    }
    pickle_arena_free(&arena);
    if (size < sizeof torch_legacy_magic || memcmp(data, torch_legacy_magic, sizeof torch_legacy_magic) != 0)
        return st;
    upernet_weights *map = tensor_map_new("fuzz");
    if (map == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "fuzz: out of memory");
    map->converted_limit = size * 4 + ((size_t) 64 << 20);
    upernet_error legacy_err;
    if (torch_legacy_read(data, size, map, &legacy_err) == UPERNET_OK)
        touch_weights(map);
    upernet_weights_free(map);
    return st;
}

static enum upernet_status config_entry(const uint8_t *data, size_t size, upernet_error *err)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "fuzz: out of memory");
    memcpy(text, data, size);
    text[size] = '\0';
    struct upernet_config cfg;
    enum upernet_status st = upernet_config_parse_json_text(text, "fuzz.json", &cfg, err);
    free(text);
    return st;
}

static volatile float npy_sink;

static enum upernet_status npy_entry(const uint8_t *data, size_t size, upernet_error *err)
{
    upernet_array npy;
    enum upernet_status st = upernet_npy_parse(data, size, "fuzz.npy", &npy, err);
    if (st == UPERNET_OK) {
        float sum = 0.0f;
        for (size_t i = 0; i < npy.numel; i++)
            sum += npy.data[i];
        npy_sink = sum;
    }
    upernet_array_free(&npy);
    return st;
}

static volatile unsigned image_sink;

static enum upernet_status image_check(enum upernet_status st, upernet_image *image)
{
    if (st == UPERNET_OK) {
        unsigned sum = 0;
        for (size_t i = 0; i < (size_t) image->width * (size_t) image->height * 3; i++)
            sum += image->rgb[i];
        image_sink = sum;
    } else if (image->rgb != NULL) {
        abort(); /* on failure the image must be left empty */
    }
    upernet_image_free(image);
    return st;
}

/* The decoders accept up to UPERNET_IMAGE_MAX_PIXELS (2^28), and a file of a
 * few hundred bytes may declare that many: libjpeg fills missing entropy
 * data with zeros. Decoding 2^28 pixels under ASan and coverage takes
 * minutes, which stalls the fuzzer without finding anything (a normal build
 * does it in a second or two), so the fuzz entries skip inputs declaring
 * more than FUZZ_MAX_PIXELS (only in the fuzz build, -DUPERNET_FUZZING:
 * tests/test_regressions runs the full path, and the limit itself is
 * checked by the *-limit-huge-dims regressions). */
#ifdef UPERNET_FUZZING
#define FUZZ_MAX_PIXELS ((uint64_t) 1 << 20)

/* Width x height of the first JPEG frame header found, 0 if none. */
static uint64_t jpeg_declared_pixels(const uint8_t *d, size_t n)
{
    for (size_t i = 2; i + 9 <= n; i++) {
        const uint8_t m = d[i + 1];
        if (d[i] == 0xff && m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc)
            return (uint64_t) ((d[i + 5] << 8) | d[i + 6]) * (uint64_t) ((d[i + 7] << 8) | d[i + 8]);
    }
    return 0;
}

/* Width x height of a PNG's IHDR (right after the signature). */
static uint64_t png_declared_pixels(const uint8_t *d, size_t n)
{
    if (n < 24)
        return 0;
    const uint64_t w = (uint64_t) d[16] << 24 | (uint64_t) d[17] << 16 | (uint64_t) d[18] << 8 | d[19];
    const uint64_t h = (uint64_t) d[20] << 24 | (uint64_t) d[21] << 16 | (uint64_t) d[22] << 8 | d[23];
    return w * h;
}

static int too_many_pixels(const uint8_t *data, size_t size)
{
    return jpeg_declared_pixels(data, size) > FUZZ_MAX_PIXELS || png_declared_pixels(data, size) > FUZZ_MAX_PIXELS;
}
#endif

static enum upernet_status jpeg_entry(const uint8_t *data, size_t size, upernet_error *err)
{
    upernet_image image = {0, 0, NULL};
#ifdef UPERNET_FUZZING
    if (too_many_pixels(data, size))
        return upernet_fail(err, UPERNET_ERR_LIMIT, "fuzz: skipped, more than %llu pixels",
                            (unsigned long long) FUZZ_MAX_PIXELS);
#endif
    if (size < 3 || data[0] != 0xff || data[1] != 0xd8)
        return image_check(upernet_image_decode(data, size, "fuzz.jpg", &image, err), &image);
    return image_check(upernet_jpeg_decode(data, size, "fuzz.jpg", &image, err), &image);
}

static enum upernet_status png_entry(const uint8_t *data, size_t size, upernet_error *err)
{
    upernet_image image = {0, 0, NULL};
#ifdef UPERNET_FUZZING
    if (too_many_pixels(data, size))
        return upernet_fail(err, UPERNET_ERR_LIMIT, "fuzz: skipped, more than %llu pixels",
                            (unsigned long long) FUZZ_MAX_PIXELS);
#endif
    return image_check(upernet_image_decode(data, size, "fuzz.png", &image, err), &image);
}

/* Resize and preprocess with sizes taken from the first bytes: source and
 * target up to 64x64 and 96x96 (every tap pattern from a 64x shrink to a
 * 96x enlargement, small enough for thousands of runs a second), pixels
 * from the rest. */
static enum upernet_status resize_entry(const uint8_t *data, size_t size, upernet_error *err)
{
    if (size < 4)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "resize: need 4 size bytes");
    const int src_w = 1 + data[0] % 64, src_h = 1 + data[1] % 64;
    const int dst_w = 1 + data[2] % 96, dst_h = 1 + data[3] % 96;
    data += 4, size -= 4;
    upernet_image src;
    enum upernet_status st = upernet_image_alloc(&src, src_w, src_h, "fuzz", err);
    if (st != UPERNET_OK)
        return st;
    const size_t bytes = (size_t) src_w * (size_t) src_h * 3;
    for (size_t i = 0; i < bytes; i++)
        src.rgb[i] = size ? data[i % size] : (uint8_t) i;
    upernet_image dst;
    st = upernet_image_resize(&src, dst_h, dst_w, &dst, err);
    if (st == UPERNET_OK) {
        image_check(st, &dst);
        float *pixels = malloc((size_t) dst_w * (size_t) dst_h * 3 * sizeof *pixels);
        if (pixels != NULL) {
            st = upernet_preprocess(&src, dst_h, dst_w, pixels, err);
            free(pixels);
        }
    }
    upernet_image_free(&src);
    return st;
}

const struct fuzz_entry fuzz_entries[] = {
    {"safetensors", weights_entry}, /* seeds: safetensors fixtures */
    {"torch_zip", weights_entry},   /* the same entry, seeded with zip checkpoints */
    {"pickle", pickle_entry},
    {"config", config_entry},
    {"npy", npy_entry},
    {"jpeg", jpeg_entry},
    {"png", png_entry},
    {"resize", resize_entry},
    {NULL, NULL},
};

const struct fuzz_entry *fuzz_entry_find(const char *name)
{
    for (const struct fuzz_entry *e = fuzz_entries; e->name != NULL; e++)
        if (strcmp(e->name, name) == 0)
            return e;
    return NULL;
}
