/* One image to a class map at its own size, in the two inference modes of
 * the published numbers (transformers' whole-image pipeline and mmseg's
 * slide inference, optionally with mmseg's multi-scale + flip), split into
 * prepare / infer / finish so that the image loop can overlap the steps of
 * neighbouring images with the forwards. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "eval/eval_internal.h"
#include "ops/ops.h"

/* mmseg's data preprocessor: (x - mean) / std on the 0..255 scale, float32. */
static const float mmseg_mean[3] = {123.675f, 116.28f, 103.53f};
static const float mmseg_std[3] = {58.395f, 57.12f, 57.375f};

/* mmseg's test-time augmentation: these ratios of the rescale scale, each
 * view also flipped horizontally. */
static const double ms_flip_ratios[6] = {0.5, 0.75, 1.0, 1.25, 1.5, 1.75};

struct upernet_prediction {
    upernet_eval_config config;
    const upernet_image *image;
    float *pixels; /* prepare: 3 planes of in_h x in_w */
    size_t pixels_cap;
    int in_h, in_w;
    float *scores; /* infer: classes planes of score_h x score_w */
    size_t scores_cap;
    int classes, score_h, score_w;
    struct upernet_slide_scratch scratch;
    float *sum; /* ms-flip: a view's slide logits */
    size_t sum_cap;
    /* ms-flip scratch: a view's logits at the image size */
    float *view;
    size_t view_cap;
};

upernet_prediction *upernet_prediction_create(const upernet_eval_config *config,
                                              upernet_error *err)
{
    if (config->mode == UPERNET_EVAL_WHOLE && (config->whole_height < 32 || config->whole_width < 32)) {
        upernet_fail(err, UPERNET_ERR_ARGUMENT, "evaluate: whole-image size %dx%d (each side >= 32)",
                     config->whole_height, config->whole_width);
        return NULL;
    }
    const upernet_slide_params *s = &config->slide;
    if (config->mode == UPERNET_EVAL_SLIDE &&
        (s->crop_height < 32 || s->crop_width < 32 || s->stride_height <= 0 ||
         s->stride_width <= 0 || s->scale_long <= 0 || s->scale_short <= 0)) {
        upernet_fail(err, UPERNET_ERR_ARGUMENT,
                     "evaluate: slide crop %dx%d (>= 32), stride %dx%d, scale %dx%d (> 0)",
                     s->crop_height, s->crop_width, s->stride_height, s->stride_width,
                     s->scale_long, s->scale_short);
        return NULL;
    }
    if (config->ms_flip && config->mode != UPERNET_EVAL_SLIDE) {
        upernet_fail(err, UPERNET_ERR_ARGUMENT, "evaluate: multi-scale + flip needs slide mode");
        return NULL;
    }
    upernet_prediction *p = upernet_calloc(1, sizeof *p);
    if (p == NULL) {
        upernet_fail(err, UPERNET_ERR_NOMEM, "evaluate: out of memory");
        return NULL;
    }
    p->config = *config;
    return p;
}

void upernet_prediction_free(upernet_prediction *p)
{
    if (p == NULL)
        return;
    free(p->pixels);
    free(p->scores);
    upernet_slide_scratch_free(&p->scratch);
    free(p->sum);
    free(p->view);
    free(p);
}

/* Both resizes take (height, width), as every size in include/upernet.h. */
static enum upernet_status resize_image(const upernet_image *src, int h, int w,
                                        enum upernet_eval_resize how, upernet_image *dst,
                                        upernet_error *err)
{
    return how == UPERNET_EVAL_RESIZE_OPENCV ? upernet_image_resize_opencv(src, h, w, dst, err)
                                             : upernet_image_resize(src, h, w, dst, err);
}

