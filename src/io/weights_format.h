/* Recognising a weights file by its first bytes (docs/SPECIFICATION.md §6.1). */
#ifndef UPERNET_IO_WEIGHTS_FORMAT_H
#define UPERNET_IO_WEIGHTS_FORMAT_H

#include <stddef.h>
#include <stdint.h>

enum weights_format_guess {
    WEIGHTS_GUESS_UNKNOWN = 0,
    WEIGHTS_GUESS_ZIP,         /* "PK\3\4": torch zip (or TorchScript, refused later) */
    WEIGHTS_GUESS_LEGACY,      /* the legacy torch magic pickle */
    WEIGHTS_GUESS_SAFETENSORS, /* u64 header length (any), then '{' */
    WEIGHTS_GUESS_TAR          /* "ustar" at 257 */
};

enum weights_format_guess weights_format_detect(const uint8_t *data, size_t size);

#endif
