/* Tap capture for the model tests (see taps.h). */
#include "config.h"

#include "tests/taps.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void capture_tap(void *ctx, const char *name, const float *x, size_t h, size_t w, size_t c,
                 size_t stride)
{
    struct capture *cap = ctx;
    ck_assert_msg(cap->n < TAPS_MAX, "more than %d taps (raise TAPS_MAX)", TAPS_MAX);
    struct captured *t = &cap->t[cap->n++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->h = h, t->w = w, t->c = c;
    t->nhwc = malloc(h * w * c * sizeof(float));
    ck_assert_ptr_nonnull(t->nhwc);
    for (size_t p = 0; p < h * w; p++)
        memcpy(t->nhwc + p * c, x + p * stride, c * sizeof(float));
}

void capture_free(struct capture *cap)
{
    for (size_t i = 0; i < cap->n; i++)
        free(cap->t[i].nhwc);
    cap->n = 0;
}

const struct captured *captured_find(const struct capture *cap, const char *name)
{
    for (size_t i = 0; i < cap->n; i++)
        if (strcmp(cap->t[i].name, name) == 0)
            return &cap->t[i];
    return NULL;
}
