/* One libFuzzer target: FUZZ_TARGET (a name from fuzz_entries.c) is set on
 * the compiler's command line by fuzz/build-and-run.sh. */
#include "config.h"

#include <stdlib.h>

#include "fuzz/fuzz_entries.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct fuzz_entry *entry;
    if (entry == NULL && (entry = fuzz_entry_find(STRINGIFY(FUZZ_TARGET))) == NULL)
        abort();
    upernet_error err = {UPERNET_OK, ""};
    const enum upernet_status st = entry->run(data, size, &err);
    /* Every failure must come with a message. */
    if (st != UPERNET_OK && err.message[0] == '\0')
        abort();
    return 0;
}
