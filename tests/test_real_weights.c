/* The real checkpoints, when they are here: for every model size whose files
 * `make fetch-weights MODEL=upernet-convnext-SIZE` put in the cache, runs
 * `upernet verify --model SIZE`, which compares logits[0,0,:3,:3] on
 * ADE_val_00000001.jpg with the conversion script's slice at atol 1e-4.
 * Exits 77 (SKIP), naming the missing files, when no size is complete.
 * Cache: $UPERNET_CACHE or ~/.cache/upernet; the tool: $UPERNET_BIN or
 * ./upernet (the build directory). */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

static const char *const sizes[] = {"tiny", "small", "base", "large", "xlarge"};
#define N_SIZES ((int) (sizeof sizes / sizeof sizes[0]))

static char cache_root[2048];
static int present[N_SIZES]; /* all files of the size are in the cache */

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

/* Appends the missing files of `size` to `missing`; 1 if none is missing. */
static int size_complete(const char *size, char *missing, size_t missing_size)
{
    char dir[2200], path[2400];
    snprintf(dir, sizeof dir, "%s/upernet-convnext-%s", cache_root, size);
    int complete = 1;
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    char alt[2400];
    snprintf(alt, sizeof alt, "%s/pytorch_model.bin", dir);
    if (!is_file(path) && !is_file(alt)) {
        complete = 0;
        strncat(missing, "\n  ", missing_size - strlen(missing) - 1);
        strncat(missing, path, missing_size - strlen(missing) - 1);
        strncat(missing, " (or pytorch_model.bin)", missing_size - strlen(missing) - 1);
    }
    snprintf(path, sizeof path, "%s/ADE_val_00000001.jpg", dir);
    if (!is_file(path)) {
        complete = 0;
        strncat(missing, "\n  ", missing_size - strlen(missing) - 1);
        strncat(missing, path, missing_size - strlen(missing) - 1);
    }
    return complete;
}

START_TEST(test_verify_size)
{
    if (!present[_i])
        return; /* reported in the summary printed by main */
    const char *bin = getenv("UPERNET_BIN") != NULL ? getenv("UPERNET_BIN") : "./upernet";
    char command[4096];
    snprintf(command, sizeof command, "UPERNET_CACHE='%s' '%s' verify --model %s", cache_root, bin,
             sizes[_i]);
    fprintf(stderr, "running: %s\n", command);
    const int rc = system(command);
    ck_assert_msg(rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0,
                  "upernet verify --model %s failed (status %d): the logits slice does not "
                  "match the conversion script's", sizes[_i], rc);
}
END_TEST

int main(void)
{
    const char *root = getenv("UPERNET_CACHE");
    if (root != NULL && root[0] != '\0')
        snprintf(cache_root, sizeof cache_root, "%s", root);
    else if (getenv("HOME") != NULL)
        snprintf(cache_root, sizeof cache_root, "%s/.cache/upernet", getenv("HOME"));
    else {
        printf("SKIP: no HOME or UPERNET_CACHE, so no weights cache\n");
        return 77;
    }
    static char missing[16384];
    int n_present = 0;
    for (int i = 0; i < N_SIZES; i++) {
        char mine[4096] = "";
        present[i] = size_complete(sizes[i], mine, sizeof mine);
        n_present += present[i];
        if (!present[i]) {
            printf("upernet-convnext-%s: missing (make fetch-weights MODEL=upernet-convnext-%s):%s\n",
                   sizes[i], sizes[i], mine);
            strncat(missing, mine, sizeof missing - strlen(missing) - 1);
        } else {
            printf("upernet-convnext-%s: files present, verifying\n", sizes[i]);
        }
    }
    if (n_present == 0) {
        printf("SKIP: no real checkpoint in %s\n", cache_root);
        return 77;
    }
    Suite *s = suite_create("real-weights");
    TCase *tc = tcase_create("verify");
    tcase_set_timeout(tc, 1800); /* xlarge on one core takes minutes */
    tcase_add_loop_test(tc, test_verify_size, 0, N_SIZES);
    suite_add_tcase(s, tc);
    SRunner *runner = srunner_create(s);
    srunner_run_all(runner, CK_NORMAL);
    const int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
