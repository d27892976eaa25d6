/* 3x3 convolution (stride 1, padding 1) by Winograd F(2x2, 3x3): the
 * reduced-arithmetic path for UperNet's FPN convs and fuse conv, which are
 * ~88% of the model's multiply-adds.
 *
 * Each 2x2 output tile is computed from the 4x4 input patch around it:
 * Y = A^T [U .* V] A with V = B^T d B (input transform), U = G g G^T (the
 * weights, transformed at load by upernet_pack_winograd23) and .* done as 16
 * GEMMs over the input channels, one per position xi: 16 multiply-adds per
 * tile and channel pair instead of 36, i.e. 2.25x fewer. The transforms are
 * additions only (kernels/f32-winograd23), the GEMMs are the tier's igemm
 * micro-kernel with ks = 1.
 *
 * Bands: the output's tile rows are processed a band of band_rows tile rows
 * at a time (about TARGET_TILES tiles, the GEMMs' M dimension). Per band:
 *   1. gather: the band's 2*band_rows + 2 input rows, with a zero border
 *      column on each side (and zero rows above/below the map), into X. The
 *      sources of a channel concatenation are read here, in place or
 *      upsampled on the fly with upernet_bilinear_pixel (the arithmetic of
 *      upernet_resize_bilinear, so the values equal a materialised resize
 *      bit for bit); nothing else ever sees the concatenation.
 *   2. input transform: tile t of the band -> V[xi][t][0..in_c).
 *   3. GEMMs: M[xi][t][o] = sum_k V[xi][t][k] U_xi[k][o], in units of one
 *      position (and up to 64 weight panels), blocked over k in chunks of
 *      UPERNET_WINOGRAD_KC channels (the packing's chunks): a V chunk
 *      (tiles x KC) stays in L2 across the unit's panels, a weight chunk
 *      (KC x nr) in L1 across the row tiles.
 *   4. output transform + bias + activation -> y (clipped at the borders).
 * Each step is an OpenMP worksharing loop with a static schedule; every
 * output element is computed by one fixed sequence of operations, so the
 * result does not depend on the thread count.
 *
 * Numerics: not bitwise equal to the direct conv (different arithmetic);
 * the error stays at the level of fp32 rounding of the direct sum (tests
 * compare against the direct path, the model goldens hold at 1e-4).
 *
 * Memory per call: X ((2*band_rows+2) x (2*tiles_w+2) x (in_c+16) floats),
 * V (16 x max_tiles x (in_c+16)), M (16 x max_tiles x out_c) and the
 * resampling tables: 40 MB for tiny's fuse conv at 512x512 (8.6 + 25.4 +
 * 6.3), 12 MB for its largest FPN conv. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "ops/bilinear.h"
#include "ops/ops.h"
#include "ops/scratch.h"
#include "ops/threads.h"
#include "ops/tiles.h"
#include "ops/winograd.h"

/* Tiles per band (the GEMMs' M). Every band streams all 16 positions'
 * weights once (64 MB for tiny's fuse conv), so bigger bands mean less
 * weight traffic per flop; V grows with it (16 x tiles x in_c floats, 25 MB
 * for the fuse conv at 192). Measured on tiny at 512x512, 2 threads, AVX2:
 * 64 tiles ~2.6 s per forward, 128 ~2.45 s, 192 ~2.3 s, 256-384 no better. */
#define TARGET_TILES 192
/* Weight panels per GEMM work unit (see step 3), at most: 64 covers all of
 * UperNet's 512 output channels, so a unit is one position and its V block
 * is read from L3 once per band rather than once per block of panels
 * (measured on tiny at 512x512, 2 threads, AVX2: fuse GEMMs ~1.07 s with
 * 64, ~1.19 s with 8). That makes 16 units, one round for 1, 2, 4, 8 or 16
 * threads; other team sizes get more, smaller units (panel_groups below). */
#define PANEL_BLOCK 64
#define MAX_MR 32
#define PAD 16 /* floats */

/* The band and GEMM split of one call (shared by the driver and its cost). */
struct geometry {
    size_t tiles_w, tiles_h, band_rows, bands, max_tiles;
    size_t panels, panel_groups, units; /* GEMM units: 16 positions x panel groups */
};

/* Panel groups per position for a team of `threads`: the fewest that keep
 * groups of at most PANEL_BLOCK panels and make 16 x groups a multiple of
 * the team (16 units for 1-16 threads that divide 16, 48 for 12 threads,
 * 32 for 32), so no thread waits a round for the others. The split only
 * regroups the same kernel calls, so it never changes a result. */
