/* Kernel tests for the tier named by $UPERNET_ISA (set by tests/run-tier.sh).
 * Exits 77 (SKIP) when this CPU or build cannot run that tier. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernels/dispatch.h"
#include "tests/kernels/kernel_tests.h"
#include "tests/testutil.h"

int main(void)
{
    const char *tier_name = getenv("UPERNET_ISA");
    if (tier_name == NULL || tier_name[0] == '\0') {
        fprintf(stderr, "test_kernels: set UPERNET_ISA to the tier to test\n");
        return 1;
    }
    const enum upernet_isa tier = test_select_tier("test_kernels");

    Suite *suite = suite_create(upernet_isa_name(tier));
    add_layernorm_tests(suite, tier);
    add_igemm_tests(suite, tier);
    add_dwconv7x7_tests(suite, tier);
    add_gelu_tests(suite, tier);
    add_dwconv7x7_wide_tests(suite, tier);
    add_winograd23_tests(suite, tier);
    add_bilinear_tests(suite, tier);
    add_bilinear_argmax_tests(suite, tier);

    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    const int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
