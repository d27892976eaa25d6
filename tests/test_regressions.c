/* Replays every saved hostile input in data/regressions/ through the fuzz
 * entry point that found it (fuzz/fuzz_entries.c): a file named
 * TARGET-WHAT.bin goes to entry TARGET. Each must end in a clean error with
 * a message -- no crash, no leak (under the ASan leg), no success. WHAT
 * starting with "limit-" (hand-made by fuzz/make_regressions.py) must be
 * refused with UPERNET_ERR_LIMIT before any single allocation of more than
 * LIMIT_MAX_REQUEST bytes; "ok-" marks a valid input that once crashed a
 * reader and must now succeed. */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/alloc.h"
#include "fuzz/fuzz_entries.h"
#include "io/npy.h"
#include "testutil.h"

/* An absurd input may cost a little bookkeeping, never a large buffer. */
#define LIMIT_MAX_REQUEST ((uint64_t) 16 << 20)

static uint8_t *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    *size = n;
    return buf;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

START_TEST(test_replay_all)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/regressions", test_data_dir());
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    char *names[1024];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 1024)
        if (e->d_name[0] != '.')
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names);
    ck_assert_msg(n > 0, "no inputs in %s", dir);
    for (size_t i = 0; i < n; i++) {
        const char *dash = strchr(names[i], '-');
        ck_assert_msg(dash != NULL, "%s: not named TARGET-WHAT", names[i]);
        char target[64];
        snprintf(target, sizeof target, "%.*s", (int) (dash - names[i]), names[i]);
        const struct fuzz_entry *entry = fuzz_entry_find(target);
        ck_assert_msg(entry != NULL, "%s: no fuzz entry '%s'", names[i], target);
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t size = 0;
        uint8_t *data = read_all(path, &size);
        ck_assert_msg(data != NULL, "cannot read %s", path);
        upernet_error err = {UPERNET_OK, ""};
        upernet_alloc_fail_at(0); /* resets the largest-request record */
        const enum upernet_status st = entry->run(data, size, &err);
        if (strncmp(dash + 1, "limit-", 6) == 0) {
            ck_assert_msg(st == UPERNET_ERR_LIMIT, "%s: expected a limit error, got %s: %s", names[i],
                          upernet_status_name(st), err.message);
            ck_assert_msg(upernet_alloc_largest() <= LIMIT_MAX_REQUEST,
                          "%s: refused only after allocating %llu bytes at once", names[i],
                          (unsigned long long) upernet_alloc_largest());
        }
        if (strncmp(dash + 1, "ok-", 3) == 0) {
            ck_assert_msg(st == UPERNET_OK, "%s: expected success, got %s: %s", names[i],
                          upernet_status_name(st), err.message);
        } else {
            ck_assert_msg(st != UPERNET_OK, "%s: a hostile input was accepted", names[i]);
            ck_assert_msg(err.message[0] != '\0', "%s: failed (%s) without a message", names[i],
                          upernet_status_name(st));
        }
        free(data);
        free(names[i]);
    }
}
END_TEST

/* A write that fails halfway (the file-size limit, EFBIG, works even for
 * root) leaves neither the target nor a temporary file; an existing target
 * is left as it was. Check runs each test in a child, so the limit stays
 * there. */
START_TEST(test_failed_write_leaves_nothing)
{
    char dir[] = "/tmp/upernet-atomic-XXXXXX", path[256], listing[1024];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/out.npy", dir);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit = {4096, 4096};
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &limit), 0);
    static float values[100000];
    const size_t shape[1] = {100000};
    upernet_error err;
    ck_assert_int_eq(upernet_npy_write(path, shape, 1, values, &err), UPERNET_ERR_IO);
    ck_assert_msg(strstr(err.message, path) != NULL, "message '%s' does not name %s", err.message, path);
    DIR *d = opendir(dir);
    struct dirent *e;
    listing[0] = '\0';
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            strncat(listing, e->d_name, sizeof listing - strlen(listing) - 1);
    closedir(d);
    ck_assert_msg(listing[0] == '\0', "left behind: %s", listing);
    /* a small file fits; a failed rewrite keeps it intact */
    const size_t small_shape[1] = {4};
    ck_assert_int_eq(upernet_npy_write(path, small_shape, 1, values, &err), UPERNET_OK);
    ck_assert_int_eq(upernet_npy_write(path, shape, 1, values, &err), UPERNET_ERR_IO);
    upernet_array back;
    ck_assert_msg(upernet_npy_read(path, &back, &err) == UPERNET_OK, "%s", err.message);
    ck_assert_uint_eq(back.numel, 4);
    upernet_array_free(&back);
    unlink(path);
    ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("regressions");
    TCase *tc = tcase_create("replay");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_replay_all);
    suite_add_tcase(suite, tc);
    TCase *atomic = tcase_create("atomic");
    tcase_add_test(atomic, test_failed_write_leaves_nothing);
    suite_add_tcase(suite, atomic);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    const int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
