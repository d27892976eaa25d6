/* The kernel tables: one pointer per kernel slot, each next to its tile
 * sizes and name, one table per tier, filled once. A model keeps the table of
 * its own tier (upernet_kernels_for); kernel tests and benchmarks that call
 * the ops directly use the default table (upernet_kernels, the best tier
 * unless lowered by upernet_select_isa). Each slot gets the variant its
 * family's .inc marks UPERNET_PROD for that tier; a slot the tier has no
 * production variant for gets the scalar reference (the scalar tier's
 * production variant), never another SIMD tier's. A tier with two
 * production variants for one slot is refused. */
#ifndef UPERNET_KERNELS_DISPATCH_H
#define UPERNET_KERNELS_DISPATCH_H

#include <stdbool.h>

#include "kernels/cpu-features.h"
#include "kernels/microkernels.h"

struct upernet_kernel_table {
    enum upernet_isa isa;
    struct upernet_layernorm_kernel {
        upernet_f32_layernorm_fn fn;
        const char *name;
        size_t channel_tile;
    } layernorm;
    struct upernet_igemm_kernel {
        upernet_f32_igemm_fn fn;
        const char *name;
        size_t mr; /* rows per call (tile height) */
        size_t nr; /* columns per packed panel (tile width) */
    } igemm;
    struct upernet_dwconv7x7_kernel {
        upernet_f32_dwconv7x7_fn fn;
        const char *name;
        size_t channel_tile;
    } dwconv7x7;
    struct upernet_winograd23_input_kernel {
        upernet_f32_winograd23_input_fn fn;
        const char *name;
        size_t channel_tile;
    } winograd23_input;
    struct upernet_winograd23_output_kernel {
        upernet_f32_winograd23_output_fn fn;
        const char *name;
        size_t channel_tile;
    } winograd23_output;
    struct upernet_bilinear_h_kernel {
        upernet_f32_bilinear_h_fn fn;
        const char *name;
    } bilinear_h;
    struct upernet_bilinear_v_kernel {
        upernet_f32_bilinear_v_fn fn;
        const char *name;
    } bilinear_v;
    struct upernet_bilinear_hp_kernel {
        upernet_f32_bilinear_hp_fn fn;
        const char *name;
    } bilinear_hp;
    struct upernet_bilinear_argmax_kernel {
        upernet_f32_bilinear_argmax_fn fn;
        const char *name;
        size_t pixel_tile;
    } bilinear_argmax;
};

/* One line of a family's .inc as dispatch reads it. */
struct upernet_kernel_variant {
    enum upernet_isa tier;
    bool production; /* UPERNET_PROD */
    const char *name;
};

/* The variant tier isa uses among the n lines of one family (slot names the
 * family in messages): the tier's production variant or, if the tier has
 * none, the scalar tier's. Returns its index, or -1 with err set when the
 * tier (or, falling back, the scalar tier) has two production variants or
 * the scalar tier has none. */
ptrdiff_t upernet_kernel_variant_pick(const char *slot, const struct upernet_kernel_variant *variants,
                                      size_t n, enum upernet_isa isa, upernet_error *err);

/* Fills t with tier isa's kernels (whether or not this CPU can run them).
 * Fails, naming the slot and the variants, where a .inc is ambiguous. */
enum upernet_status upernet_kernel_table_fill(struct upernet_kernel_table *t, enum upernet_isa isa,
                                              upernet_error *err);

/* The table of tier isa (UPERNET_ISA_AUTO: the best runnable one), filled
 * on first use and never changed afterwards. The caller checks that the tier
 * is runnable. NULL with err set when the tier's .inc lines are ambiguous.
 * Thread-safe. */
const struct upernet_kernel_table *upernet_kernels_for(enum upernet_isa isa, upernet_error *err);

/* The default table (for code that runs kernels without a model: kernel
 * tests, benchmarks); the best runnable tier until upernet_select_isa. */
const struct upernet_kernel_table *upernet_kernels(void);

/* Makes `request` (a tier name; NULL, "" or "auto": the best runnable tier)
 * the default tier; refuses (as upernet_isa_from_name) a tier that is
 * unknown or not runnable here, leaving the default unchanged. Reads no
 * environment variable. */
enum upernet_status upernet_select_isa(const char *request, upernet_error *err);

/* The default tier. */
enum upernet_isa upernet_active_isa(void);

/* Whether the CPU (features f) and this build can run tier isa (an emulated
 * AVX-512 tier needs what AVX2 needs). */
bool upernet_isa_runnable(const struct upernet_cpu_features *f, enum upernet_isa isa);

/* The best tier runnable with features f. */
enum upernet_isa upernet_isa_best(const struct upernet_cpu_features *f);

/* Parses a tier name; returns false if unknown. */
bool upernet_isa_parse(const char *name, enum upernet_isa *isa);

/* Writes one line per slot ("layernorm  upernet_f32_..._16c__avx512  channel_tile=16"). */
void upernet_kernels_describe(const struct upernet_kernel_table *t, char *buf, size_t size);

#endif