/* mmseg's normalisation into 3 planes, mirrored left-right when `flip`. */
static void normalise_mmseg(const upernet_image *image, int flip, float *out)
{
    float table[3][256];
    for (int c = 0; c < 3; c++)
        for (int v = 0; v < 256; v++)
            table[c][v] = ((float) v - mmseg_mean[c]) / mmseg_std[c];
    const size_t plane = (size_t) image->width * (size_t) image->height;
    for (int y = 0; y < image->height; y++)
        for (int x = 0; x < image->width; x++) {
            const uint8_t *px = image->rgb + ((size_t) y * image->width + x) * 3;
            const size_t at = (size_t) y * image->width + (size_t) (flip ? image->width - 1 - x : x);
            for (int c = 0; c < 3; c++)
                out[(size_t) c * plane + at] = table[c][px[c]];
        }
}

/* The rescaled, normalised pixels of one slide view. */
static enum upernet_status prepare_slide_view(upernet_prediction *p, int scale_long,
                                              int scale_short, int flip, upernet_error *err)
{
    const upernet_image *image = p->image;
    int h, w;
    upernet_slide_rescale_size(image->height, image->width, scale_long, scale_short, &h, &w);
    upernet_image rescaled;
    enum upernet_status st = resize_image(image, h, w, p->config.resize, &rescaled, err);
    if (st == UPERNET_OK)
        st = upernet_eval_reserve(&p->pixels, &p->pixels_cap, 3 * (size_t) h * (size_t) w, sizeof *p->pixels,
                     err);
    if (st == UPERNET_OK) {
        normalise_mmseg(&rescaled, flip, p->pixels);
        p->in_h = h;
        p->in_w = w;
    }
    upernet_image_free(&rescaled);
    return st;
}

enum upernet_status upernet_prediction_prepare(upernet_prediction *p, const upernet_image *image,
                                               upernet_error *err)
{
    p->image = image;
    p->in_h = p->in_w = 0;
    if (p->config.ms_flip)
        return UPERNET_OK; /* each view is prepared during infer */
    if (p->config.mode == UPERNET_EVAL_SLIDE)
        return prepare_slide_view(p, p->config.slide.scale_long, p->config.slide.scale_short, 0,
                                  err);
    int h = p->config.whole_height, w = p->config.whole_width;
    const upernet_preprocessing *pre = p->config.preprocessing;
    if (pre != NULL && p->config.resize == UPERNET_EVAL_RESIZE_PILLOW)
        upernet_preprocessing_output_size(pre, image, &h, &w);
    enum upernet_status st =
        upernet_eval_reserve(&p->pixels, &p->pixels_cap, 3 * (size_t) h * (size_t) w, sizeof *p->pixels, err);
    if (st != UPERNET_OK)
        return st;
    if (p->config.resize == UPERNET_EVAL_RESIZE_PILLOW && pre != NULL) {
        st = upernet_preprocess_with(image, pre, p->config.pillow_order, p->pixels, err);
    } else if (p->config.resize == UPERNET_EVAL_RESIZE_PILLOW) {
        st = upernet_preprocess_compat(image, h, w, p->config.pillow_order, p->pixels, err);
    } else {
        upernet_image resized;
        st = upernet_image_resize_opencv(image, h, w, &resized, err);
        if (st == UPERNET_OK)
            st = upernet_preprocess(&resized, h, w, p->pixels, err);
        upernet_image_free(&resized);
    }
    if (st == UPERNET_OK) {
        p->in_h = h;
        p->in_w = w;
    }
    return st;
}

static enum upernet_status slide(upernet_prediction *p, const upernet_model *model,
                                 upernet_workspace *ws, float *sum, upernet_error *err)
{
    return upernet_slide_inference(model, ws, p->pixels, p->in_h, p->in_w, &p->config.slide,
                                   &p->scratch, sum, err);
}

/* One ms-flip view: its slide logits resized to the image size, turned into
 * softmax probabilities, mirrored back when flipped, added into p->scores. */
