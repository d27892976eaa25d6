/* Allocation failure along a full run, through the public API as a program
 * would make it: load a safetensors checkpoint (the small test model of
 * data/fixtures) with its config.json -> build the model and a workspace ->
 * decode and preprocess a PNG -> forward -> argmax -> write the logits
 * (.npy), the class map (PNG) and the summary (JSON). The run is done once to
 * count the library's allocations (src/core/alloc.c), then once for every N
 * from 1 to that count with the N-th allocation failing. Each must end in a
 * clean UPERNET_ERR_NOMEM with a message, write no output file and no
 * temporary file, and (under the ASan leg) leak nothing; the run after the
 * last N must succeed again.
 *
 * Allocations inside libzip, jansson, libspng, libjpeg-turbo and libgomp
 * are outside the counter (they do not go through upernet_malloc).
 * UPERNET_TEST_QUICK=1 tries every 7th N (and the first and last 20),
 * UPERNET_ALLOC_FAILURE_STEP=K every K-th (the valgrind leg). */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "testutil.h"
#include "upernet.h"

#define SIZE 32 /* input height and width */

static char config_path[4096], weights_path[4096], image_path[4096];

/* The inputs: the small test model's committed checkpoint and config
 * (data/fixtures, tools/make_checkpoint_fixtures.py) and a PNG. */
static void find_inputs(void)
{
    snprintf(config_path, sizeof config_path, "%s/fixtures/small_config.json", test_data_dir());
    snprintf(weights_path, sizeof weights_path, "%s/fixtures/hf.safetensors", test_data_dir());
    snprintf(image_path, sizeof image_path, "%s/images/png-gray8-31x17.png", test_data_dir());
}

/* The full run; writes into `out_dir`. */
static enum upernet_status full_run(const char *out_dir, upernet_error *err)
{
    upernet_model *model = NULL;
    upernet_workspace *ws = NULL;
    upernet_image image = {0, 0, NULL};
    upernet_labels labels = {0, NULL, NULL};
    float pixels[3 * SIZE * SIZE];
    float *logits = NULL;
    uint16_t class_map[SIZE * SIZE];
    char path[4200];
    upernet_model_options options;
    upernet_model_options_init(&options);
    options.config = config_path;
    enum upernet_status st = upernet_model_open(weights_path, &options, &model, err);
    if (st == UPERNET_OK)
        st = upernet_workspace_create(model, &ws, err);
    if (st == UPERNET_OK)
        st = upernet_image_load(image_path, &image, err);
    if (st == UPERNET_OK)
        st = upernet_preprocess(&image, SIZE, SIZE, pixels, err);
    const int classes = model != NULL ? upernet_model_num_labels(model) : 0;
    if (st == UPERNET_OK) {
        logits = malloc((size_t) classes * SIZE * SIZE * sizeof *logits);
        st = logits != NULL ? upernet_model_forward(model, ws, pixels, 1, SIZE, SIZE, logits, err)
                            : UPERNET_ERR_NOMEM; /* the test's own, not counted */
    }
    if (st == UPERNET_OK) {
        upernet_argmax(logits, classes, SIZE, SIZE, class_map);
        const size_t shape[4] = {1, (size_t) classes, SIZE, SIZE};
        snprintf(path, sizeof path, "%s/logits.npy", out_dir);
        st = upernet_npy_write(path, shape, 4, logits, err);
    }
    if (st == UPERNET_OK)
        st = upernet_labels_generic(classes, &labels, err);
    if (st == UPERNET_OK) {
        snprintf(path, sizeof path, "%s/classes.png", out_dir);
        st = upernet_write_class_map_png(path, class_map, SIZE, SIZE, &labels, err);
    }
    if (st == UPERNET_OK) {
        snprintf(path, sizeof path, "%s/summary.json", out_dir);
        st = upernet_write_summary_json(path, image_path, class_map, SIZE, SIZE, &labels, err);
    }
    upernet_labels_free(&labels);
    free(logits);
    upernet_image_free(&image);
    upernet_workspace_free(ws);
    upernet_model_free(model);
    return st;
}

