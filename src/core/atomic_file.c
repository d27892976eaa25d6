/* Atomic output files (see atomic_file.h). */
#include "config.h"

#include "core/atomic_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/error.h"

static void release(struct upernet_atomic_file *f)
{
    upernet_free(f->path);
    upernet_free(f->temp_path);
    f->path = NULL;
    f->temp_path = NULL;
    f->fd = -1;
    f->failed_errno = 0;
}

enum upernet_status upernet_atomic_open(struct upernet_atomic_file *f, const char *path, upernet_error *err)
{
    f->path = NULL;
    f->temp_path = NULL;
    f->fd = -1;
    f->failed_errno = 0;
    if (path == NULL || path[0] == '\0')
        return upernet_fail(err, UPERNET_ERR_ARGUMENT, "no output path");
    const size_t len = strlen(path);
    f->path = upernet_strdup(path);
    f->temp_path = upernet_malloc(len + sizeof ".tmp.XXXXXX");
    if (f->path == NULL || f->temp_path == NULL) {
        release(f);
        return upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", path);
    }
    memcpy(f->temp_path, path, len);
    memcpy(f->temp_path + len, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
    f->fd = mkstemp(f->temp_path);
    if (f->fd < 0) {
        const int e = errno;
        release(f);
        return upernet_fail(err, UPERNET_ERR_IO, "%s: cannot create: %s", path, strerror(e));
    }
    /* mkstemp creates 0600; give the file the permissions fopen would. */
    const mode_t mask = umask(022);
    umask(mask);
    (void) fchmod(f->fd, 0666 & ~mask);
    return UPERNET_OK;
}

enum upernet_status upernet_atomic_write(struct upernet_atomic_file *f, const void *data, size_t size,
                                         upernet_error *err)
{
    const char *p = data;
    while (f->failed_errno == 0 && size > 0) {
        const ssize_t n = write(f->fd, p, size);
        if (n < 0) {
            if (errno != EINTR)
                f->failed_errno = errno;
            continue;
        }
        p += n;
        size -= (size_t) n;
    }
    if (f->failed_errno != 0)
        return upernet_fail(err, UPERNET_ERR_IO, "%s: write failed: %s", f->path, strerror(f->failed_errno));
    return UPERNET_OK;
}

enum upernet_status upernet_atomic_commit(struct upernet_atomic_file *f, upernet_error *err)
{
    int e = f->failed_errno;
    /* EINVAL / EROFS: a file system without fsync (e.g. some FUSE mounts). */
    if (e == 0 && fsync(f->fd) != 0 && errno != EINVAL && errno != EROFS)
        e = errno;
    if (close(f->fd) != 0 && e == 0)
        e = errno;
    f->fd = -1;
    if (e == 0 && rename(f->temp_path, f->path) != 0)
        e = errno;
    if (e != 0) {
        unlink(f->temp_path);
        enum upernet_status st = upernet_fail(err, UPERNET_ERR_IO, "%s: write failed: %s", f->path, strerror(e));
        release(f);
        return st;
    }
    release(f);
    return UPERNET_OK;
}

void upernet_atomic_abort(struct upernet_atomic_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    if (f->temp_path != NULL)
        unlink(f->temp_path);
    release(f);
}

enum upernet_status upernet_write_file_atomic(const char *path, const void *data, size_t size,
                                              upernet_error *err)
{
    struct upernet_atomic_file f;
    enum upernet_status st = upernet_atomic_open(&f, path, err);
    if (st != UPERNET_OK)
        return st;
    st = upernet_atomic_write(&f, data, size, err);
    if (st != UPERNET_OK) {
        upernet_atomic_abort(&f);
        return st;
    }
    return upernet_atomic_commit(&f, err);
}
