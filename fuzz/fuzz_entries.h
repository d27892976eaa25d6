/* The entry points the fuzzers drive, shared with tests/test_regressions.c
 * so every saved crash input replays through exactly the code that found it.
 * Each entry takes arbitrary bytes, runs one reader on them, touches every
 * byte the reader hands out (so ASan sees an out-of-bounds view), frees
 * everything, and returns the reader's status (UPERNET_OK or an error with a
 * message in *err). */
#ifndef UPERNET_FUZZ_ENTRIES_H
#define UPERNET_FUZZ_ENTRIES_H

#include <stddef.h>
#include <stdint.h>

#include "upernet.h"

typedef enum upernet_status (*fuzz_entry_fn)(const uint8_t *data, size_t size, upernet_error *err);

struct fuzz_entry {
    const char *name; /* also the prefix of its saved inputs: data/regressions/NAME-*.bin */
    fuzz_entry_fn run;
};

/* Every entry, terminated by {NULL, NULL}. */
extern const struct fuzz_entry fuzz_entries[];

/* The entry called `name`, or NULL. */
const struct fuzz_entry *fuzz_entry_find(const char *name);

#endif
