/* Convolution over a channel concatenation that is never materialised (the
 * UperNet fuse path and PPM bottleneck).
 *
 * The packed weights are those of the concatenated input (rows: tap, then
 * concatenated channel). With kc = gcd of the source widths, every kc-wide
 * chunk of the concatenated channel vector lies inside one source, so one
 * tap becomes n_chunks = in_channels/kc kernel steps, a[(tap*n_chunks + q)*mr
 * + i] pointing at chunk q of the pixel that row i reads at that tap: the
 * packed rows are already in exactly that order. A source whose size equals
 * the conv input is read in place; a smaller (or larger) one is upsampled on
 * the fly: for each row tile the thread interpolates the distinct input
 * positions its taps touch into a small buffer (upernet_bilinear_pixel, the
 * very arithmetic of upernet_resize_bilinear, so the values equal a
 * materialised resize bit for bit).
 *
 * Tiles, blocking and threading as in src/ops/conv.c: one kernel call per
 * (row tile, panel), a fixed order, static schedule, so results do not
 * depend on the thread count. With the scalar kernel they are bitwise those
 * of upernet_conv_run on the materialised concatenation (one running sum);
 * a SIMD kernel keeping several partial sums over k may associate the
 * chunked reduction differently (within its tolerance).
 *
 * Memory: per call, the axis tables of the resampled sources; per thread,
 * for one block of row tiles (256 KB or 1 MB of input rows, see below), the
 * pointer arrays and the interpolation buffers (taps*MR positions times the
 * resampled channels per tile). No other allocation. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "core/error.h"
#include "ops/bilinear.h"
#include "ops/ops.h"
#include "ops/scratch.h"
#include "ops/tiles.h"
#include "ops/winograd.h"

#define MAX_MR 32
/* Input bytes per block of row tiles: UPERNET_L2_BLOCK_BYTES (src/ops/tiles.h)
 * while the weight panel is small; 1 MB for wide panels (the fuse path: 3x3
 * over 2048 channels, measured 52 -> 60 GFLOP/s AVX2 one thread at 32x32),
 * which keeps a thread's interpolation buffers at 1 MB * taps *
 * resampled/total channels (<= 9 MB for a 3x3). */
#define WIDE_BUDGET (1024u * 1024u)

/* What one kc chunk of the concatenated channels reads. */
struct chunk {
    size_t source;
    size_t offset; /* channel offset inside the source */
};

struct resampled {
    struct upernet_bilinear_tap *rows, *cols; /* conv-input rows/cols -> source taps */
    size_t buffer_offset;                     /* channel offset in a buffer position */
};

/* Everything a row tile's kernel calls need, built once per tile and reused
 * for all its panels. */
struct tile_plan {
    const struct upernet_conv *conv;
    const struct upernet_conv_source *sources;
    size_t n_sources;
    const struct chunk *chunks;
    size_t n_chunks;
    const struct resampled *res;
    size_t up_channels;
    size_t in_h, in_w, out_w, taps;
};

/* Fills a[(tap*n_chunks + q)*rows + i] for the rows starting at flat output
 * index m0, interpolating resampled sources into buffer (keys: the distinct
 * input positions, at most taps*rows). */
static void build_tile(const struct tile_plan *pl, size_t m0, size_t rows, const float **a,
                       size_t *keys, float *buffer)
{
    static float zero_row[UPERNET_CONV_ZERO_FLOATS]; /* padding taps read it; never written */
    const struct upernet_conv *conv = pl->conv;
    const size_t k = conv->kernel, n_chunks = pl->n_chunks, up = pl->up_channels;
    size_t n_positions = 0;
    for (size_t i = 0; i < rows; i++) {
        const size_t oy = (m0 + i) / pl->out_w, ox = (m0 + i) % pl->out_w;
        for (size_t s = 0; s < pl->taps; s++) {
            const size_t iy = oy * conv->stride + s / k;
            const size_t ix = ox * conv->stride + s % k;
            const float **row_ptrs = a + s * n_chunks * rows + i;
            if (iy < conv->padding || iy - conv->padding >= pl->in_h || ix < conv->padding ||
                ix - conv->padding >= pl->in_w) {
                for (size_t q = 0; q < n_chunks; q++)
                    row_ptrs[q * rows] = zero_row;
                continue;
            }
            const size_t py = iy - conv->padding, px = ix - conv->padding;
            const size_t key = py * pl->in_w + px;
            size_t slot = 0;
            if (up > 0) {
                while (slot < n_positions && keys[slot] != key)
                    slot++;
                if (slot == n_positions) {
                    keys[n_positions++] = key;
                    for (size_t j = 0; j < pl->n_sources; j++) {
                        if (pl->res[j].rows == NULL)
                            continue;
                        const struct upernet_conv_source *src = &pl->sources[j];
                        const size_t ps = src->pixel_stride;
                        const struct upernet_bilinear_tap ry = pl->res[j].rows[py];
                        const struct upernet_bilinear_tap rx = pl->res[j].cols[px];
                        const float *r0 = src->data + ry.i0 * src->width * ps;
                        const float *r1 = src->data + ry.i1 * src->width * ps;
                        upernet_bilinear_pixel(buffer + slot * up + pl->res[j].buffer_offset,
                                               r0 + rx.i0 * ps, r0 + rx.i1 * ps, r1 + rx.i0 * ps,
                                               r1 + rx.i1 * ps, ry, rx, src->channels, false);
                    }
                }
            }
            for (size_t q = 0; q < n_chunks; q++) {
                const struct upernet_conv_source *src = &pl->sources[pl->chunks[q].source];
                const struct resampled *r = &pl->res[pl->chunks[q].source];
                row_ptrs[q * rows] =
                    r->rows == NULL
                        ? src->data + key * src->pixel_stride + pl->chunks[q].offset
                        : buffer + slot * up + r->buffer_offset + pl->chunks[q].offset;
            }
        }
    }
}