static size_t panel_groups(size_t panels, size_t threads)
{
    size_t groups = (panels + PANEL_BLOCK - 1) / PANEL_BLOCK;
    const size_t balanced = threads / upernet_gcd(16, threads);
    if (balanced > groups)
        groups = balanced;
    return groups < panels ? groups : panels;
}

static struct geometry geometry(const struct upernet_kernel_table *t,
                                const struct upernet_conv *conv, size_t height, size_t width,
                                size_t threads)
{
    struct geometry g;
    g.tiles_w = (width + 1) / 2;
    g.tiles_h = (height + 1) / 2;
    g.band_rows = (TARGET_TILES + g.tiles_w - 1) / g.tiles_w;
    if (g.band_rows > g.tiles_h)
        g.band_rows = g.tiles_h;
    g.bands = (g.tiles_h + g.band_rows - 1) / g.band_rows;
    g.max_tiles = g.band_rows * g.tiles_w;
    g.panels = (conv->out_channels + t->igemm.nr - 1) / t->igemm.nr;
    g.panel_groups = panel_groups(g.panels, threads);
    g.units = 16 * g.panel_groups;
    return g;
}

struct upernet_op_cost upernet_winograd23_cost(const struct upernet_kernel_table *t,
                                               const struct upernet_conv *conv, size_t height,
                                               size_t width, size_t threads)
{
    const struct geometry g = geometry(t, conv, height, width, threads);
    const double channel_pairs = (double) conv->in_channels * (double) conv->out_channels;
    return (struct upernet_op_cost){
        .macs = 16.0 * (double) (g.tiles_h * g.tiles_w) * channel_pairs,
        .direct_macs = 9.0 * (double) (height * width) * channel_pairs,
        .units = g.units,
        .loops = 4 * g.bands, /* gather, input transform, GEMMs, output transform */
    };
}

struct resampled {
    struct upernet_bilinear_tap *rows, *cols; /* NULL: the source is read in place */
    size_t channel_offset;                    /* where its channels start in X */
};

/* Input pixel (iy, ix) of the concatenation (all in_c channels) -> dst. */
static void gather_pixel(const struct upernet_conv_source *sources, const struct resampled *res,
                         size_t n_sources, size_t width, size_t iy, size_t ix, float *dst)
{
    for (size_t j = 0; j < n_sources; j++) {
        const struct upernet_conv_source *src = &sources[j];
        float *out = dst + res[j].channel_offset;
        if (res[j].rows == NULL) {
            memcpy(out, src->data + (iy * width + ix) * src->pixel_stride,
                   src->channels * sizeof *out);
            continue;
        }
        const size_t ps = src->pixel_stride;
        const struct upernet_bilinear_tap ry = res[j].rows[iy], rx = res[j].cols[ix];
        const float *r0 = src->data + ry.i0 * src->width * ps;
        const float *r1 = src->data + ry.i1 * src->width * ps;
        upernet_bilinear_pixel(out, r0 + rx.i0 * ps, r0 + rx.i1 * ps, r1 + rx.i0 * ps,
                               r1 + rx.i1 * ps, ry, rx, src->channels, false);
    }
}

static enum upernet_status check_args(const struct upernet_kernel_table *t,
                                      const struct upernet_conv *conv, size_t height,
                                      size_t width, const struct upernet_conv_source *sources,
                                      size_t n_sources, const float *scale,
                                      const float *residual, upernet_error *err)
{
    if (conv->kernel != 3 || conv->stride != 1 || conv->padding != 1)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                            "Winograd conv needs a 3x3 kernel, stride 1, padding 1 (got %zux%zu, "
                            "stride %zu, padding %zu)",
                            conv->kernel, conv->kernel, conv->stride, conv->padding);
    if (t->igemm.mr > MAX_MR)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "Winograd conv: kernel mr=%zu > %d",
                            t->igemm.mr, MAX_MR);
    if (conv->nr != t->igemm.nr)
        return upernet_fail(err, UPERNET_ERR_MISMATCH,
                            "Winograd conv weights packed for nr=%zu but kernel %s needs nr=%zu",
                            conv->nr, t->igemm.name, t->igemm.nr);
    if (scale != NULL || residual != NULL ||
        (conv->activation != UPERNET_ACT_NONE && conv->activation != UPERNET_ACT_RELU))
        return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                            "Winograd conv supports bias + ReLU only (no scale, residual or "
                            "GELU epilogue)");
    if (height == 0 || width == 0 || conv->in_channels == 0 || conv->out_channels == 0 ||
        n_sources == 0)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                            "Winograd conv on a %zux%zu map with %zu->%zu channels has no output",
                            height, width, conv->in_channels, conv->out_channels);
    size_t total = 0;
    for (size_t j = 0; j < n_sources; j++) {
        if (sources[j].channels == 0 || sources[j].height == 0 || sources[j].width == 0)
            return upernet_fail(err, UPERNET_ERR_ARGUMENT, "Winograd conv: source %zu is empty",
                                j);
        total += sources[j].channels;
    }
    if (total != conv->in_channels)
        return upernet_fail(err, UPERNET_ERR_MISMATCH,
                            "Winograd conv: sources have %zu channels, the conv expects %zu",
                            total, conv->in_channels);
    return UPERNET_OK;
}

