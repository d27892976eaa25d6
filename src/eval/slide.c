/* mmseg's slide inference geometry: the keep-ratio rescale (mmcv
 * rescale_size), the window grid (its slide_inference) and the per-size
 * parameters of the ConvNeXt UperNet configs. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "eval/eval_internal.h"

void upernet_slide_rescale_size(int h, int w, int long_side, int short_side, int *out_h,
                                int *out_w)
{
    const int long_edge = long_side > short_side ? long_side : short_side;
    const int short_edge = long_side > short_side ? short_side : long_side;
    const double by_long = (double) long_edge / (double) (h > w ? h : w);
    const double by_short = (double) short_edge / (double) (h < w ? h : w);
    const double s = by_long < by_short ? by_long : by_short;
    /* int(x + 0.5) in Python truncates toward zero; x is positive here. */
    *out_w = (int) ((double) w * s + 0.5);
    *out_h = (int) ((double) h * s + 0.5);
}

/* Windows along one axis: mmseg's grid count and its clamped starts. */
static int axis_grids(int size, int crop, int stride)
{
    const int span = size - crop + stride - 1;
    return (span > 0 ? span : 0) / stride + 1;
}

int upernet_slide_windows(int h, int w, const upernet_slide_params *params,
                          struct upernet_slide_window *windows)
{
    const int h_grids = axis_grids(h, params->crop_height, params->stride_height);
    const int w_grids = axis_grids(w, params->crop_width, params->stride_width);
    if (windows == NULL)
        return h_grids * w_grids;
    int n = 0;
    for (int hi = 0; hi < h_grids; hi++)
        for (int wi = 0; wi < w_grids; wi++) {
            struct upernet_slide_window win;
            win.y1 = hi * params->stride_height;
            win.x1 = wi * params->stride_width;
            win.y2 = win.y1 + params->crop_height < h ? win.y1 + params->crop_height : h;
            win.x2 = win.x1 + params->crop_width < w ? win.x1 + params->crop_width : w;
            win.y1 = win.y2 - params->crop_height > 0 ? win.y2 - params->crop_height : 0;
            win.x1 = win.x2 - params->crop_width > 0 ? win.x2 - params->crop_width : 0;
            windows[n++] = win;
        }
    return n;
}

enum upernet_status upernet_slide_params_for_size(const char *size, upernet_slide_params *out,
                                                  upernet_error *err)
{
    static const char prefix[] = "upernet-convnext-";
    if (size != NULL && strncmp(size, prefix, sizeof prefix - 1) == 0)
        size += sizeof prefix - 1;
    static const char *const sizes[] = {"tiny", "small", "base", "large", "xlarge"};
    for (int i = 0; i < 5; i++) {
        if (size == NULL || strcmp(size, sizes[i]) != 0)
            continue;
        const int big = i >= 3; /* large and xlarge were trained on 640 crops */
        out->crop_height = out->crop_width = big ? 640 : 512;
        out->stride_height = out->stride_width = big ? 426 : 341;
        out->scale_long = big ? 2560 : 2048;
        out->scale_short = big ? 640 : 512;
        return UPERNET_OK;
    }
    return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                        "%s: no slide parameters for this model (built-in sizes: tiny, small, "
                        "base, large, xlarge); give the crop, stride and scale",
                        size != NULL ? size : "(none)");
}

enum upernet_status upernet_eval_reserve(void *buf, size_t *cap, size_t n, size_t elem,
                                         upernet_error *err)
{
    void **p = buf;
    if (n <= *cap)
        return UPERNET_OK;
    free(*p);
    *p = upernet_malloc(n * elem);
    *cap = *p != NULL ? n : 0;
    if (*p == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "evaluate: out of memory for %zu MB of buffers",
                            (n * elem) >> 20);
    return UPERNET_OK;
}

void upernet_slide_scratch_free(struct upernet_slide_scratch *scratch)
{
    free(scratch->crop_pixels);
    free(scratch->crop_logits);
    free(scratch->count);
    memset(scratch, 0, sizeof *scratch);
}

/* Adds one window's logits (classes planes of its own size) into the sum. */
static void add_window(const float *crop_logits, int classes, struct upernet_slide_window win,
                       int w, size_t plane, float *sum, int *count)
{
    const int ch = win.y2 - win.y1, cw = win.x2 - win.x1;
    const size_t crop_plane = (size_t) ch * (size_t) cw;
    for (int k = 0; k < classes; k++)
        for (int y = 0; y < ch; y++) {
            float *dst = sum + (size_t) k * plane + (size_t) (win.y1 + y) * w + win.x1;
            const float *src = crop_logits + (size_t) k * crop_plane + (size_t) y * cw;
            for (int x = 0; x < cw; x++)
                dst[x] += src[x];
        }
    for (int y = win.y1; y < win.y2; y++)
        for (int x = win.x1; x < win.x2; x++)
            count[(size_t) y * w + x]++;
}

enum upernet_status upernet_slide_inference(const upernet_model *model, upernet_workspace *ws,
                                            const float *pixels, int h,
                                            int w, const upernet_slide_params *params,
                                            struct upernet_slide_scratch *scratch, float *logits,
                                            upernet_error *err)
{
    const int classes = upernet_model_num_labels(model);
    const int n = upernet_slide_windows(h, w, params, NULL);
    struct upernet_slide_window *windows = upernet_malloc((size_t) n * sizeof *windows);
    if (windows == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "evaluate: out of memory");
    upernet_slide_windows(h, w, params, windows);
    const size_t plane = (size_t) h * (size_t) w;
    const size_t crop_max = (size_t) params->crop_height * (size_t) params->crop_width;
    enum upernet_status st =
        upernet_eval_reserve(&scratch->count, &scratch->count_cap, plane, sizeof(int), err);
    if (st == UPERNET_OK)
        st = upernet_eval_reserve(&scratch->crop_pixels, &scratch->crop_pixels_cap, 3 * crop_max,
                                  sizeof(float), err);
    if (st == UPERNET_OK)
        st = upernet_eval_reserve(&scratch->crop_logits, &scratch->crop_logits_cap,
                                  (size_t) classes * crop_max, sizeof(float), err);
    if (st == UPERNET_OK) {
        memset(logits, 0, (size_t) classes * plane * sizeof *logits);
        memset(scratch->count, 0, plane * sizeof *scratch->count);
    }
    for (int i = 0; i < n && st == UPERNET_OK; i++) {
        const struct upernet_slide_window win = windows[i];
        const int ch = win.y2 - win.y1, cw = win.x2 - win.x1;
        const size_t crop_plane = (size_t) ch * (size_t) cw;
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < ch; y++)
                memcpy(scratch->crop_pixels + c * crop_plane + (size_t) y * cw,
                       pixels + c * plane + (size_t) (win.y1 + y) * w + win.x1,
                       (size_t) cw * sizeof(float));
        st = upernet_model_forward(model, ws, scratch->crop_pixels, 1, (size_t) ch, (size_t) cw,
                                   scratch->crop_logits, err);
        if (st == UPERNET_OK)
            add_window(scratch->crop_logits, classes, win, w, plane, logits, scratch->count);
    }
    free(windows);
    if (st != UPERNET_OK)
        return st;
    /* torch: preds / count_mat, one float32 division per value. */
    for (int k = 0; k < classes; k++)
        for (size_t i = 0; i < plane; i++)
            logits[(size_t) k * plane + i] /= (float) scratch->count[i];
    return UPERNET_OK;
}