enum upernet_status upernet_conv_run_sources(const struct upernet_kernel_table *t,
                                             const struct upernet_conv *conv, size_t in_h,
                                             size_t in_w,
                                             const struct upernet_conv_source *sources,
                                             size_t n_sources, float *y, size_t y_stride,
                                             const float *scale, const float *residual,
                                             size_t residual_stride, upernet_error *err)
{
    if (conv->winograd != NULL)
        return upernet_winograd23_run(t, conv, in_h, in_w, sources, n_sources, y, y_stride, scale,
                                      residual, err);
    const size_t mr = t->igemm.mr, nr = t->igemm.nr;
    if (conv->nr != nr)
        return upernet_fail(err, UPERNET_ERR_MISMATCH,
                            "conv weights packed for nr=%zu but kernel %s needs nr=%zu", conv->nr,
                            t->igemm.name, nr);
    const size_t k = conv->kernel, taps = k * k;
    if (taps == 0 || taps > UPERNET_CONV_MAX_TAPS || mr > MAX_MR || n_sources == 0)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                            "multi-source conv: kernel %zux%zu, mr=%zu, %zu sources outside the "
                            "driver's limits",
                            k, k, mr, n_sources);
    size_t total = 0, kc = 0;
    for (size_t j = 0; j < n_sources; j++) {
        if (sources[j].channels == 0 || sources[j].height == 0 || sources[j].width == 0)
            return upernet_fail(err, UPERNET_ERR_ARGUMENT, "multi-source conv: source %zu is empty",
                                j);
        total += sources[j].channels;
        kc = upernet_gcd(kc, sources[j].channels);
    }
    if (total != conv->in_channels)
        return upernet_fail(err, UPERNET_ERR_MISMATCH,
                            "multi-source conv: sources have %zu channels, the conv expects %zu",
                            total, conv->in_channels);
    const size_t out_h = upernet_conv_out_size(in_h, k, conv->stride, conv->padding);
    const size_t out_w = upernet_conv_out_size(in_w, k, conv->stride, conv->padding);
    if (out_h == 0 || out_w == 0 || conv->out_channels == 0)
        return upernet_fail(err, UPERNET_ERR_ARGUMENT,
                            "multi-source conv %zux%zu on a %zux%zu input has no output", k, k,
                            in_h, in_w);
    if (kc > UPERNET_CONV_ZERO_FLOATS)
        return upernet_fail(err, UPERNET_ERR_LIMIT,
                            "multi-source conv: chunk of %zu channels exceeds the zero row", kc);

    const size_t n_chunks = total / kc;
    const size_t ks = taps * n_chunks;
    struct upernet_scratch *scratch = upernet_scratch_current();
    const size_t scratch_mark = upernet_scratch_mark(scratch);
    struct chunk *chunks = upernet_scratch_alloc(scratch, n_chunks * sizeof *chunks);
    struct resampled *res = upernet_scratch_calloc(scratch, n_sources, sizeof *res);
    size_t table_entries = 0, up_channels = 0;
    for (size_t j = 0; j < n_sources; j++)
        if (sources[j].height != in_h || sources[j].width != in_w)
            table_entries += in_h + in_w;
    struct upernet_bilinear_tap *tables =
        upernet_scratch_alloc(scratch, (table_entries + 1) * sizeof *tables);
    if (chunks == NULL || res == NULL || tables == NULL) {
        upernet_scratch_free_all(scratch, (void *[]){chunks, res, tables}, 3);
        upernet_scratch_reset(scratch, scratch_mark);
        return upernet_fail(err, UPERNET_ERR_NOMEM, "multi-source conv: no memory for tables");
    }
    for (size_t j = 0, q = 0, used = 0; j < n_sources; j++) {
        for (size_t off = 0; off < sources[j].channels; off += kc, q++)
            chunks[q] = (struct chunk){j, off};
        if (sources[j].height != in_h || sources[j].width != in_w) {
            res[j].rows = tables + used;
            res[j].cols = tables + used + in_h;
            used += in_h + in_w;
            upernet_bilinear_axis(sources[j].height, in_h, res[j].rows);
            upernet_bilinear_axis(sources[j].width, in_w, res[j].cols);
            res[j].buffer_offset = up_channels;
            up_channels += sources[j].channels;
        }
    }

    const size_t pixels = out_h * out_w;
    const size_t row_tiles = (pixels + mr - 1) / mr;
    const size_t panels = (conv->out_channels + nr - 1) / nr;
    const size_t panel_floats = upernet_pack_conv_panel_floats(total, k, k, nr);
    const struct upernet_tile_order order =
        upernet_tile_order(row_tiles, panels,
                           (panel_floats * sizeof(float) <= UPERNET_SMALL_PANEL_BYTES
                                ? UPERNET_L2_BLOCK_BYTES
                                : WIDE_BUDGET) /
                               (mr * total * sizeof(float)));
    const size_t block_tiles = order.block_tiles;
    const size_t max_positions = taps * mr;
    const struct tile_plan plan = {conv, sources, n_sources, chunks, n_chunks, res,
                                   up_channels, in_h, in_w, out_w, taps};
    const upernet_f32_igemm_fn igemm = t->igemm.fn;
    int failed = 0;

    /* Each thread keeps the plans of one block's tiles (slot = tile within
     * the block): its consecutive indices run over the panels of the same
     * tiles, so each tile is planned (and its sources interpolated) about
     * once per thread rather than once per panel. */
