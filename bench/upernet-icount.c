/* upernet-icount: fixed, small kernel workloads whose instruction counts
 * bench/icount-gate.sh measures under callgrind (the CI gate: counts are
 * exactly repeatable on one toolchain, unlike times on a shared machine).
 *
 *   upernet-icount --list      one workload name per line ("layernorm/avx2/512x96")
 *                              for every compiled variant this host runs
 *   upernet-icount NAME        prepares NAME's inputs, then runs the workload
 *                              once inside icount_workload() (the function
 *                              callgrind's --toggle-collect counts)
 *
 * Workloads call each micro-kernel variant directly (one per line of the
 * kernel families' .inc lists), single-threaded, on fixed deterministic
 * inputs: a change in a kernel's instruction count is a change in that
 * kernel's code or in the compiler. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/dispatch.h"
#include "kernels/microkernels.h"
#include "kernels/pack.h"

/* ---------------------------------------------------------------- workloads */

enum family {
    FAMILY_LAYERNORM,
    FAMILY_IGEMM_1X1_GELU,
    FAMILY_IGEMM_3X3,
    FAMILY_DWCONV7X7,
    FAMILY_WINOGRAD23
};

struct variant {
    enum family family;
    enum upernet_isa tier;
    const char *function;
    upernet_f32_layernorm_fn layernorm;
    upernet_f32_igemm_fn igemm;
    size_t mr, nr;
    upernet_f32_dwconv7x7_fn dwconv7x7;
    upernet_f32_winograd23_input_fn winograd_input; /* a tier's input and output */
    upernet_f32_winograd23_output_fn winograd_output; /* transforms run together */
};

/* Shapes: small enough for callgrind to take well under a second each, large
 * enough to go through each kernel's main loop and its tails. */
enum {
    LN_PIXELS = 512, LN_CHANNELS = 96,             /* ConvNeXt stage-1 width */
    MLP_ROWS = 61, MLP_IN = 96, MLP_OUT = 384,     /* rows not a multiple of any MR */
    C3_SIZE = 9, C3_IN = 32, C3_OUT = 72,          /* 9x9 map, 3x3 conv, pad 1 */
    DW_SIZE = 15, DW_CHANNELS = 100,               /* channels not a multiple of 16 */
    WG_SIZE = 10, WG_CHANNELS = 100                /* 5x5 tiles of 2x2 outputs */
};
#define WG_TILES ((WG_SIZE / 2) * (WG_SIZE / 2))
#define WG_X_ROW ((WG_SIZE + 2) * WG_CHANNELS) /* the padded input map's row */

static void fill(float *x, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float) (seed >> 8) * (2.0f / 16777216.0f) - 1.0f;
    }
}

static float *floats(size_t n, unsigned seed)
{
    float *p = aligned_alloc(64, ((n * sizeof(float)) + 63) & ~(size_t) 63);
    if (p == NULL) {
        fputs("upernet-icount: out of memory\n", stderr);
        exit(1);
    }
    fill(p, n, seed);
    return p;
}

struct prepared {
    const struct variant *v;
    float *x, *y, *w, *gamma, *beta, *bias, *zero;
    const float **ptrs; /* igemm indirection: per output pixel, ks row pointers */
    size_t rows, in_c, out_c, kernel, ks;
};

/* An igemm over `rows` output pixels whose step-s input row is ptrs[row*ks + s]:
 * tiles of MR rows x NR columns, exactly as the operator layer calls it. */
static void run_igemm(const struct prepared *p, enum upernet_activation act)
{
    const struct variant *v = p->v;
    const size_t panel = upernet_pack_conv_panel_floats(p->in_c, p->kernel, p->kernel, v->nr);
    const struct upernet_gemm_epilogue ep = {act, NULL, NULL, 0};
    const float *a[64 * 9];
    for (size_t r0 = 0; r0 < p->rows; r0 += v->mr) {
        const size_t mr = p->rows - r0 < v->mr ? p->rows - r0 : v->mr;
        for (size_t s = 0; s < p->ks; s++)
            for (size_t i = 0; i < mr; i++)
                a[s * mr + i] = p->ptrs[(r0 + i) * p->ks + s];
        for (size_t n0 = 0; n0 < p->out_c; n0 += v->nr) {
            const size_t nc = p->out_c - n0 < v->nr ? p->out_c - n0 : v->nr;
            v->igemm(mr, nc, p->in_c, p->ks, a, p->w + (n0 / v->nr) * panel,
                     p->y + r0 * p->out_c + n0, p->out_c, &ep);
        }
    }
}