enum upernet_status upernet_winograd23_run(const struct upernet_kernel_table *t,
                                           const struct upernet_conv *conv, size_t height,
                                           size_t width,
                                           const struct upernet_conv_source *sources,
                                           size_t n_sources, float *y, size_t y_stride,
                                           const float *scale, const float *residual,
                                           upernet_error *err)
{
    const enum upernet_status st =
        check_args(t, conv, height, width, sources, n_sources, scale, residual, err);
    if (st != UPERNET_OK)
        return st;

    const size_t in_c = conv->in_channels, out_c = conv->out_channels;
    const size_t mr = t->igemm.mr, nr = t->igemm.nr;
    const struct geometry g = geometry(t, conv, height, width, upernet_team_size());
    const size_t tiles_w = g.tiles_w, tiles_h = g.tiles_h, band_rows = g.band_rows;
    const size_t max_tiles = g.max_tiles;
    /* X pixels and V rows are padded by PAD floats against 4 KiB aliasing:
     * with in_c a multiple of 1024 the 16 pixels of a patch (and the 6 V
     * rows a kernel call reads) would all map to one L1 set. */
    const size_t x_pixel = in_c + PAD, x_cols = 2 * tiles_w + 2, x_row_stride = x_cols * x_pixel;
    /* The V and M position strides are padded too: the transforms touch
     * all 16 positions of a tile at once. */
    const size_t v_row = in_c + PAD;
    const size_t v_stride = max_tiles * v_row + PAD, m_stride = max_tiles * out_c + PAD;
    const size_t panels = g.panels, groups = g.panel_groups, units = g.units;
    const size_t position_floats = upernet_pack_winograd23_position_floats(out_c, in_c, nr);
    const float *bias = conv->winograd + 16 * position_floats;

    size_t table_entries = 0;
    for (size_t j = 0; j < n_sources; j++)
        if (sources[j].height != height || sources[j].width != width)
            table_entries += height + width;
    struct upernet_scratch *scratch = upernet_scratch_current();
    const size_t scratch_mark = upernet_scratch_mark(scratch);
    float *x_band =
        upernet_scratch_alloc(scratch, (2 * band_rows + 2) * x_row_stride * sizeof(float));
    float *v = upernet_scratch_alloc(scratch, 16 * v_stride * sizeof(float));
    float *m = upernet_scratch_alloc(scratch, 16 * m_stride * sizeof(float));
    struct resampled *res = upernet_scratch_calloc(scratch, n_sources, sizeof *res);
    struct upernet_bilinear_tap *tables =
        upernet_scratch_alloc(scratch, (table_entries + 1) * sizeof *tables);
    if (x_band == NULL || v == NULL || m == NULL || res == NULL || tables == NULL) {
        upernet_scratch_free_all(scratch, (void *[]){x_band, v, m, res, tables}, 5);
        upernet_scratch_reset(scratch, scratch_mark);
        return upernet_fail(err, UPERNET_ERR_NOMEM,
                            "Winograd conv: no memory for %zu-tile band buffers (%zu->%zu "
                            "channels)",
                            max_tiles, in_c, out_c);
    }
    for (size_t j = 0, used = 0, offset = 0; j < n_sources; j++) {
        res[j].channel_offset = offset;
        offset += sources[j].channels;
        if (sources[j].height != height || sources[j].width != width) {
            res[j].rows = tables + used;
            res[j].cols = tables + used + height;
            used += height + width;
            upernet_bilinear_axis(sources[j].height, height, res[j].rows);
            upernet_bilinear_axis(sources[j].width, width, res[j].cols);
        }
    }
    const upernet_f32_winograd23_input_fn input = t->winograd23_input.fn;
    const upernet_f32_winograd23_output_fn output = t->winograd23_output.fn;
    const upernet_f32_igemm_fn igemm = t->igemm.fn;

#pragma omp parallel
    for (size_t ty0 = 0; ty0 < tiles_h; ty0 += band_rows) {
        const size_t band = tiles_h - ty0 < band_rows ? tiles_h - ty0 : band_rows;
        const size_t tiles = band * tiles_w;
        const size_t x_pixels = (2 * band + 2) * x_cols;

        /* 1. X row r, column q holds input pixel (2*ty0 + r - 1, q - 1). */
#pragma omp for schedule(static)
        for (size_t p = 0; p < x_pixels; p++) {
            const size_t r = p / x_cols, q = p % x_cols;
            float *dst = x_band + r * x_row_stride + q * x_pixel;
            const size_t iy = 2 * ty0 + r, ix = q; /* + 1 (unsigned: 0 is above/left) */
            if (iy == 0 || iy > height || ix == 0 || ix > width)
                memset(dst, 0, in_c * sizeof *dst);
            else
                gather_pixel(sources, res, n_sources, width, iy - 1, ix - 1, dst);
        }

        /* 2. Tile (ly, tx) of the band reads X rows 2*ly.., columns 2*tx.. */
#pragma omp for schedule(static)
        for (size_t tile = 0; tile < tiles; tile++) {
            const size_t ly = tile / tiles_w, tx = tile % tiles_w;
            input(in_c, x_band + 2 * ly * x_row_stride + 2 * tx * x_pixel, x_row_stride, x_pixel,
                  v + tile * v_row, v_stride);
        }

        /* 3. The 16 GEMMs. A work unit is one position and one group of
         * (at most PANEL_BLOCK) panels; inside it the input channels go in chunks of
         * KC (the packing's chunks): the chunk of V (tiles x KC floats)
         * stays in L2 across the block's panels and each chunk of a weight
         * panel (KC x nr) in L1 across the row tiles. Chunks after the
         * first add onto M through the kernel's in-place residual. */
        const size_t row_tiles = (tiles + mr - 1) / mr;
#pragma omp for schedule(static)
        for (size_t unit = 0; unit < units; unit++) {
            const size_t xi = unit / groups, group = unit % groups;
            const size_t p0 = group * panels / groups, p1 = (group + 1) * panels / groups;
            const float *a[MAX_MR];
            for (size_t k0 = 0, q = 0; k0 < in_c; k0 += UPERNET_WINOGRAD_KC, q++) {
                const size_t kc = in_c - k0 < UPERNET_WINOGRAD_KC ? in_c - k0 : UPERNET_WINOGRAD_KC;
                for (size_t panel = p0; panel < p1; panel++) {
                    const size_t n0 = panel * nr;
                    const size_t cols = out_c - n0 < nr ? out_c - n0 : nr;
                    const float *w = conv->winograd + xi * position_floats +
                                     upernet_winograd23_piece_offset(in_c, out_c, nr, q, panel);
                    for (size_t t0 = 0; t0 < row_tiles * mr; t0 += mr) {
                        const size_t rows = tiles - t0 < mr ? tiles - t0 : mr;
                        for (size_t i = 0; i < rows; i++)
                            a[i] = v + xi * v_stride + (t0 + i) * v_row + k0;
                        float *c = m + xi * m_stride + t0 * out_c + n0;
                        const struct upernet_gemm_epilogue ep = {
                            UPERNET_ACT_NONE, NULL, q == 0 ? NULL : c, out_c};
                        igemm(rows, cols, kc, 1, a, w, c, out_c, &ep);
                    }
                }
            }
        }

        /* 4. Output tile (ty0 + ly, tx) covers pixels (2*(ty0+ly), 2*tx)... */
#pragma omp for schedule(static)
        for (size_t tile = 0; tile < tiles; tile++) {
            const size_t ly = tile / tiles_w, tx = tile % tiles_w;
            const size_t oy = 2 * (ty0 + ly), ox = 2 * tx;
            output(out_c, m + tile * out_c, m_stride, bias, conv->activation,
                   y + (oy * width + ox) * y_stride, width * y_stride, y_stride,
                   height - oy < 2 ? 1 : 2, width - ox < 2 ? 1 : 2);
        }
    }
    upernet_scratch_free_all(scratch, (void *[]){x_band, v, m, res, tables}, 5);
    upernet_scratch_reset(scratch, scratch_mark);
    upernet_error_clear(err);
    return UPERNET_OK;
}
