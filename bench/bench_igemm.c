/* igemm micro-kernels, one thread, at UperNet-ConvNeXt-tiny's shapes (512x512
 * input): the four MLP GEMMs (ks = 1: one row pointer per output pixel) and
 * an FPN 3x3 conv 512->512 at 128x128 (ks = 9, timed on a band of 8 output
 * rows, 1024 pixels, of the image's interior), each with its real epilogue.
 *
 * The timed loop calls the micro-kernel over the same tiling as the conv
 * driver (src/ops/conv.c): blocks of row tiles sized by the driver's own rule
 * (upernet_conv_block_tiles: L2-sized, or L3-sized for panels that nearly
 * fill L2), within a block every panel of NR columns, within a panel every
 * row tile of the block. Weights are packed once by kernels/pack.h and the row
 * pointers built once outside the timing, so the figure is the micro-kernel
 * alone. GFLOP/s counts 2*M*N*K*ks real flops (not the zero columns of a
 * padded last panel); "%peak" is against the FMA peak of the same tier
 * measured in this process (bench/bench_peak.c). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "bench/bench_common.h"
#include "bench/shim.h"
#include "kernels/dispatch.h"
#include "kernels/pack.h"
#include "ops/tiles.h"

struct igemm_shape {
    const char *label;
    size_t pixels;       /* M: output pixels timed */
    size_t in_c, out_c;  /* K per tap, N */
    size_t kernel;       /* 1 (GEMM) or 3 (3x3 conv, pad 1) */
    size_t image_w;      /* 3x3 only: image width; the band is pixels/image_w rows */
    enum upernet_activation activation;
    int scale_residual;  /* layer scale + residual (the MLP's second Linear) */
};

static const struct igemm_shape shapes[] = {
    {"fc1_16384x96x384_gelu", 16384, 96, 384, 1, 0, UPERNET_ACT_GELU, 0},
    {"fc1_16384x96x384_none", 16384, 96, 384, 1, 0, UPERNET_ACT_NONE, 0},
    {"fc2_16384x384x96_scale_res", 16384, 384, 96, 1, 0, UPERNET_ACT_NONE, 1},
    {"fc1_1024x384x1536_gelu", 1024, 384, 1536, 1, 0, UPERNET_ACT_GELU, 0},
    {"fc2_1024x1536x384_scale_res", 1024, 1536, 384, 1, 0, UPERNET_ACT_NONE, 1},
    {"fc2_256x3072x768_scale_res", 256, 3072, 768, 1, 0, UPERNET_ACT_NONE, 1},
    {"fpn3x3_128x128x512x512_relu_band8", 1024, 512, 512, 3, 128, UPERNET_ACT_RELU, 0},
};
#define N_SHAPES (sizeof shapes / sizeof shapes[0])

struct igemm_case {
    enum upernet_isa tier;
    upernet_f32_igemm_fn fn;
    size_t mr, nr;
    const struct igemm_shape *shape;
};

