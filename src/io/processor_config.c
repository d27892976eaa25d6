/* preprocessor_config.json of SegformerImageProcessor: the settings of the
 * preprocessing (size, do_resize, resample, do_rescale, rescale_factor,
 * do_normalize, image_mean, image_std). Keys that only concern labels
 * (do_reduce_labels) are ignored; values upernet cannot reproduce are
 * refused with a message naming the file and the key. */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "io/config_json.h"
#include "upernet.h"

void upernet_preprocessing_init(upernet_preprocessing *p)
{
    *p = (upernet_preprocessing){.do_resize = 1,
                                 .height = 512,
                                 .width = 512,
                                 .do_rescale = 1,
                                 .rescale_factor = 1.0 / 255.0,
                                 .do_normalize = 1,
                                 .image_mean = {0.485, 0.456, 0.406},
                                 .image_std = {0.229, 0.224, 0.225}};
}

void upernet_preprocessing_output_size(const upernet_preprocessing *p, const upernet_image *image,
                                       int *height, int *width)
{
    *height = p->do_resize ? p->height : image->height;
    *width = p->do_resize ? p->width : image->width;
}

struct reader {
    const char *path;
    json_t *root;
    upernet_error *err;
};

static enum upernet_status get_flag(const struct reader *r, const char *key, int *out)
{
    json_t *v = json_object_get(r->root, key);
    if (v == NULL || json_is_null(v))
        return UPERNET_OK;
    if (!json_is_boolean(v))
        return upernet_fail(r->err, UPERNET_ERR_FORMAT, "%s: %s must be true or false", r->path,
                            key);
    *out = json_is_true(v);
    return UPERNET_OK;
}

/* image_mean / image_std: one number for every channel, or three. */
static enum upernet_status get_channels(const struct reader *r, const char *key, double out[3])
{
    json_t *v = json_object_get(r->root, key);
    if (v == NULL || json_is_null(v))
        return UPERNET_OK;
    if (json_is_number(v)) {
        out[0] = out[1] = out[2] = json_number_value(v);
        return UPERNET_OK;
    }
    if (!json_is_array(v) || json_array_size(v) != 3)
        return upernet_fail(r->err, UPERNET_ERR_FORMAT,
                            "%s: %s must be a number or a list of 3 numbers (one per RGB channel)",
                            r->path, key);
    for (size_t c = 0; c < 3; c++) {
        json_t *e = json_array_get(v, c);
        if (!json_is_number(e))
            return upernet_fail(r->err, UPERNET_ERR_FORMAT, "%s: %s[%zu] must be a number",
                                r->path, key, c);
        out[c] = json_number_value(e);
    }
    return UPERNET_OK;
}

/* size: {"height": H, "width": W} or one number for a square. */
static enum upernet_status get_size(const struct reader *r, upernet_preprocessing *p)
{
    json_t *v = json_object_get(r->root, "size");
    if (v == NULL || json_is_null(v))
        return UPERNET_OK;
    json_t *h = json_is_integer(v) ? v : json_object_get(v, "height");
    json_t *w = json_is_integer(v) ? v : json_object_get(v, "width");
    if (!json_is_integer(h) || !json_is_integer(w))
        return upernet_fail(r->err, UPERNET_ERR_UNSUPPORTED,
                            "%s: size must be {\"height\": H, \"width\": W} (or one number); "
                            "upernet does not support other resize rules (shortest_edge, ...)",
                            r->path);
    const json_int_t hv = json_integer_value(h), wv = json_integer_value(w);
    if (hv < 1 || wv < 1 || hv > 16384 || wv > 16384)
        return upernet_fail(r->err, UPERNET_ERR_ARGUMENT,
                            "%s: size %lldx%lld is out of range (1..16384 per side)", r->path,
                            (long long) hv, (long long) wv);
    p->height = (int) hv;
    p->width = (int) wv;
    return UPERNET_OK;
}

static enum upernet_status read_settings(const struct reader *r, upernet_preprocessing *p)
{
    if (!json_is_object(r->root))
        return upernet_fail(r->err, UPERNET_ERR_FORMAT, "%s: the top level must be a JSON object",
                            r->path);
    static const char *const type_keys[] = {"image_processor_type", "feature_extractor_type"};
    for (size_t i = 0; i < 2; i++) {
        json_t *t = json_object_get(r->root, type_keys[i]);
        if (t != NULL && !json_is_null(t) &&
            (!json_is_string(t) || strncmp(json_string_value(t), "Segformer", 9) != 0))
            return upernet_fail(r->err, UPERNET_ERR_UNSUPPORTED,
                                "%s: %s is %s; upernet reproduces only SegformerImageProcessor",
                                r->path, type_keys[i],
                                json_is_string(t) ? json_string_value(t) : "not a string");
    }
    UPERNET_TRY(get_flag(r, "do_resize", &p->do_resize));
    UPERNET_TRY(get_size(r, p));
    json_t *resample = json_object_get(r->root, "resample");
    if (resample != NULL && !json_is_null(resample)) {
        static const char *const names[] = {"NEAREST", "LANCZOS", "BILINEAR",
                                            "BICUBIC", "BOX",     "HAMMING"};
        if (!json_is_integer(resample))
            return upernet_fail(r->err, UPERNET_ERR_FORMAT, "%s: resample must be an integer",
                                r->path);
        const json_int_t v = json_integer_value(resample);
        if (v != 2)
            return upernet_fail(r->err, UPERNET_ERR_UNSUPPORTED,
                                "%s: resample = %lld (%s); upernet supports only 2 (BILINEAR)",
                                r->path, (long long) v,
                                v >= 0 && v < 6 ? names[v] : "not a Pillow filter");
    }
    UPERNET_TRY(get_flag(r, "do_rescale", &p->do_rescale));
    json_t *factor = json_object_get(r->root, "rescale_factor");
    if (factor != NULL && !json_is_null(factor)) {
        if (!json_is_number(factor) || !(json_number_value(factor) > 0.0))
            return upernet_fail(r->err, UPERNET_ERR_FORMAT,
                                "%s: rescale_factor must be a positive number", r->path);
        p->rescale_factor = json_number_value(factor);
    }
    UPERNET_TRY(get_flag(r, "do_normalize", &p->do_normalize));
    UPERNET_TRY(get_channels(r, "image_mean", p->image_mean));
    UPERNET_TRY(get_channels(r, "image_std", p->image_std));
    for (int c = 0; c < 3; c++)
        if (p->image_std[c] == 0.0)
            return upernet_fail(r->err, UPERNET_ERR_ARGUMENT, "%s: image_std[%d] is 0", r->path,
                                c);
    return UPERNET_OK;
}

enum upernet_status upernet_preprocessing_load(const char *path, upernet_preprocessing *out,
                                               upernet_error *err)
{
    json_t *root;
    enum upernet_status st = upernet_json_load_file(path, &root, err);
    if (st != UPERNET_OK)
        return st;
    upernet_preprocessing p;
    upernet_preprocessing_init(&p);
    const struct reader r = {path, root, err};
    st = read_settings(&r, &p);
    json_decref(root);
    if (st != UPERNET_OK)
        return st;
    *out = p;
    upernet_error_clear(err);
    return UPERNET_OK;
}
