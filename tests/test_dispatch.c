/* Dispatch: tier parsing, the override only lowers the tier, an unavailable
 * tier is refused with a message, the table holds each slot's production
 * kernel, and a tier with two production variants for a slot is refused. */
#include "config.h"

#include <check.h>
#include <stdio.h>
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

/* The library reads no environment variable: $UPERNET_ISA is the CLI's. */
START_TEST(test_environment_ignored)
{
    upernet_error err;
    setenv("UPERNET_ISA", "scalar", 1);
    ck_assert_int_eq(upernet_select_isa(NULL, &err), UPERNET_OK);
    ck_assert_int_eq(upernet_active_isa(), upernet_isa_best(upernet_cpu_features()));
    ck_assert_int_eq(upernet_isa_best_supported(), upernet_isa_best(upernet_cpu_features()));
    unsetenv("UPERNET_ISA");
}
END_TEST

/* Names: every tier's own, "auto" and "" for the best; unknown names are
 * refused naming the value and the best tier. */
START_TEST(test_isa_from_name)
{
    upernet_error err;
    enum upernet_isa isa = UPERNET_ISA_NEON;
    ck_assert_int_eq(upernet_isa_from_name("auto", &isa, &err), UPERNET_OK);
    ck_assert_int_eq(isa, UPERNET_ISA_AUTO);
    ck_assert_int_eq(upernet_isa_from_name("", &isa, &err), UPERNET_OK);
    ck_assert_int_eq(isa, UPERNET_ISA_AUTO);
    ck_assert_int_eq(upernet_isa_from_name("scalar", &isa, &err), UPERNET_OK);
    ck_assert_int_eq(isa, UPERNET_ISA_SCALAR);
    ck_assert_int_eq(upernet_isa_from_name("bogus", &isa, &err), UPERNET_ERR_ARGUMENT);
    ck_assert_msg(strstr(err.message, "bogus") &&
                      strstr(err.message, upernet_isa_name(upernet_isa_best_supported())),
                  "%s", err.message);
    ck_assert_str_eq(upernet_isa_name(UPERNET_ISA_AUTO), "auto");
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

/* Two production variants for one tier and slot: refused, naming both. */
START_TEST(test_pick_refuses_ambiguity)
{
    const struct upernet_kernel_variant lines[] = {
        {UPERNET_ISA_SCALAR, true, "k__scalar"},
        {UPERNET_ISA_AVX2, true, "k_8c__avx2"},
        {UPERNET_ISA_AVX2, true, "k_16c__avx2"},
    };
    upernet_error err;
    ck_assert_int_eq(upernet_kernel_variant_pick("slot_x", lines, 3, UPERNET_ISA_AVX2, &err), -1);
    ck_assert_int_eq(err.status, UPERNET_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(err.message, "slot_x") && strstr(err.message, "avx2") &&
                      strstr(err.message, "k_8c__avx2") && strstr(err.message, "k_16c__avx2"),
                  "%s", err.message);
    /* The other tiers of the same family are not ambiguous. */
    ck_assert_int_eq(upernet_kernel_variant_pick("slot_x", lines, 3, UPERNET_ISA_SCALAR, &err), 0);
    ck_assert_int_eq(upernet_kernel_variant_pick("slot_x", lines, 3, UPERNET_ISA_AVX512, &err), 0);
}
END_TEST

/* The production variant is chosen wherever it is listed; non-production
 * variants are never handed out; a tier without a production variant gets
 * the scalar reference, not another SIMD tier's variant. */
START_TEST(test_pick_production_or_scalar)
{
    const struct upernet_kernel_variant lines[] = {
        {UPERNET_ISA_AVX2, false, "k_4x8__avx2"},
        {UPERNET_ISA_SCALAR, true, "k__scalar"},
        {UPERNET_ISA_AVX2, true, "k_6x16__avx2"},
        {UPERNET_ISA_AVX2, false, "k_8x8__avx2"},
        {UPERNET_ISA_NEON, false, "k_8x8__neon"},
    };
    upernet_error err;
    ck_assert_int_eq(upernet_kernel_variant_pick("s", lines, 5, UPERNET_ISA_AVX2, &err), 2);
    ck_assert_int_eq(upernet_kernel_variant_pick("s", lines, 5, UPERNET_ISA_AVX512, &err), 1);
    ck_assert_int_eq(upernet_kernel_variant_pick("s", lines, 5, UPERNET_ISA_NEON, &err), 1);
    /* No scalar reference either: an error, not a NULL kernel. */
    ck_assert_int_eq(upernet_kernel_variant_pick("s", lines + 2, 3, UPERNET_ISA_NEON, &err), -1);
    ck_assert_msg(strstr(err.message, "neon") != NULL, "%s", err.message);
}
END_TEST

static bool has_suffix(const char *s, const char *suffix)
{
    const size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The real .inc lists: every built tier (runnable here or not) fills its
 * table, and each slot holds that tier's variant (an SSE2 one on the x86
 * tiers) or the scalar reference. */
START_TEST(test_built_tiers_unambiguous)
{
    for (int i = 0; i < UPERNET_ISA_COUNT; i++) {
        const enum upernet_isa isa = (enum upernet_isa) i;
        if (!upernet_isa_built(isa))
            continue;
        struct upernet_kernel_table t;
        upernet_error err;
        ck_assert_msg(upernet_kernel_table_fill(&t, isa, &err) == UPERNET_OK, "%s", err.message);
        char own[32];
        snprintf(own, sizeof own, "__%s", upernet_isa_name(isa));
        /* SSE2 is the x86-64 baseline: its variants may serve the x86 tiers. */
        const bool x86 = isa == UPERNET_ISA_AVX2 || isa == UPERNET_ISA_AVX512;
        const char *names[] = {t.layernorm.name,        t.igemm.name,
                               t.dwconv7x7.name,        t.winograd23_input.name,
                               t.winograd23_output.name, t.bilinear_h.name,
                               t.bilinear_v.name};
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
            ck_assert_msg(has_suffix(names[k], own) || has_suffix(names[k], "__scalar") ||
                              (x86 && has_suffix(names[k], "__sse2")),
                          "tier %s got %s", upernet_isa_name(isa), names[k]);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dispatch");
    TCase *tc = tcase_create("dispatch");
    /* test_environment_ignored builds a tiny model (seconds on a loaded
     * machine: Check's default 4 s timeout failed it under -j2 builds). */
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_parse_names);
    tcase_add_test(tc, test_scalar_always_runnable_and_best_is_runnable);
    tcase_add_test(tc, test_feature_rules);
    tcase_add_test(tc, test_override_lowers_to_scalar);
    tcase_add_test(tc, test_environment_ignored);
    tcase_add_test(tc, test_isa_from_name);
    tcase_add_test(tc, test_unavailable_tier_refused);
    tcase_add_test(tc, test_pick_refuses_ambiguity);
    tcase_add_test(tc, test_pick_production_or_scalar);
    tcase_add_test(tc, test_built_tiers_unambiguous);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    const int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed == 0 ? 0 : 1;
}
