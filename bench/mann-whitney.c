#include "config.h"

#include "bench/mann-whitney.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* P(U >= u_obs) under the null hypothesis, U counting the pairs with the y
 * above the x, for sample sizes m (x) and n (y), without ties. c(i, j, u) is
 * the number of orderings of i x's and j y's with U = u; looking at the
 * largest of the i + j values: if it is a y it lies above all i x's (adds i),
 * if it is an x it lies above no y (adds nothing):
 *   c(i, j, u) = c(i, j-1, u-i) + c(i-1, j, u),   c(i, 0, 0) = c(0, j, 0) = 1. */
static double exact_upper_tail(size_t m, size_t n, double u_obs)
{
    const size_t umax = m * n;
    /* c[i][j][u] flattened; m * n <= 400 keeps it small. */
    const size_t stride_u = umax + 1, stride_j = (n + 1) * stride_u;
    double *c = calloc((m + 1) * stride_j, sizeof(double));
    if (c == NULL)
        return NAN;
#define C(i, j, u) c[(i) * stride_j + (j) * stride_u + (u)]
    for (size_t i = 0; i <= m; i++)
        for (size_t j = 0; j <= n; j++) {
            if (i == 0 || j == 0) {
                C(i, j, 0) = 1.0; /* one arrangement, U = 0 */
                continue;
            }
            for (size_t u = 0; u <= i * j; u++) {
                double v = 0.0;
                if (u >= i && u - i <= i * (j - 1))
                    v += C(i, j - 1, u - i);
                if (u <= (i - 1) * j)
                    v += C(i - 1, j, u);
                C(i, j, u) = v;
            }
        }
    double total = 0.0, tail = 0.0;
    for (size_t u = 0; u <= umax; u++) {
        total += C(m, n, u);
        if ((double) u >= u_obs - 1e-9)
            tail += C(m, n, u);
    }
#undef C
    free(c);
    return tail / total;
}

static int compare_doubles(const void *a, const void *b)
{
    const double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

struct mann_whitney mann_whitney_test(const double *x, size_t nx, const double *y, size_t ny)
{
    struct mann_whitney r;
    memset(&r, 0, sizeof r);
    r.p_greater = r.p_less = r.p_two_sided = 1.0;
    if (nx == 0 || ny == 0)
        return r;

    int ties = 0;
    double u = 0.0;
    for (size_t i = 0; i < nx; i++)
        for (size_t j = 0; j < ny; j++) {
            if (y[j] > x[i])
                u += 1.0;
            else if (y[j] == x[i])
                u += 0.5, ties = 1;
        }
    r.u = u;

    /* Ties inside a sample also matter for the variance. */
    const size_t n = nx + ny;
    double *all = malloc(n * sizeof(double));
    if (all == NULL)
        return r;
    memcpy(all, x, nx * sizeof(double));
    memcpy(all + nx, y, ny * sizeof(double));
    qsort(all, n, sizeof(double), compare_doubles);
    double tie_term = 0.0;
    for (size_t i = 0; i < n;) {
        size_t k = i + 1;
        while (k < n && all[k] == all[i])
            k++;
        const double t = (double) (k - i);
        if (t > 1) {
            ties = 1;
            tie_term += t * t * t - t;
        }
        i = k;
    }
    free(all);

    const double m = (double) nx * (double) ny;
    if (!ties && nx * ny <= 400) {
        r.exact = 1;
        r.p_greater = exact_upper_tail(nx, ny, u);
        /* By symmetry of U's null distribution: P(U <= u) = P(U >= m - u). */
        r.p_less = exact_upper_tail(nx, ny, m - u);
    } else {
        const double mean = m / 2.0;
        const double var = m / 12.0 * ((double) n + 1.0 - tie_term / ((double) n * ((double) n - 1.0)));
        if (var <= 0.0) { /* every value equal */
            r.p_greater = r.p_less = 1.0;
        } else {
            const double sd = sqrt(var);
            /* Continuity correction of 1/2 towards the mean. */
            const double z_greater = (u - mean - 0.5) / sd;
            const double z_less = (mean - u - 0.5) / sd;
            r.p_greater = 0.5 * erfc(z_greater / sqrt(2.0));
            r.p_less = 0.5 * erfc(z_less / sqrt(2.0));
        }
    }
    r.p_two_sided = 2.0 * (r.p_greater < r.p_less ? r.p_greater : r.p_less);
    if (r.p_two_sided > 1.0)
        r.p_two_sided = 1.0;
    return r;
}
