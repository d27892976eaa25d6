/* Atomic output files (see output_file.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "image/output_file.h"

enum upernet_status upernet_write_file_atomic(const char *path, const void *data, size_t size,
                                              upernet_error *err)
{
    /* Same directory as the target, so rename() stays within one file system. */
    const size_t path_len = strlen(path);
    char *temp = malloc(path_len + 32);
    if (temp == NULL)
        return upernet_fail(err, UPERNET_ERR_NOMEM, "%s: out of memory", path);
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        snprintf(temp, path_len + 32, "%s.tmp%ld.%d", path, (long) getpid(), attempt);
        fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        const int e = errno;
        free(temp);
        return upernet_fail(err, UPERNET_ERR_IO, "%s: cannot create: %s", path, strerror(e));
    }
    const char *p = data;
    size_t left = size;
    int e = 0;
    while (left > 0) {
        const ssize_t n = write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            e = errno;
            break;
        }
        p += n;
        left -= (size_t) n;
    }
    if (e == 0 && fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
        e = errno;
    if (close(fd) != 0 && e == 0)
        e = errno;
    if (e == 0 && rename(temp, path) != 0)
        e = errno;
    if (e != 0) {
        unlink(temp);
        free(temp);
        return upernet_fail(err, UPERNET_ERR_IO, "%s: write failed: %s", path, strerror(e));
    }
    free(temp);
    return UPERNET_OK;
}