#pragma omp parallel reduction(| : failed)
    {
        const float **a = upernet_scratch_alloc(scratch, block_tiles * ks * mr * sizeof *a);
        size_t *keys = upernet_scratch_alloc(scratch, max_positions * sizeof *keys);
        size_t *planned = upernet_scratch_alloc(scratch, block_tiles * sizeof *planned);
        float *buffer =
            up_channels > 0
                ? upernet_scratch_alloc(scratch,
                                        block_tiles * max_positions * up_channels * sizeof *buffer)
                : NULL;
        const int ok = a != NULL && keys != NULL && planned != NULL &&
                       (up_channels == 0 || buffer != NULL);
        failed = !ok;
        for (size_t b = 0; ok && b < block_tiles; b++)
            planned[b] = SIZE_MAX;
#pragma omp for schedule(static)
        for (size_t index = 0; index < order.count; index++) {
            size_t tile, panel, slot;
            upernet_tile_at(&order, index, &tile, &panel, &slot);
            if (!ok)
                continue;
            const size_t m0 = tile * mr;
            const size_t rows = pixels - m0 < mr ? pixels - m0 : mr;
            const float **a_tile = a + slot * ks * mr;
            if (planned[slot] != tile) {
                build_tile(&plan, m0, rows, a_tile, keys,
                           buffer != NULL ? buffer + slot * max_positions * up_channels : NULL);
                planned[slot] = tile;
            }
            const size_t n0 = panel * nr;
            const size_t cols = conv->out_channels - n0 < nr ? conv->out_channels - n0 : nr;
            const struct upernet_gemm_epilogue ep = {
                .activation = conv->activation,
                .scale = scale != NULL ? scale + n0 : NULL,
                .residual = residual != NULL ? residual + m0 * residual_stride + n0 : NULL,
                .residual_stride = residual_stride,
            };
            igemm(rows, cols, kc, ks, a_tile, conv->packed + panel * panel_floats,
                  y + m0 * y_stride + n0, y_stride, &ep);
        }
        upernet_scratch_free_all(scratch, (void *[]){a, keys, planned}, 3);
        upernet_scratch_free(scratch, buffer);
    }
    upernet_scratch_free_all(scratch, (void *[]){chunks, res, tables}, 3);
    upernet_scratch_reset(scratch, scratch_mark);
    if (failed)
        return upernet_fail(err, UPERNET_ERR_NOMEM,
                            "multi-source conv: no memory for a thread's %zu pointers and %zu "
                            "buffered floats",
                            ks * mr, max_positions * up_channels);
    upernet_error_clear(err);
    return UPERNET_OK;
}
