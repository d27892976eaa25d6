/* Dense copies of the intermediate maps a forward pass reports through
 * upernet_model_set_tap (names: src/model/model.h), for the model tests. */
#ifndef UPERNET_TESTS_TAPS_H
#define UPERNET_TESTS_TAPS_H

#include <stddef.h>

/* More than the forward's taps (16 for a 5-level config). */
#define TAPS_MAX 24

struct captured {
    char name[32];
    size_t h, w, c;
    float *nhwc; /* dense copy */
};

struct capture {
    struct captured t[TAPS_MAX];
    size_t n;
};

/* An upernet_tap_fn: ctx is a struct capture (zero-initialised). */
void capture_tap(void *ctx, const char *name, const float *x, size_t h, size_t w, size_t c,
                 size_t stride);
void capture_free(struct capture *cap);
/* The map tapped as `name`, or NULL. */
const struct captured *captured_find(const struct capture *cap, const char *name);

#endif
