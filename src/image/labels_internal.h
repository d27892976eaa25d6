/* The built-in label table (generated, src/image/ade20k_labels.c). */
#ifndef UPERNET_IMAGE_LABELS_INTERNAL_H
#define UPERNET_IMAGE_LABELS_INTERNAL_H

#include <stdint.h>

#define UPERNET_ADE20K_CLASSES 150

struct upernet_builtin_label {
    const char *name;
    uint8_t color[3];
};

extern const struct upernet_builtin_label upernet_ade20k_labels[UPERNET_ADE20K_CLASSES];

#endif
