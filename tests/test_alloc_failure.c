/* Allocation failure along a full run: load a safetensors checkpoint (the
 * small test configuration with its synthetic weights) -> build the model ->
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
#include "io/npy.h"
#include "model/model_config.h"
#include "model/synthetic.h"
#include "model/weights.h"
#include "testutil.h"
#include "upernet.h"

#define SIZE 32 /* input height and width */

static char work_dir[] = "/tmp/upernet-alloc-XXXXXX";
static char config_path[4096], weights_path[4200], image_path[4096];

/* Setup (not counted): the synthetic weights of the small configuration,
 * saved as safetensors. */
static void make_checkpoint(void)
{
    ck_assert_ptr_nonnull(mkdtemp(work_dir));
    snprintf(config_path, sizeof config_path, "%s/golden/small-config.json", test_data_dir());
    snprintf(image_path, sizeof image_path, "%s/images/png-gray8-31x17.png", test_data_dir());
    snprintf(weights_path, sizeof weights_path, "%s/model.safetensors", work_dir);
    upernet_error err;
    struct upernet_config cfg;
    ck_assert_msg(upernet_config_parse_json(config_path, &cfg, &err) == UPERNET_OK, "%s", err.message);
    struct upernet_param_table table;
    ck_assert_msg(upernet_param_table_build(&cfg, &table, &err) == UPERNET_OK, "%s", err.message);
    upernet_weights *w;
    ck_assert(upernet_weights_create(&w, &err) == UPERNET_OK);
    for (size_t i = 0; i < table.count; i++) {
        const struct upernet_param_spec *p = &table.params[i];
        int64_t shape[UPERNET_PARAM_MAX_DIMS];
        for (size_t d = 0; d < p->ndim; d++)
            shape[d] = (int64_t) p->shape[d];
        const size_t n = upernet_param_numel(p);
        if (p->is_counter) {
            const int64_t zero = 0;
            ck_assert(upernet_weights_add_i64(w, p->name, (int) p->ndim, shape, &zero, &err) == UPERNET_OK);
            continue;
        }
        float *v = malloc((n ? n : 1) * sizeof *v);
        upernet_synthetic_fill(p->name, p->shape, p->ndim, v);
        ck_assert_msg(upernet_weights_add_f32(w, p->name, (int) p->ndim, shape, v, &err) == UPERNET_OK, "%s",
                      err.message);
        free(v);
    }
    ck_assert_msg(upernet_weights_save_safetensors(w, weights_path, &err) == UPERNET_OK, "%s", err.message);
    upernet_weights_free(w);
    upernet_param_table_free(&table);
}

static void remove_checkpoint(void)
{
    unlink(weights_path);
    rmdir(work_dir);
}

/* The weights as the model's store, as the CLI does it (floats borrowed,
 * integer counters copied as floats). */
static enum upernet_status weights_to_model(const upernet_weights *w, upernet_model **model, upernet_error *err)
{
    upernet_tensors *t = upernet_tensors_create();
    if (t == NULL) {
        snprintf(err->message, sizeof err->message, "out of memory");
        return err->status = UPERNET_ERR_NOMEM;
    }
    enum upernet_status st = UPERNET_OK;
    for (size_t i = 0; st == UPERNET_OK && i < upernet_weights_count(w); i++) {
        const struct upernet_tensor *x = upernet_weights_at(w, i);
        if (x->ints != NULL) {
            float *copy = malloc(x->numel * sizeof *copy); /* the test's own, never fails */
            for (size_t k = 0; k < x->numel; k++)
                copy[k] = (float) x->ints[k];
            st = upernet_tensors_add(t, x->name, x->shape, (size_t) x->ndim, copy, UPERNET_TENSOR_TAKE, err);
        } else {
            static float none;
            st = upernet_tensors_add(t, x->name, x->shape, (size_t) x->ndim,
                                     x->data != NULL ? (float *) x->data : &none, UPERNET_TENSOR_BORROW, err);
        }
    }
    if (st == UPERNET_OK) {
        *model = upernet_model_create_from_tensors(config_path, t, err);
        st = *model != NULL ? UPERNET_OK : err->status;
    }
    upernet_tensors_free(t);
    return st;
}

/* The full run; writes into `out_dir`. */
static enum upernet_status full_run(const char *out_dir, upernet_error *err)
{
    upernet_weights *w = NULL;
    upernet_model *model = NULL;
    upernet_image image = {0, 0, NULL};
    upernet_labels labels = {0, NULL, NULL};
    float pixels[3 * SIZE * SIZE];
    float *logits = NULL;
    uint16_t class_map[SIZE * SIZE];
    char path[4200];
    enum upernet_status st = upernet_weights_open(weights_path, &w, err);
    if (st == UPERNET_OK)
        st = weights_to_model(w, &model, err);
    upernet_weights_free(w);
    if (st == UPERNET_OK)
        st = upernet_image_load(image_path, &image, err);
    if (st == UPERNET_OK)
        st = upernet_preprocess(&image, SIZE, SIZE, pixels, err);
    const int classes = model != NULL ? upernet_model_num_labels(model) : 0;
    if (st == UPERNET_OK) {
        logits = malloc((size_t) classes * SIZE * SIZE * sizeof *logits);
        st = upernet_model_forward(model, pixels, SIZE, SIZE, logits, err);
    }
    if (st == UPERNET_OK) {
        upernet_argmax(logits, classes, SIZE, SIZE, class_map);
        const size_t shape[4] = {1, (size_t) classes, SIZE, SIZE};
        snprintf(path, sizeof path, "%s/logits.npy", out_dir);
        st = upernet_npy_write_f32(path, shape, 4, logits, err);
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
    make_checkpoint();
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
    remove_checkpoint();
}
END_TEST

int main(void)
{
    /* A tier this host cannot run ($UPERNET_ISA, when run per tier) is a SKIP. */
    upernet_error err;
    if (upernet_select_isa(NULL, &err) != UPERNET_OK) {
        fprintf(stderr, "%s\n", err.message);
        return err.status == UPERNET_ERR_UNSUPPORTED ? 77 : 1;
    }
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