/* Names of the files in `dir` (space separated) into buf; their count. */
static int list_dir(const char *dir, char *buf, size_t size)
{
    DIR *d = opendir(dir);
    int n = 0;
    buf[0] = '\0';
    if (d == NULL)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' && (e->d_name[1] == '\0' || (e->d_name[1] == '.' && e->d_name[2] == '\0')))
            continue;
        n++;
        strncat(buf, e->d_name, size - strlen(buf) - 2);
        strcat(buf, " ");
    }
    closedir(d);
    return n;
}

static void empty_dir(const char *dir)
{
    static const char *const names[] = {"logits.npy", "classes.png", "summary.json"};
    char path[4200];
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
}

START_TEST(test_every_allocation_fails_cleanly)
{
    find_inputs();
    char out_dir[] = "/tmp/upernet-alloc-out-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(out_dir));
    char listing[2048];
    upernet_error err;

    /* Count the allocations of a run (twice: the second must match, or the
     * N below would not name the same sites). */
    upernet_alloc_fail_at(0);
    ck_assert_msg(full_run(out_dir, &err) == UPERNET_OK, "%s", err.message);
    const uint64_t total = upernet_alloc_count();
    ck_assert_int_eq(list_dir(out_dir, listing, sizeof listing), 3);
    empty_dir(out_dir);
    upernet_alloc_fail_at(0);
    ck_assert_msg(full_run(out_dir, &err) == UPERNET_OK, "%s", err.message);
    ck_assert_uint_eq(upernet_alloc_count(), total);
    empty_dir(out_dir);
    ck_assert_uint_gt(total, 100);
    fprintf(stderr, "alloc_failure: %llu allocations in a full run\n", (unsigned long long) total);

    const char *quick = getenv("UPERNET_TEST_QUICK"), *every = getenv("UPERNET_ALLOC_FAILURE_STEP");
    uint64_t step = quick != NULL && quick[0] == '1' ? 7 : 1;
    if (every != NULL && atoi(every) > 0)
        step = (uint64_t) atoi(every);
    uint64_t tried = 0;
    for (uint64_t n = 1; n <= total; n++) {
        if (step > 1 && n > 20 && n + 20 <= total && n % step != 0)
            continue;
        upernet_alloc_fail_at(n);
        err.status = UPERNET_OK;
        err.message[0] = '\0';
        const enum upernet_status st = full_run(out_dir, &err);
        upernet_alloc_fail_at(0);
        tried++;
        ck_assert_msg(st == UPERNET_ERR_NOMEM, "allocation %llu of %llu failed, but the run ended in %s: %s",
                      (unsigned long long) n, (unsigned long long) total, upernet_status_name(st), err.message);
        ck_assert_msg(err.message[0] != '\0', "allocation %llu: no message", (unsigned long long) n);
        /* outputs written before the failing step stay (they are complete);
         * none may be partial and no temporary file may remain */
        list_dir(out_dir, listing, sizeof listing);
        ck_assert_msg(strstr(listing, ".tmp") == NULL, "allocation %llu left a temporary file: %s",
                      (unsigned long long) n, listing);
        empty_dir(out_dir);
    }
    fprintf(stderr, "alloc_failure: tried %llu of %llu\n", (unsigned long long) tried, (unsigned long long) total);

    upernet_alloc_fail_at(0);
    ck_assert_msg(full_run(out_dir, &err) == UPERNET_OK, "%s", err.message);
    empty_dir(out_dir);
    rmdir(out_dir);
}
END_TEST

int main(void)
{
    /* A tier this host cannot run ($UPERNET_ISA, when run per tier) is a SKIP. */
    test_select_tier("test_alloc_failure");
    Suite *suite = suite_create("alloc_failure");
    TCase *tc = tcase_create("full run");
    tcase_set_timeout(tc, 1200);
    tcase_add_test(tc, test_every_allocation_fails_cleanly);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    const int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