/* The measured region: nothing but the kernel calls. */
__attribute__((noinline)) void icount_workload(const struct prepared *p);
__attribute__((noinline)) void icount_workload(const struct prepared *p)
{
    switch (p->v->family) {
    case FAMILY_LAYERNORM:
        p->v->layernorm(LN_PIXELS, LN_CHANNELS, p->x, LN_CHANNELS, p->y, LN_CHANNELS, p->gamma,
                        p->beta, 1e-6f);
        break;
    case FAMILY_IGEMM_1X1_GELU:
        run_igemm(p, UPERNET_ACT_GELU);
        break;
    case FAMILY_IGEMM_3X3:
        run_igemm(p, UPERNET_ACT_NONE);
        break;
    case FAMILY_DWCONV7X7:
        p->v->dwconv7x7(DW_SIZE, DW_SIZE, DW_CHANNELS, 0, DW_SIZE, p->x, p->w, p->bias, p->y);
        break;
    case FAMILY_WINOGRAD23:
        /* Input transform of every tile into w (16 positions), then the
         * output transform of w as if it were the GEMMs' result. */
        for (size_t t = 0; t < WG_TILES; t++)
            p->v->winograd_input(WG_CHANNELS,
                                 p->x + 2 * (t / (WG_SIZE / 2)) * WG_X_ROW +
                                     2 * (t % (WG_SIZE / 2)) * WG_CHANNELS,
                                 WG_X_ROW, WG_CHANNELS, p->w + t * WG_CHANNELS,
                                 WG_TILES * WG_CHANNELS);
        for (size_t t = 0; t < WG_TILES; t++)
            p->v->winograd_output(WG_CHANNELS, p->w + t * WG_CHANNELS, WG_TILES * WG_CHANNELS,
                                  p->bias, UPERNET_ACT_RELU,
                                  p->y + (2 * (t / (WG_SIZE / 2)) * WG_SIZE +
                                          2 * (t % (WG_SIZE / 2))) *
                                             WG_CHANNELS,
                                  WG_SIZE * WG_CHANNELS, WG_CHANNELS, 2, 2);
        break;
    }
    __asm__ volatile("" ::: "memory");
}

static void prepare(const struct variant *v, struct prepared *p)
{
    memset(p, 0, sizeof *p);
    p->v = v;
    switch (v->family) {
    case FAMILY_LAYERNORM:
        p->x = floats(LN_PIXELS * LN_CHANNELS, 1);
        p->y = floats(LN_PIXELS * LN_CHANNELS, 2);
        p->gamma = floats(LN_CHANNELS, 3);
        p->beta = floats(LN_CHANNELS, 4);
        break;
    case FAMILY_IGEMM_1X1_GELU:
    case FAMILY_IGEMM_3X3: {
        const bool conv = v->family == FAMILY_IGEMM_3X3;
        const size_t k = conv ? 3 : 1;
        p->rows = conv ? C3_SIZE * C3_SIZE : MLP_ROWS;
        p->in_c = conv ? C3_IN : MLP_IN;
        p->out_c = conv ? C3_OUT : MLP_OUT;
        p->kernel = k;
        p->ks = k * k;
        float *weight = floats(p->out_c * p->in_c * k * k, 5), *bias = floats(p->out_c, 6);
        p->w = floats(upernet_pack_conv_floats(p->out_c, p->in_c, k, k, v->nr), 0);
        upernet_pack_conv(p->out_c, p->in_c, k, k, v->nr, weight, bias, NULL, p->w);
        free(weight), free(bias);
        p->x = floats(p->rows * p->in_c, 7);
        p->y = floats(p->rows * p->out_c, 8);
        p->zero = calloc(p->in_c, sizeof(float));
        p->ptrs = malloc(p->rows * p->ks * sizeof *p->ptrs);
        if (p->zero == NULL || p->ptrs == NULL)
            exit(1);
        for (size_t r = 0; r < p->rows; r++)
            for (size_t s = 0; s < p->ks; s++) {
                if (!conv) {
                    p->ptrs[r * p->ks + s] = p->x + r * p->in_c;
                    continue;
                }
                const long oy = (long) (r / C3_SIZE), ox = (long) (r % C3_SIZE);
                const long iy = oy + (long) (s / 3) - 1, ix = ox + (long) (s % 3) - 1;
                p->ptrs[r * p->ks + s] = iy < 0 || ix < 0 || iy >= C3_SIZE || ix >= C3_SIZE
                                             ? p->zero
                                             : p->x + ((size_t) iy * C3_SIZE + (size_t) ix) * p->in_c;
            }
        break;
    }
    case FAMILY_DWCONV7X7:
        p->x = floats(DW_SIZE * DW_SIZE * DW_CHANNELS, 9);
        p->y = floats(DW_SIZE * DW_SIZE * DW_CHANNELS, 10);
        p->w = floats(49 * DW_CHANNELS, 11);
        p->bias = floats(DW_CHANNELS, 12);
        break;
    case FAMILY_WINOGRAD23:
        p->x = floats((WG_SIZE + 2) * WG_X_ROW, 13);
        p->w = floats(16 * WG_TILES * WG_CHANNELS, 14);
        p->y = floats(WG_SIZE * WG_SIZE * WG_CHANNELS, 15);
        p->bias = floats(WG_CHANNELS, 16);
        break;
    }
}

/* ---------------------------------------------------------------- the list */

static struct variant variants[64];
static size_t n_variants;

static void add(struct variant v)
{
    if (n_variants < sizeof variants / sizeof variants[0])
        variants[n_variants++] = v;
}

