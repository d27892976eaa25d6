/* Per-pixel argmax over the class planes of NCHW logits. */
#include "config.h"

#include "upernet.h"

void upernet_argmax(const float *logits, int classes, int height, int width, uint16_t *class_map)
{
    const size_t plane = (size_t) height * (size_t) width;
    /* Plane by plane (contiguous reads), keeping the best value per pixel in
     * the first pass through plane 0. A later class wins only when strictly
     * greater, so ties keep the lowest index; a NaN wins over numbers and the
     * first NaN stays, as torch.argmax. */
    for (size_t i = 0; i < plane; i++)
        class_map[i] = 0;
    for (int k = 1; k < classes; k++) {
        const float *p = logits + (size_t) k * plane;
        for (size_t i = 0; i < plane; i++) {
            const float best = logits[(size_t) class_map[i] * plane + i];
            if (best != best)
                continue; /* a NaN is already the maximum */
            if (p[i] > best || p[i] != p[i])
                class_map[i] = (uint16_t) k;
        }
    }
}
