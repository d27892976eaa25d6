/* The Mann-Whitney U (Wilcoxon rank-sum) test for two small samples, as
 * bench-compare uses it on benchmark repetitions: no assumption about the
 * shape of the timing distribution, only that a change shifts it. */
#ifndef UPERNET_BENCH_MANN_WHITNEY_H
#define UPERNET_BENCH_MANN_WHITNEY_H

#include <stddef.h>

struct mann_whitney {
    double u;            /* U of sample y: pairs (x_i, y_j) with y_j > x_i, ties count 1/2 */
    double p_greater;    /* one-sided p of "y tends to be larger than x" */
    double p_less;       /* one-sided p of "y tends to be smaller than x" */
    double p_two_sided;  /* 2 * min(p_greater, p_less), at most 1 */
    int exact;           /* 1: exact null distribution; 0: normal approximation */
};

/* Exact when there are no ties and nx * ny <= 400 (the null distribution of U
 * is counted by dynamic programming), otherwise the normal approximation with
 * tie and continuity corrections. nx, ny >= 1. */
struct mann_whitney mann_whitney_test(const double *x, size_t nx, const double *y, size_t ny);

#endif