static void collect(void)
{
#define UPERNET_LAYERNORM_UKERNEL(t, production, fn, ctile) \
    add((struct variant){.family = FAMILY_LAYERNORM, .tier = t, .function = #fn, .layernorm = fn});
#include "kernels/f32-layernorm/f32-layernorm.inc"
#undef UPERNET_LAYERNORM_UKERNEL
#define UPERNET_IGEMM_UKERNEL(t, production, fn, mr_tile, nr_tile)                          \
    add((struct variant){.family = FAMILY_IGEMM_1X1_GELU, .tier = t, .function = #fn,       \
                         .igemm = fn, .mr = mr_tile, .nr = nr_tile});                        \
    add((struct variant){.family = FAMILY_IGEMM_3X3, .tier = t, .function = #fn,            \
                         .igemm = fn, .mr = mr_tile, .nr = nr_tile});
#include "kernels/f32-igemm/f32-igemm.inc"
#undef UPERNET_IGEMM_UKERNEL
#define UPERNET_DWCONV7X7_UKERNEL(t, production, fn, ctile) \
    add((struct variant){.family = FAMILY_DWCONV7X7, .tier = t, .function = #fn, .dwconv7x7 = fn});
#include "kernels/f32-dwconv7x7/f32-dwconv7x7.inc"
#undef UPERNET_DWCONV7X7_UKERNEL
#define UPERNET_WINOGRAD23_INPUT_UKERNEL(t, production, fn, ctile)                        \
    add((struct variant){.family = FAMILY_WINOGRAD23, .tier = t, .function = #fn,        \
                         .winograd_input = fn});
#include "kernels/f32-winograd23/f32-winograd23-input.inc"
#undef UPERNET_WINOGRAD23_INPUT_UKERNEL
#define UPERNET_WINOGRAD23_OUTPUT_UKERNEL(t, production, fn, ctile)                       \
    for (size_t i = 0; i < n_variants; i++)                                               \
        if (variants[i].family == FAMILY_WINOGRAD23 && variants[i].tier == (t))           \
            variants[i].winograd_output = fn;
#include "kernels/f32-winograd23/f32-winograd23-output.inc"
#undef UPERNET_WINOGRAD23_OUTPUT_UKERNEL
}

/* "layernorm/avx2/512x96@upernet_f32_layernorm_ukernel_8c__avx2": family,
 * tier and shape, then the function (several variants may share a tier). */
static void variant_name(const struct variant *v, char *buf, size_t size)
{
    const char *tier = upernet_isa_name(v->tier);
    switch (v->family) {
    case FAMILY_LAYERNORM:
        snprintf(buf, size, "layernorm/%s/%dx%d@%s", tier, LN_PIXELS, LN_CHANNELS, v->function);
        break;
    case FAMILY_IGEMM_1X1_GELU:
        snprintf(buf, size, "igemm-1x1-gelu/%s/%dx%dx%d@%s", tier, MLP_ROWS, MLP_IN, MLP_OUT,
                 v->function);
        break;
    case FAMILY_IGEMM_3X3:
        snprintf(buf, size, "igemm-3x3/%s/%dx%dx%dto%d@%s", tier, C3_SIZE, C3_SIZE, C3_IN, C3_OUT,
                 v->function);
        break;
    case FAMILY_DWCONV7X7:
        snprintf(buf, size, "dwconv7x7/%s/%dx%dx%d@%s", tier, DW_SIZE, DW_SIZE, DW_CHANNELS,
                 v->function);
        break;
    case FAMILY_WINOGRAD23: /* named by its input transform; the output one is the same tier's */
        snprintf(buf, size, "winograd23-in+out/%s/%dx%dx%d@%s", tier, WG_SIZE, WG_SIZE,
                 WG_CHANNELS, v->function);
        break;
    }
}

int main(int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "--help") == 0) {
        fputs("usage: upernet-icount --list | upernet-icount NAME\n"
              "Runs one fixed kernel workload (for callgrind --toggle-collect=icount_workload).\n",
              argc == 2 ? stdout : stderr);
        return argc == 2 ? 0 : 2;
    }
    collect();
    const struct upernet_cpu_features *f = upernet_cpu_features();
    char name[256];
    for (size_t i = 0; i < n_variants; i++) {
        /* An emulated tier (testing builds) has no baseline worth gating. */
        if (!upernet_isa_runnable(f, variants[i].tier) || upernet_isa_emulated(variants[i].tier))
            continue;
        variant_name(&variants[i], name, sizeof name);
        if (strcmp(argv[1], "--list") == 0) {
            puts(name);
            continue;
        }
        if (strcmp(argv[1], name) != 0)
            continue;
        struct prepared p;
        prepare(&variants[i], &p);
        icount_workload(&p);
        /* Use the output so the work cannot be dropped. */
        volatile float sink = p.y[0];
        (void) sink;
        return 0;
    }
    if (strcmp(argv[1], "--list") == 0)
        return 0;
    fprintf(stderr, "upernet-icount: no workload '%s' on this host (see --list)\n", argv[1]);
    return 1;
}
