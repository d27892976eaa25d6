/* Internal to src/ops: the order in which the conv drivers visit their
 * (row tile, panel) pairs. Row tiles are grouped into blocks of block_tiles
 * (the last block may be shorter); within a block the panels are outer and
 * the block's tiles inner, so the block's input stays in cache while the
 * weight panels pass. index 0..count-1 enumerates exactly the valid pairs,
 * so a static OpenMP schedule gives every thread the same amount of work. */
#ifndef UPERNET_OPS_TILES_H
#define UPERNET_OPS_TILES_H

#include <stddef.h>

struct upernet_tile_order {
    size_t panels, block_tiles;
    size_t full_count; /* pairs in the full blocks */
    size_t last_start; /* first tile of the short last block */
    size_t last_tiles; /* its tiles (0 if none) */
    size_t count;      /* all pairs: row_tiles * panels */
};

static inline struct upernet_tile_order upernet_tile_order(size_t row_tiles, size_t panels,
                                                           size_t block_tiles)
{
    if (block_tiles == 0)
        block_tiles = 1;
    if (block_tiles > row_tiles)
        block_tiles = row_tiles;
    const size_t full_blocks = block_tiles ? row_tiles / block_tiles : 0;
    struct upernet_tile_order o = {
        .panels = panels,
        .block_tiles = block_tiles,
        .full_count = full_blocks * block_tiles * panels,
        .last_start = full_blocks * block_tiles,
        .last_tiles = row_tiles - full_blocks * block_tiles,
        .count = row_tiles * panels,
    };
    return o;
}

/* Row tiles per block for the dense conv driver (src/ops/conv.c), from the
 * bytes of one weight panel and of one row tile's input pixels (mr pixels
 * of in_channels floats). The block's input is L2-sized while a panel is
 * small, so the block stays in L2 while every panel passes; once a panel
 * alone nears L2 (3x3 convs over 512+ channels, the MLP's 4C -> C Linear at
 * stage 4) it is L3-sized, so each big panel is loaded once per many row
 * tiles instead of being streamed from memory for every few. Measured (AVX2
 * 6x16, one thread): 3x3 2048->512 on 32x32 41 -> 75 GFLOP/s, 3x3 512->512
 * on 64x64 61 -> 78, the Linear 3072->768 over 256 pixels 32 -> 63; 1x1
 * convs with small panels lose ~20% with the big budget. bench/bench_igemm.c
 * times the micro-kernel over the same blocks. */
#define UPERNET_SMALL_PANEL_BYTES (64u * 1024u)
#define UPERNET_L2_BLOCK_BYTES (256u * 1024u)
#define UPERNET_L3_BLOCK_BYTES (4096u * 1024u)

static inline size_t upernet_conv_block_tiles(size_t panel_bytes, size_t tile_input_bytes)
{
    const size_t budget =
        panel_bytes <= UPERNET_SMALL_PANEL_BYTES ? UPERNET_L2_BLOCK_BYTES : UPERNET_L3_BLOCK_BYTES;
    const size_t tiles = budget / tile_input_bytes;
    return tiles > 0 ? tiles : 1;
}

/* The pair at index; *slot = the tile's position inside its block. */
static inline void upernet_tile_at(const struct upernet_tile_order *o, size_t index, size_t *tile,
                                   size_t *panel, size_t *slot)
{
    if (index < o->full_count) {
        const size_t per_block = o->block_tiles * o->panels;
        const size_t block = index / per_block, rest = index % per_block;
        *panel = rest / o->block_tiles;
        *slot = rest % o->block_tiles;
        *tile = block * o->block_tiles + *slot;
    } else {
        const size_t rest = index - o->full_count;
        *panel = rest / o->last_tiles;
        *slot = rest % o->last_tiles;
        *tile = o->last_start + *slot;
    }
}

/* Greatest common divisor (gcd(0, b) = b). */
static inline size_t upernet_gcd(size_t a, size_t b)
{
    while (b != 0) {
        const size_t r = a % b;
        a = b;
        b = r;
    }
    return a;
}

#endif
