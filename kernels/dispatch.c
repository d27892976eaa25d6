#include "config.h"

#include "kernels/dispatch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

static const char *const isa_names[UPERNET_ISA_COUNT] = {"scalar", "avx2", "avx512", "neon"};

const char *upernet_isa_name(enum upernet_isa isa)
{
    if (isa == UPERNET_ISA_AUTO)
        return "auto";
    return (unsigned) isa < UPERNET_ISA_COUNT ? isa_names[isa] : "unknown";
}

bool upernet_isa_parse(const char *name, enum upernet_isa *isa)
{
    for (int i = 0; i < UPERNET_ISA_COUNT; i++) {
        if (strcmp(name, isa_names[i]) == 0) {
            *isa = (enum upernet_isa) i;
            return true;
        }
    }
    return false;
}

bool upernet_isa_built(enum upernet_isa isa)
{
    switch (isa) {
    case UPERNET_ISA_SCALAR: return true;
#ifdef UPERNET_BUILD_AVX2
    case UPERNET_ISA_AVX2: return true;
#endif
#ifdef UPERNET_BUILD_AVX512
    case UPERNET_ISA_AVX512: return true;
#endif
#ifdef UPERNET_BUILD_NEON
    case UPERNET_ISA_NEON: return true;
#endif
    default: return false;
    }
}

bool upernet_isa_emulated(enum upernet_isa isa)
{
#ifdef UPERNET_AVX512_EMULATED
    return isa == UPERNET_ISA_AVX512;
#else
    (void) isa;
    return false;
#endif
}

bool upernet_isa_runnable(const struct upernet_cpu_features *f, enum upernet_isa isa)
{
    if (!upernet_isa_built(isa))
        return false;
    switch (isa) {
    case UPERNET_ISA_SCALAR: return true;
    case UPERNET_ISA_AVX2: return f->avx2 && f->fma && f->os_saves_ymm;
    case UPERNET_ISA_AVX512:
        if (upernet_isa_emulated(isa)) /* SIMDe over AVX2+FMA */
            return f->avx2 && f->fma && f->os_saves_ymm;
        return f->avx512f && f->avx512bw && f->avx512dq && f->avx512vl && f->fma &&
               f->os_saves_zmm;
    case UPERNET_ISA_NEON: return f->asimd;
    default: return false;
    }
}

enum upernet_isa upernet_isa_best(const struct upernet_cpu_features *f)
{
    static const enum upernet_isa best_first[] = {UPERNET_ISA_AVX512, UPERNET_ISA_AVX2,
                                                  UPERNET_ISA_NEON};
    for (size_t i = 0; i < sizeof best_first / sizeof best_first[0]; i++)
        if (upernet_isa_runnable(f, best_first[i]))
            return best_first[i];
    return UPERNET_ISA_SCALAR;
}

ptrdiff_t upernet_kernel_variant_pick(const char *slot, const struct upernet_kernel_variant *variants,
                                      size_t n, enum upernet_isa isa, upernet_error *err)
{
    const enum upernet_isa order[2] = {isa, UPERNET_ISA_SCALAR};
    for (size_t k = 0; k < 2; k++) {
        ptrdiff_t found = -1;
        for (size_t i = 0; i < n; i++) {
            if (variants[i].tier != order[k] || !variants[i].production)
                continue;
            if (found >= 0) {
                upernet_fail(err, UPERNET_ERR_UNSUPPORTED,
                             "kernel slot %s: tier %s has two production variants, %s and %s "
                             "(mark all but one UPERNET_NON_PROD in the family's .inc)",
                             slot, upernet_isa_name(order[k]), variants[found].name,
                             variants[i].name);
                return -1;
            }
            found = (ptrdiff_t) i;
        }
        if (found >= 0)
            return found;
    }
    upernet_fail(err, UPERNET_ERR_UNSUPPORTED,
                 "kernel slot %s: no production variant for tier %s and no scalar reference", slot,
                 upernet_isa_name(isa));
    return -1;
}

/* Each family's .inc expanded twice, in the same order: the lines as
 * upernet_kernel_variant_pick reads them, and what the slot receives. */
