/* Atomic output files: every file upernet writes (npy, PNG, JSON,
 * safetensors, config.json) goes through here. The bytes go to
 * "<path>.tmp.XXXXXX" in the target's directory (so the rename stays within
 * one file system), which is flushed to disk and renamed over the target only
 * once everything was written; on any failure it is removed. A failed or
 * interrupted run leaves the old file or none, never a truncated one, and no
 * temporary file (short of a kill -9 between create and rename). */
#ifndef UPERNET_CORE_ATOMIC_FILE_H
#define UPERNET_CORE_ATOMIC_FILE_H

#include <stddef.h>

#include "upernet.h"

struct upernet_atomic_file {
    char *path;      /* the target */
    char *temp_path; /* the temporary file being written */
    int fd;
    int failed_errno; /* first write error, reported by commit */
};

/* Creates the temporary file (permissions 0666 & ~umask, like fopen). */
enum upernet_status upernet_atomic_open(struct upernet_atomic_file *f, const char *path, upernet_error *err);

/* Appends bytes. On failure the error is recorded and also returned. */
enum upernet_status upernet_atomic_write(struct upernet_atomic_file *f, const void *data, size_t size,
                                         upernet_error *err);

/* fsync, close and rename over the target; on any failure (including an
 * earlier write's) the temporary file is removed. Always releases `f`. */
enum upernet_status upernet_atomic_commit(struct upernet_atomic_file *f, upernet_error *err);

/* Closes and removes the temporary file, releases `f` (no-op if never opened). */
void upernet_atomic_abort(struct upernet_atomic_file *f);

/* The whole file at once. */
enum upernet_status upernet_write_file_atomic(const char *path, const void *data, size_t size,
                                              upernet_error *err);

#endif