static void run_igemm(upernet_bench_state *s, const void *arg)
{
    const struct igemm_case *c = arg;
    const struct igemm_shape *sh = c->shape;
    if (!bench_tier_runnable(s, c->tier))
        return;
    const size_t mr = c->mr, nr = c->nr, k = sh->kernel, ks = k * k;
    const size_t M = sh->pixels, K = sh->in_c, N = sh->out_c;

    /* Input: for a GEMM M rows of K; for the 3x3 band the band's rows plus
     * one above and one below (the band lies inside the image). */
    const size_t band_rows = k == 3 ? M / sh->image_w : 0;
    const size_t in_pixels = k == 3 ? (band_rows + 2) * sh->image_w : M;
    float *x = bench_alloc_floats(in_pixels * K, 0.0f);
    bench_fill_uniform(x, in_pixels * K);
    float *zero = bench_alloc_floats(K, 0.0f);
    float *weight = bench_alloc_floats(N * K * ks, 0.0f), *bias = bench_alloc_floats(N, 0.0f);
    bench_fill_uniform(weight, N * K * ks);
    bench_fill_uniform(bias, N);
    for (size_t i = 0; i < N * K * ks; i++)
        weight[i] *= 0.05f;
    float *packed = bench_alloc_floats(upernet_pack_conv_floats(N, K, k, k, nr), 0.0f);
    upernet_pack_conv(N, K, k, k, nr, weight, bias, NULL, packed);
    const size_t panel_floats = upernet_pack_conv_panel_floats(K, k, k, nr);
    float *y = bench_alloc_floats(M * N, 0.0f);
    float *scale = bench_alloc_floats(N, 1e-2f);
    float *residual = bench_alloc_floats(M * N, 0.5f);

    /* Row pointers of every tile, built once: tile t's at a + t*ks*mr. */
    const size_t tiles = (M + mr - 1) / mr;
    const float **a = bench_keep(tiles * ks * mr * sizeof *a);
    for (size_t t = 0; t < tiles; t++) {
        const size_t m0 = t * mr, rows = M - m0 < mr ? M - m0 : mr;
        for (size_t i = 0; i < rows; i++) {
            const size_t m = m0 + i;
            for (size_t s_ = 0; s_ < ks; s_++) {
                const float *p = x + m * K;
                if (k == 3) {
                    const size_t oy = m / sh->image_w, ox = m % sh->image_w;
                    const size_t iy = oy + s_ / 3; /* band-local input row (one above) */
                    const ptrdiff_t ix = (ptrdiff_t) ox + (ptrdiff_t) (s_ % 3) - 1;
                    p = ix < 0 || ix >= (ptrdiff_t) sh->image_w
                            ? zero
                            : x + (iy * sh->image_w + (size_t) ix) * K;
                }
                a[t * ks * mr + s_ * rows + i] = p;
            }
        }
    }
    const size_t block_tiles =
        upernet_conv_block_tiles(panel_floats * sizeof(float), mr * K * sizeof(float));
    const size_t panels = (N + nr - 1) / nr;

    while (upernet_bench_keep_running(s)) {
        for (size_t b0 = 0; b0 < tiles; b0 += block_tiles) {
            const size_t b1 = b0 + block_tiles < tiles ? b0 + block_tiles : tiles;
            for (size_t p = 0; p < panels; p++) {
                const size_t n0 = p * nr, cols = N - n0 < nr ? N - n0 : nr;
                for (size_t t = b0; t < b1; t++) {
                    const size_t m0 = t * mr, rows = M - m0 < mr ? M - m0 : mr;
                    const struct upernet_gemm_epilogue ep = {
                        .activation = sh->activation,
                        .scale = sh->scale_residual ? scale + n0 : NULL,
                        .residual = sh->scale_residual ? residual + m0 * N + n0 : NULL,
                        .residual_stride = N,
                    };
                    c->fn(rows, cols, K, ks, a + t * ks * mr, packed + p * panel_floats,
                          y + m0 * N + n0, N, &ep);
                }
            }
        }
    }
    bench_report_flops(s, 2.0 * (double) M * (double) N * (double) K * (double) ks, c->tier, 1);
    free(x), free(zero), free(weight), free(bias), free(packed), free(y), free(scale);
    free(residual);
}

void bench_register_igemm(void)
{
#define UPERNET_IGEMM_UKERNEL(tier, production, function, mr_tile, nr_tile)                  \
    for (size_t i = 0; i < N_SHAPES && bench_tier_on_host(tier); i++) {                   \
        struct igemm_case *c = bench_keep(sizeof *c);                                     \
        *c = (struct igemm_case){tier, function, mr_tile, nr_tile, &shapes[i]};           \
        char name[128];                                                                   \
        snprintf(name, sizeof name, "igemm/%s/%zux%zu/%s", upernet_isa_name(tier),        \
                 (size_t) (mr_tile), (size_t) (nr_tile), shapes[i].label);                \
        upernet_bench_register(name, run_igemm, c);                                       \
    }
#include "kernels/f32-igemm/f32-igemm.inc"
#undef UPERNET_IGEMM_UKERNEL
}