static enum upernet_status add_view(upernet_prediction *p, const upernet_model *model,
                                    upernet_workspace *ws, double ratio, int flip,
                                    upernet_error *err)
{
    const int H = p->image->height, W = p->image->width, classes = p->classes;
    enum upernet_status st =
        prepare_slide_view(p, (int) (p->config.slide.scale_long * ratio),
                           (int) (p->config.slide.scale_short * ratio), flip, err);
    const size_t plane = (size_t) p->in_h * (size_t) p->in_w, out_plane = (size_t) H * W;
    if (st == UPERNET_OK)
        st = upernet_eval_reserve(&p->sum, &p->sum_cap, (size_t) classes * plane, sizeof *p->sum, err);
    if (st == UPERNET_OK)
        st = upernet_eval_reserve(&p->view, &p->view_cap, (size_t) classes * out_plane, sizeof *p->view, err);
    if (st == UPERNET_OK)
        st = slide(p, model, ws, p->sum, err);
    for (int k = 0; k < classes && st == UPERNET_OK; k++)
        st = upernet_resize_bilinear((size_t) p->in_h, (size_t) p->in_w, 1,
                                     p->sum + (size_t) k * plane, 1, (size_t) H, (size_t) W,
                                     p->view + (size_t) k * out_plane, 1, false, err);
    if (st != UPERNET_OK)
        return st;
#pragma omp parallel for schedule(static)
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            const size_t at = (size_t) y * W + x;
            const size_t to = (size_t) y * W + (size_t) (flip ? W - 1 - x : x);
            float max = p->view[at];
            for (int k = 1; k < classes; k++)
                max = p->view[(size_t) k * out_plane + at] > max ? p->view[(size_t) k * out_plane + at] : max;
            float total = 0.0f;
            for (int k = 0; k < classes; k++) {
                const float e = expf(p->view[(size_t) k * out_plane + at] - max);
                p->view[(size_t) k * out_plane + at] = e;
                total += e;
            }
            for (int k = 0; k < classes; k++)
                p->scores[(size_t) k * out_plane + to] += p->view[(size_t) k * out_plane + at] / total;
        }
    return UPERNET_OK;
}

enum upernet_status upernet_prediction_infer(upernet_prediction *p, const upernet_model *model,
                                             upernet_workspace *ws, upernet_error *err)
{
    if (p->image == NULL)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "evaluate: infer before prepare");
    p->classes = upernet_model_num_labels(model);
    const int classes = p->classes;
    if (p->config.ms_flip) {
        const int H = p->image->height, W = p->image->width;
        const size_t n = (size_t) classes * (size_t) H * (size_t) W;
        enum upernet_status st = upernet_eval_reserve(&p->scores, &p->scores_cap, n, sizeof *p->scores, err);
        if (st != UPERNET_OK)
            return st;
        memset(p->scores, 0, n * sizeof *p->scores);
        for (int r = 0; r < 6; r++)
            for (int flip = 0; flip < 2; flip++)
                if ((st = add_view(p, model, ws, ms_flip_ratios[r], flip, err)) != UPERNET_OK)
                    return st;
        for (size_t i = 0; i < n; i++)
            p->scores[i] /= 12.0f;
        p->score_h = H;
        p->score_w = W;
        return UPERNET_OK;
    }
    const size_t n = (size_t) classes * (size_t) p->in_h * (size_t) p->in_w;
    enum upernet_status st = upernet_eval_reserve(&p->scores, &p->scores_cap, n, sizeof *p->scores, err);
    if (st != UPERNET_OK)
        return st;
    p->score_h = p->in_h;
    p->score_w = p->in_w;
    if (p->config.mode == UPERNET_EVAL_SLIDE)
        return slide(p, model, ws, p->scores, err);
    return upernet_model_forward(model, ws, p->pixels, 1, (size_t) p->in_h, (size_t) p->in_w,
                                 p->scores, err);
}

enum upernet_status upernet_prediction_finish(upernet_prediction *p, uint16_t *class_map,
                                              upernet_error *err)
{
    if (p->image == NULL || p->score_h == 0)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "evaluate: finish before infer");
    return upernet_postprocess_semantic(p->scores, p->classes, p->score_h, p->score_w,
                                       p->image->height, p->image->width, class_map, err);
}

const float *upernet_prediction_scores(const upernet_prediction *p, int *classes, int *height,
                                       int *width)
{
    *classes = p->classes;
    *height = p->score_h;
    *width = p->score_w;
    return p->scores;
}
