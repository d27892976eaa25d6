/* Small helpers shared by the Check tests. */
#ifndef UPERNET_TESTS_TESTUTIL_H
#define UPERNET_TESTS_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "upernet.h"

/* Deterministic pseudo-random floats in [lo, hi) (xorshift; seed != 0). */
void test_fill_uniform(float *dst, size_t n, uint64_t seed, float lo, float hi);

/* Allocates n floats with `guard` extra NaN-filled floats after them, so a
 * kernel that reads or writes past the end is caught (NaN propagates into a
 * result, and the guard is checked by test_guard_intact). */
float *test_alloc_guarded(size_t n, size_t guard);
int test_guard_intact(const float *p, size_t n, size_t guard);

/* Largest |a-b| / (atol + rtol*|b|) over n values (<= 1 means within tolerance);
 * *worst receives the index of the worst element. NaN counts as infinitely bad. */
double test_max_scaled_error(const float *a, const float *b, size_t n, double atol, double rtol,
                             size_t *worst);

/* The tier a tier-dependent test runs with: $UPERNET_ISA (which
 * tests/run-tier.sh sets; unset: the best), made the tier of the default
 * kernel table (ops and kernels called without a model) and returned for the
 * model options (the library reads no environment variable). Exits with 77
 * (SKIP) and a message when this host or build cannot run it, with 1 when
 * the name is unknown. */
enum upernet_isa test_select_tier(const char *program);

/* Model options with the tier of test_select_tier. */
void test_model_options(upernet_model_options *options);

/* The data directory (UPERNET_DATA_DIR, else "data"). */
const char *test_data_dir(void);

#endif