#define UPERNET_LAYERNORM_UKERNEL(tier, production, function, ctile) \
    {(tier), (production), #function},
static const struct upernet_kernel_variant layernorm_variants[] = {
#include "kernels/f32-layernorm/f32-layernorm.inc"
};
#undef UPERNET_LAYERNORM_UKERNEL
#define UPERNET_LAYERNORM_UKERNEL(tier, production, function, ctile) {function, #function, (ctile)},
static const struct upernet_layernorm_kernel layernorm_kernels[] = {
#include "kernels/f32-layernorm/f32-layernorm.inc"
};
#undef UPERNET_LAYERNORM_UKERNEL

#define UPERNET_IGEMM_UKERNEL(tier, production, function, mr_tile, nr_tile) \
    {(tier), (production), #function},
static const struct upernet_kernel_variant igemm_variants[] = {
#include "kernels/f32-igemm/f32-igemm.inc"
};
#undef UPERNET_IGEMM_UKERNEL
#define UPERNET_IGEMM_UKERNEL(tier, production, function, mr_tile, nr_tile) \
    {function, #function, (mr_tile), (nr_tile)},
static const struct upernet_igemm_kernel igemm_kernels[] = {
#include "kernels/f32-igemm/f32-igemm.inc"
};
#undef UPERNET_IGEMM_UKERNEL

#define UPERNET_DWCONV7X7_UKERNEL(tier, production, function, ctile) \
    {(tier), (production), #function},
static const struct upernet_kernel_variant dwconv7x7_variants[] = {
#include "kernels/f32-dwconv7x7/f32-dwconv7x7.inc"
};
#undef UPERNET_DWCONV7X7_UKERNEL
#define UPERNET_DWCONV7X7_UKERNEL(tier, production, function, ctile) {function, #function, (ctile)},
static const struct upernet_dwconv7x7_kernel dwconv7x7_kernels[] = {
#include "kernels/f32-dwconv7x7/f32-dwconv7x7.inc"
};
#undef UPERNET_DWCONV7X7_UKERNEL

#define UPERNET_WINOGRAD23_INPUT_UKERNEL(tier, production, function, ctile) \
    {(tier), (production), #function},
static const struct upernet_kernel_variant winograd23_input_variants[] = {
#include "kernels/f32-winograd23/f32-winograd23-input.inc"
};
#undef UPERNET_WINOGRAD23_INPUT_UKERNEL
#define UPERNET_WINOGRAD23_INPUT_UKERNEL(tier, production, function, ctile) \
    {function, #function, (ctile)},
static const struct upernet_winograd23_input_kernel winograd23_input_kernels[] = {
#include "kernels/f32-winograd23/f32-winograd23-input.inc"
};
#undef UPERNET_WINOGRAD23_INPUT_UKERNEL

#define UPERNET_WINOGRAD23_OUTPUT_UKERNEL(tier, production, function, ctile) \
    {(tier), (production), #function},
static const struct upernet_kernel_variant winograd23_output_variants[] = {
#include "kernels/f32-winograd23/f32-winograd23-output.inc"
};
#undef UPERNET_WINOGRAD23_OUTPUT_UKERNEL
#define UPERNET_WINOGRAD23_OUTPUT_UKERNEL(tier, production, function, ctile) \
    {function, #function, (ctile)},
static const struct upernet_winograd23_output_kernel winograd23_output_kernels[] = {
#include "kernels/f32-winograd23/f32-winograd23-output.inc"
};
#undef UPERNET_WINOGRAD23_OUTPUT_UKERNEL

#define UPERNET_BILINEAR_H_UKERNEL(tier, production, function) {(tier), (production), #function},
static const struct upernet_kernel_variant bilinear_h_variants[] = {
#include "kernels/f32-bilinear/f32-bilinear-h.inc"
};
#undef UPERNET_BILINEAR_H_UKERNEL
#define UPERNET_BILINEAR_H_UKERNEL(tier, production, function) {function, #function},
static const struct upernet_bilinear_h_kernel bilinear_h_kernels[] = {
#include "kernels/f32-bilinear/f32-bilinear-h.inc"
};
#undef UPERNET_BILINEAR_H_UKERNEL

#define UPERNET_BILINEAR_V_UKERNEL(tier, production, function) {(tier), (production), #function},
static const struct upernet_kernel_variant bilinear_v_variants[] = {
#include "kernels/f32-bilinear/f32-bilinear-v.inc"
};
#undef UPERNET_BILINEAR_V_UKERNEL
#define UPERNET_BILINEAR_V_UKERNEL(tier, production, function) {function, #function},
static const struct upernet_bilinear_v_kernel bilinear_v_kernels[] = {
#include "kernels/f32-bilinear/f32-bilinear-v.inc"
};
#undef UPERNET_BILINEAR_V_UKERNEL

#define UPERNET_BILINEAR_HP_UKERNEL(tier, production, function) {(tier), (production), #function},
static const struct upernet_kernel_variant bilinear_hp_variants[] = {
#include "kernels/f32-bilinear/f32-bilinear-hp.inc"
};
#undef UPERNET_BILINEAR_HP_UKERNEL
#define UPERNET_BILINEAR_HP_UKERNEL(tier, production, function) {function, #function},
static const struct upernet_bilinear_hp_kernel bilinear_hp_kernels[] = {
#include "kernels/f32-bilinear/f32-bilinear-hp.inc"
};
#undef UPERNET_BILINEAR_HP_UKERNEL

#define UPERNET_BILINEAR_ARGMAX_UKERNEL(tier, production, function, pixel_tile) \
    {(tier), (production), #function},
static const struct upernet_kernel_variant bilinear_argmax_variants[] = {
#include "kernels/f32-bilinear-argmax/f32-bilinear-argmax.inc"
};
#undef UPERNET_BILINEAR_ARGMAX_UKERNEL
#define UPERNET_BILINEAR_ARGMAX_UKERNEL(tier, production, function, pixel_tile) \
    {function, #function, (pixel_tile)},
static const struct upernet_bilinear_argmax_kernel bilinear_argmax_kernels[] = {
#include "kernels/f32-bilinear-argmax/f32-bilinear-argmax.inc"
};
#undef UPERNET_BILINEAR_ARGMAX_UKERNEL

enum upernet_status upernet_kernel_table_fill(struct upernet_kernel_table *t, enum upernet_isa isa,
                                              upernet_error *err)
{
    struct upernet_kernel_table filled = {.isa = isa};
#define PICK(slot)                                                                            \
    do {                                                                                      \
        const ptrdiff_t i = upernet_kernel_variant_pick(                                      \
            #slot, slot##_variants, sizeof slot##_variants / sizeof slot##_variants[0], isa, \
            err);                                                                             \
        if (i < 0)                                                                            \
            return UPERNET_ERR_UNSUPPORTED; /* err says which slot */                         \
        filled.slot = slot##_kernels[i];                                                      \
    } while (0)
    PICK(layernorm);
    PICK(igemm);
    PICK(dwconv7x7);
    PICK(winograd23_input);
    PICK(winograd23_output);
    PICK(bilinear_h);
    PICK(bilinear_v);
    PICK(bilinear_hp);
    PICK(bilinear_argmax);
#undef PICK
    *t = filled;
    upernet_error_clear(err);
    return UPERNET_OK;
}

enum upernet_status upernet_isa_from_name(const char *name, enum upernet_isa *out,
                                          upernet_error *err)
{
    const struct upernet_cpu_features *f = upernet_cpu_features();
    if (name == NULL || name[0] == '\0' || strcmp(name, "auto") == 0) {
        *out = UPERNET_ISA_AUTO;
        upernet_error_clear(err);
        return UPERNET_OK;
    }
    enum upernet_isa wanted;
    if (!upernet_isa_parse(name, &wanted))
        return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                            "ISA tier '%s' is unknown (expected scalar, avx2, avx512 or neon; "
                            "best here: %s)",
                            name, upernet_isa_name(upernet_isa_best(f)));
    if (!upernet_isa_runnable(f, wanted))
        return upernet_fail(err, UPERNET_ERR_UNSUPPORTED,
                            "ISA tier '%s' is not available: %s (best here: %s)", name,
                            upernet_isa_built(wanted) ? "this CPU or OS lacks it"
                                                      : "this build does not include it",
                            upernet_isa_name(upernet_isa_best(f)));
    *out = wanted;
    upernet_error_clear(err);
    return UPERNET_OK;
}

/* One table per tier, filled on first use and never changed afterwards, so
 * models of different tiers can run side by side. */
static struct upernet_kernel_table tier_tables[UPERNET_ISA_COUNT];
static bool tier_table_ready[UPERNET_ISA_COUNT];
static enum upernet_isa default_isa = UPERNET_ISA_AUTO;
static pthread_mutex_t tables_lock = PTHREAD_MUTEX_INITIALIZER;

const struct upernet_kernel_table *upernet_kernels_for(enum upernet_isa isa, upernet_error *err)
{
    if (isa == UPERNET_ISA_AUTO || (unsigned) isa >= UPERNET_ISA_COUNT)
        isa = upernet_isa_best(upernet_cpu_features());
    pthread_mutex_lock(&tables_lock);
    if (!tier_table_ready[isa])
        tier_table_ready[isa] = upernet_kernel_table_fill(&tier_tables[isa], isa, err) == UPERNET_OK;
    const bool ready = tier_table_ready[isa];
    pthread_mutex_unlock(&tables_lock);
    return ready ? &tier_tables[isa] : NULL;
}

enum upernet_status upernet_select_isa(const char *request, upernet_error *err)
{
    enum upernet_isa isa = UPERNET_ISA_AUTO;
    if (request != NULL && upernet_isa_from_name(request, &isa, err) != UPERNET_OK)
        return err != NULL ? err->status : UPERNET_ERR_ARGUMENT;
    if (isa == UPERNET_ISA_AUTO)
        isa = upernet_isa_best(upernet_cpu_features());
    if (upernet_kernels_for(isa, err) == NULL)
        return err != NULL ? err->status : UPERNET_ERR_UNSUPPORTED;
    pthread_mutex_lock(&tables_lock);
    default_isa = isa;
    pthread_mutex_unlock(&tables_lock);
    upernet_error_clear(err);
    return UPERNET_OK;
}

const struct upernet_kernel_table *upernet_kernels(void)
{
    pthread_mutex_lock(&tables_lock);
    const enum upernet_isa isa = default_isa;
    pthread_mutex_unlock(&tables_lock);
    const struct upernet_kernel_table *t = upernet_kernels_for(isa, NULL);
    /* Only an ambiguous .inc can make that fail, and tests/test_dispatch.c
     * keeps such a build from shipping; the scalar table is the fallback. */
    return t != NULL ? t : upernet_kernels_for(UPERNET_ISA_SCALAR, NULL);
}

enum upernet_isa upernet_active_isa(void)
{
    return upernet_kernels()->isa;
}

void upernet_kernels_describe(const struct upernet_kernel_table *t, char *buf, size_t size)
{
    snprintf(buf, size,
             "  %-12s %-48s channel_tile=%zu\n"
             "  %-12s %-48s mr=%zu nr=%zu\n"
             "  %-12s %-48s channel_tile=%zu\n"
             "  %-12s %-48s channel_tile=%zu\n"
             "  %-12s %-48s channel_tile=%zu\n"
             "  %-12s %s\n"
             "  %-12s %s\n"
             "  %-12s %s\n"
             "  %-12s %-48s pixel_tile=%zu\n",
             "layernorm", t->layernorm.name, t->layernorm.channel_tile, "igemm", t->igemm.name,
             t->igemm.mr, t->igemm.nr, "dwconv7x7", t->dwconv7x7.name,
             t->dwconv7x7.channel_tile, "wino23-in", t->winograd23_input.name,
             t->winograd23_input.channel_tile, "wino23-out", t->winograd23_output.name,
             t->winograd23_output.channel_tile, "bilinear-h", t->bilinear_h.name, "bilinear-v",
             t->bilinear_v.name, "bilinear-hp", t->bilinear_hp.name, "argmax", t->bilinear_argmax.name,
             t->bilinear_argmax.pixel_tile);
}
