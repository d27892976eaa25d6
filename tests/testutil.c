#include "config.h"

#include "tests/testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernels/dispatch.h"

void test_fill_uniform(float *dst, size_t n, uint64_t seed, float lo, float hi)
{
    uint64_t s = seed ? seed : 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        const float u = (float) (s >> 40) * (1.0f / 16777216.0f);
        dst[i] = lo + (hi - lo) * u;
    }
}

float *test_alloc_guarded(size_t n, size_t guard)
{
    float *p = malloc((n + guard) * sizeof *p);
    if (p == NULL)
        abort();
    for (size_t i = 0; i < n + guard; i++)
        p[i] = NAN;
    return p;
}

int test_guard_intact(const float *p, size_t n, size_t guard)
{
    for (size_t i = n; i < n + guard; i++)
        if (!isnan(p[i]))
            return 0;
    return 1;
}

double test_max_scaled_error(const float *a, const float *b, size_t n, double atol, double rtol,
                             size_t *worst)
{
    double max = 0.0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        const double d = fabs((double) a[i] - (double) b[i]);
        const double e = isnan(d) ? INFINITY : d / (atol + rtol * fabs((double) b[i]));
        if (e > max || (i == 0 && isnan(d))) {
            max = e;
            at = i;
        }
    }
    if (worst != NULL)
        *worst = at;
    return max;
}

const char *test_data_dir(void)
{
    const char *d = getenv("UPERNET_DATA_DIR");
    return d != NULL && d[0] != '\0' ? d : "data";
}

static enum upernet_isa selected_tier = UPERNET_ISA_AUTO;

enum upernet_isa test_select_tier(const char *program)
{
    const char *name = getenv("UPERNET_ISA");
    upernet_error err;
    if (upernet_select_isa(name, &err) != UPERNET_OK) {
        printf("%s: %s%s\n", program, err.status == UPERNET_ERR_UNSUPPORTED ? "SKIP: " : "",
               err.message);
        exit(err.status == UPERNET_ERR_UNSUPPORTED ? 77 : 1);
    }
    selected_tier = upernet_active_isa();
    return selected_tier;
}

void test_model_options(upernet_model_options *options)
{
    upernet_model_options_init(options);
    options->isa = selected_tier;
}
