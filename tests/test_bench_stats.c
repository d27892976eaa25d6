/* The rank test behind make bench-compare (bench/mann-whitney.c), against
 * values from scipy.stats.mannwhitneyu (1.10): exact tails without ties, the
 * tie-corrected normal approximation with ties, and the symmetries. */
#include "config.h"

#include <check.h>
#include <math.h>

#include "bench/mann-whitney.h"

#define NEAR(a, b) ck_assert_msg(fabs((a) - (b)) <= 1e-12 + 1e-9 * fabs(b), "%.17g vs %.17g", (a), (b))

START_TEST(test_complete_separation_3_vs_3)
{
    /* scipy: mannwhitneyu([4,5,6], [1,2,3], alternative='greater') -> U 9, p 0.05 */
    const double x[] = {1, 2, 3}, y[] = {4, 5, 6};
    const struct mann_whitney r = mann_whitney_test(x, 3, y, 3);
    ck_assert(r.exact);
    NEAR(r.u, 9.0);
    NEAR(r.p_greater, 0.05);
    NEAR(r.p_less, 1.0);
    NEAR(r.p_two_sided, 0.1);
}
END_TEST

START_TEST(test_interleaved_3_vs_3)
{
    /* scipy: mannwhitneyu([1.5,2.5,3.5], [1,2,3], alternative='greater') -> U 6, p 0.35 */
    const double x[] = {1, 2, 3}, y[] = {1.5, 2.5, 3.5};
    const struct mann_whitney r = mann_whitney_test(x, 3, y, 3);
    NEAR(r.u, 6.0);
    NEAR(r.p_greater, 0.35);
    NEAR(r.p_less, 0.8);
}
END_TEST

START_TEST(test_exact_9_vs_9)
{
    /* scipy: mannwhitneyu(a + 4.5, a, alternative='greater', method='exact'),
     * a = 1..9 -> U 71, p 0.002817770464829288 */
    double a[9], b[9];
    for (int i = 0; i < 9; i++)
        a[i] = i + 1, b[i] = i + 5.5;
    const struct mann_whitney r = mann_whitney_test(a, 9, b, 9);
    ck_assert(r.exact);
    NEAR(r.u, 71.0);
    NEAR(r.p_greater, 0.002817770464829288);
    /* Swapping the samples swaps the tails. */
    const struct mann_whitney s = mann_whitney_test(b, 9, a, 9);
    NEAR(s.u, 81.0 - 71.0);
    NEAR(s.p_less, r.p_greater);
}
END_TEST

START_TEST(test_ties_normal_approximation)
{
    /* scipy: mannwhitneyu([2,3,3], [1,1,2], alternative='greater',
     * method='asymptotic') -> U 8.5, p 0.055074462092973495 */
    const double x[] = {1, 1, 2}, y[] = {2, 3, 3};
    const struct mann_whitney r = mann_whitney_test(x, 3, y, 3);
    ck_assert(!r.exact);
    NEAR(r.u, 8.5);
    NEAR(r.p_greater, 0.055074462092973495);
}
END_TEST

START_TEST(test_identical_samples_are_not_significant)
{
    const double x[] = {5, 5, 5, 5}, y[] = {5, 5, 5};
    const struct mann_whitney r = mann_whitney_test(x, 4, y, 3);
    ck_assert(r.p_greater >= 0.5 && r.p_less >= 0.5);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bench_stats");
    TCase *tc = tcase_create("mann_whitney");
    tcase_add_test(tc, test_complete_separation_3_vs_3);
    tcase_add_test(tc, test_interleaved_3_vs_3);
    tcase_add_test(tc, test_exact_9_vs_9);
    tcase_add_test(tc, test_ties_normal_approximation);
    tcase_add_test(tc, test_identical_samples_are_not_significant);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    const int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed == 0 ? 0 : 1;
}
