/* Atomic output files: the bytes go to a temporary file in the target's
 * directory, which is renamed over the target only once everything was
 * written and flushed, so a failed or interrupted run leaves either the old
 * file or none -- never a truncated one. */
#ifndef UPERNET_IMAGE_OUTPUT_FILE_H
#define UPERNET_IMAGE_OUTPUT_FILE_H

#include <stddef.h>

#include "upernet.h"

enum upernet_status upernet_write_file_atomic(const char *path, const void *data, size_t size,
                                              upernet_error *err);

#endif
