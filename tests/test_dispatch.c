/* Dispatch: tier parsing, the override only lowers the tier, an unavailable
 * tier is refused with a message, and the table holds each slot's kernel. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/dispatch.h"

START_TEST(test_parse_names)
{
    enum upernet_isa isa;
    for (int i = 0; i < UPERNET_ISA_COUNT; i++) {
        ck_assert(upernet_isa_parse(upernet_isa_name((enum upernet_isa) i), &isa));
        ck_assert_int_eq(isa, i);
    }
    ck_assert(!upernet_isa_parse("sse2", &isa));
    ck_assert(!upernet_isa_parse("", &isa));
}
END_TEST

START_TEST(test_scalar_always_runnable_and_best_is_runnable)
{
    const struct upernet_cpu_features none = {0};
    ck_assert(upernet_isa_runnable(&none, UPERNET_ISA_SCALAR));
    ck_assert(!upernet_isa_runnable(&none, UPERNET_ISA_AVX512));
    ck_assert_int_eq(upernet_isa_best(&none), UPERNET_ISA_SCALAR);
    ck_assert(!upernet_isa_emulated(UPERNET_ISA_SCALAR) && !upernet_isa_emulated(UPERNET_ISA_AVX2) &&
              !upernet_isa_emulated(UPERNET_ISA_NEON));
    const struct upernet_cpu_features *host = upernet_cpu_features();
    ck_assert(upernet_isa_runnable(host, upernet_isa_best(host)));
}
END_TEST

/* AVX-512 needs F+BW+DQ+VL and the OS saving ZMM state (emulated by SIMDe
 * in a testing build: what AVX2 needs); AVX2 needs FMA and YMM. */
START_TEST(test_feature_rules)
{
    const bool emulated = upernet_isa_emulated(UPERNET_ISA_AVX512);
    struct upernet_cpu_features f = {.fma = true, .avx2 = true, .avx512f = true, .avx512bw = true,
                                     .avx512dq = true, .avx512vl = true, .os_saves_ymm = true,
                                     .os_saves_zmm = false};
    ck_assert(upernet_isa_runnable(&f, UPERNET_ISA_AVX512) == emulated);
    ck_assert_int_eq(upernet_isa_best(&f),
                     emulated                             ? UPERNET_ISA_AVX512
                     : upernet_isa_built(UPERNET_ISA_AVX2) ? UPERNET_ISA_AVX2
                                                           : UPERNET_ISA_SCALAR);
    f.os_saves_zmm = true;
    f.avx512vl = false;
    ck_assert(upernet_isa_runnable(&f, UPERNET_ISA_AVX512) == emulated);
    f.avx512vl = true;
    ck_assert(upernet_isa_runnable(&f, UPERNET_ISA_AVX512) == upernet_isa_built(UPERNET_ISA_AVX512));
    f.os_saves_ymm = false;
    ck_assert(!upernet_isa_runnable(&f, UPERNET_ISA_AVX2));
    ck_assert(upernet_isa_runnable(&f, UPERNET_ISA_AVX512) ==
              (!emulated && upernet_isa_built(UPERNET_ISA_AVX512)));
}
END_TEST

START_TEST(test_override_lowers_to_scalar)
{
    upernet_error err;
    ck_assert_int_eq(upernet_select_isa("scalar", &err), UPERNET_OK);
    ck_assert_int_eq(upernet_active_isa(), UPERNET_ISA_SCALAR);
    ck_assert_str_eq(upernet_kernels()->layernorm.name, "upernet_f32_layernorm_ukernel__scalar");
    ck_assert_int_eq(upernet_select_isa("", &err), UPERNET_OK);
    ck_assert_int_eq(upernet_active_isa(), upernet_isa_best(upernet_cpu_features()));
}
END_TEST

START_TEST(test_env_override)
{
    upernet_error err;
    setenv("UPERNET_ISA", "scalar", 1);
    ck_assert_int_eq(upernet_select_isa(NULL, &err), UPERNET_OK);
    ck_assert_int_eq(upernet_active_isa(), UPERNET_ISA_SCALAR);
    setenv("UPERNET_ISA", "bogus", 1);
    ck_assert_int_eq(upernet_select_isa(NULL, &err), UPERNET_ERR_ARGUMENT);
    ck_assert_msg(strstr(err.message, "UPERNET_ISA") && strstr(err.message, "bogus"), "%s",
                  err.message);
    ck_assert_int_eq(upernet_active_isa(), UPERNET_ISA_SCALAR); /* unchanged */
    unsetenv("UPERNET_ISA");
}
END_TEST

/* Every tier the host cannot run (there is always one: NEON on x86, the x86
 * tiers on ARM) is refused with a message that names it. */
START_TEST(test_unavailable_tier_refused)
{
    const struct upernet_cpu_features *host = upernet_cpu_features();
    int refused = 0;
    for (int i = 0; i < UPERNET_ISA_COUNT; i++) {
        const enum upernet_isa isa = (enum upernet_isa) i;
        if (upernet_isa_runnable(host, isa))
            continue;
        upernet_error err;
        ck_assert_int_eq(upernet_select_isa("scalar", &err), UPERNET_OK);
        ck_assert_int_eq(upernet_select_isa(upernet_isa_name(isa), &err), UPERNET_ERR_UNSUPPORTED);
        ck_assert_msg(strstr(err.message, upernet_isa_name(isa)) != NULL, "%s", err.message);
        ck_assert_int_eq(upernet_active_isa(), UPERNET_ISA_SCALAR);
        refused++;
    }
    ck_assert_int_ge(refused, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dispatch");
    TCase *tc = tcase_create("dispatch");
    tcase_add_test(tc, test_parse_names);
    tcase_add_test(tc, test_scalar_always_runnable_and_best_is_runnable);
    tcase_add_test(tc, test_feature_rules);
    tcase_add_test(tc, test_override_lowers_to_scalar);
    tcase_add_test(tc, test_env_override);
    tcase_add_test(tc, test_unavailable_tier_refused);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    const int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed == 0 ? 0 : 1;
}
