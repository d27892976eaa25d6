/* Checkpoint readers: every fixture written by real torch.save / safetensors
 * (tools/make_checkpoint_fixtures.py) against its manifest; every hostile
 * file refused with the expected error; truncation and byte flips never
 * crash; the mmseg -> HF renames reproduce data/state_dict_keys.tsv; the
 * safetensors writer round-trips and is deterministic. Tier-independent. */
#define _GNU_SOURCE /* memmem */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/key_naming.h"
#include "io/pickle.h"
#include "tests/testutil.h"
#include "upernet.h"

static json_t *manifest;

static void path_of(char *buf, size_t size, const char *file)
{
    snprintf(buf, size, "%s/fixtures/%s", test_data_dir(), file);
}

static void load_manifest(void)
{
    char path[1024];
    path_of(path, sizeof path, "manifest.json");
    json_error_t jerr;
    manifest = json_load_file(path, 0, &jerr);
    if (manifest == NULL) {
        fprintf(stderr, "cannot read %s: %s\n", path, jerr.text);
        exit(1);
    }
}

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    const long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t) n : 1);
    ck_assert(buf != NULL);
    ck_assert_uint_eq(fread(buf, 1, (size_t) n, f), (size_t) n);
    fclose(f);
    *size = (size_t) n;
    return buf;
}

static const char *status_word(enum upernet_status st)
{
    switch (st) {
    case UPERNET_ERR_FORMAT: return "format";
    case UPERNET_ERR_LIMIT: return "limit";
    case UPERNET_ERR_UNSUPPORTED: return "unsupported";
    case UPERNET_ERR_IO: return "io";
    case UPERNET_ERR_NOMEM: return "nomem";
    default: return upernet_status_name(st);
    }
}

/* Compares a loaded set with a manifest entry. */
static void check_against(const upernet_weights *w, json_t *fx)
{
    const char *file = json_string_value(json_object_get(fx, "file"));
    ck_assert_str_eq(upernet_weights_format_name(upernet_weights_format(w)),
                     json_string_value(json_object_get(fx, "format")));
    ck_assert_str_eq(upernet_key_naming_name(upernet_weights_naming(w)),
                     json_string_value(json_object_get(fx, "naming")));
    json_t *tensors = json_object_get(fx, "tensors");
    ck_assert_uint_eq(upernet_weights_count(w), json_object_size(tensors));
    const char *name;
    json_t *want;
    json_object_foreach(tensors, name, want) {
        const struct upernet_tensor *t = upernet_weights_find(w, name);
        ck_assert_msg(t != NULL, "%s: tensor '%s' missing", file, name);
        ck_assert_str_eq(upernet_dtype_name(t->stored_dtype), json_string_value(json_object_get(want, "dtype")));
        json_t *shape = json_object_get(want, "shape");
        ck_assert_int_eq(t->ndim, (int) json_array_size(shape));
        size_t numel = 1;
        for (int d = 0; d < t->ndim; d++) {
            ck_assert_int_eq(t->shape[d], json_integer_value(json_array_get(shape, (size_t) d)));
            numel *= (size_t) t->shape[d];
        }
        ck_assert_uint_eq(t->numel, numel);
        json_t *ints = json_object_get(want, "int_values");
        if (ints != NULL) {
            ck_assert_msg(numel == 0 || t->ints != NULL, "%s: '%s' has no int values", file, name);
            ck_assert_ptr_null(t->data);
            for (size_t k = 0; k < numel; k++)
                ck_assert_int_eq(t->ints[k], json_integer_value(json_array_get(ints, k)));
        } else {
            ck_assert_msg(numel == 0 || t->data != NULL, "%s: '%s' has no float data", file, name);
            ck_assert_ptr_null(t->ints);
            double sum = 0, abs_sum = 0;
            for (size_t k = 0; k < numel; k++) {
                sum += t->data[k];
                abs_sum += fabs((double) t->data[k]);
            }
            const double want_sum = json_real_value(json_object_get(want, "sum"));
            const double want_abs = json_real_value(json_object_get(want, "abs_sum"));
            ck_assert_msg(fabs(sum - want_sum) <= 1e-9 + 1e-9 * want_abs, "%s: '%s' sum %.17g != %.17g", file, name,
                          sum, want_sum);
            ck_assert_msg(fabs(abs_sum - want_abs) <= 1e-9 + 1e-9 * want_abs, "%s: '%s' abs sum", file, name);
            json_t *first = json_object_get(want, "first");
            for (size_t k = 0; k < json_array_size(first); k++)
                ck_assert_msg((double) t->data[k] == json_real_value(json_array_get(first, k)),
                              "%s: '%s'[%zu] = %.9g != %.9g", file, name, k, t->data[k],
                              json_real_value(json_array_get(first, k)));
        }
    }
}

START_TEST(test_fixture)
{
    json_t *fx = json_array_get(json_object_get(manifest, "fixtures"), (size_t) _i);
    const char *file = json_string_value(json_object_get(fx, "file"));
    char path[1024];
    path_of(path, sizeof path, file);
    upernet_weights *w = NULL;
    upernet_error err;
    const enum upernet_status st = upernet_weights_open(path, &w, &err);
    ck_assert_msg(st == UPERNET_OK, "%s: %s", file, err.message);
    check_against(w, fx);
    upernet_weights_free(w);

    /* the same from memory (an exact-size heap copy, so overreads are caught by ASan) */
    size_t size;
    uint8_t *bytes = read_file(path, &size);
    ck_assert_int_eq(upernet_weights_open_memory(bytes, size, file, &w, &err), UPERNET_OK);
    check_against(w, fx);
    upernet_weights_free(w);
    free(bytes);
}
END_TEST

START_TEST(test_hostile)
{
    json_t *h = json_array_get(json_object_get(manifest, "hostile"), (size_t) _i);
    const char *file = json_string_value(json_object_get(h, "file"));
    char path[1024];
    path_of(path, sizeof path, file);
    upernet_weights *w = (upernet_weights *) (uintptr_t) 1;
    upernet_error err;
    const enum upernet_status st = upernet_weights_open(path, &w, &err);
    ck_assert_msg(st != UPERNET_OK, "%s was accepted", file);
    ck_assert_ptr_null(w);
    ck_assert_msg(strcmp(status_word(st), json_string_value(json_object_get(h, "status"))) == 0,
                  "%s: status %s, expected %s (%s)", file, status_word(st),
                  json_string_value(json_object_get(h, "status")), err.message);
    ck_assert_msg(strstr(err.message, json_string_value(json_object_get(h, "message_contains"))) != NULL,
                  "%s: message '%s' lacks '%s'", file, err.message,
                  json_string_value(json_object_get(h, "message_contains")));
    ck_assert_msg(strstr(err.message, file) != NULL, "%s: message '%s' does not name the file", file, err.message);
}
END_TEST

/* Every prefix of a small fixture is refused, and never read past its end. */
static void sweep_truncation(const char *file, size_t stride)
{
    char path[1024];
    path_of(path, sizeof path, file);
    size_t size;
    uint8_t *bytes = read_file(path, &size);
    for (size_t len = 0; len < size; len += (len < 1024 || len + 1024 > size) ? 1 : stride) {
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, bytes, len);
        upernet_weights *w = NULL;
        upernet_error err;
        const enum upernet_status st = upernet_weights_open_memory(copy, len, file, &w, &err);
        ck_assert_msg(st != UPERNET_OK, "%s truncated to %zu bytes was accepted", file, len);
        ck_assert(err.message[0] != '\0');
        free(copy);
    }
    free(bytes);
}

START_TEST(test_truncation)
{
    static const char *const files[] = {"views.pt", "views_legacy.pt", "dtypes.safetensors", "hf.safetensors",
                                        "mmseg_legacy.pth", "hf_zip_fileobj.bin"};
    sweep_truncation(files[_i], 7);
}
END_TEST

/* Flipping any byte either still loads or fails cleanly. */
START_TEST(test_flipped_bytes)
{
    static const char *const files[] = {"views.pt", "views_legacy.pt", "dtypes.safetensors"};
    char path[1024];
    path_of(path, sizeof path, files[_i]);
    size_t size;
    uint8_t *bytes = read_file(path, &size);
    uint8_t *copy = malloc(size);
    for (size_t pos = 0; pos < size; pos++) {
        for (int v = 0; v < 2; v++) {
            memcpy(copy, bytes, size);
            copy[pos] = v ? (uint8_t) (copy[pos] ^ 0xFF) : (uint8_t) (copy[pos] + 1);
            upernet_weights *w = NULL;
            upernet_error err;
            if (upernet_weights_open_memory(copy, size, files[_i], &w, &err) == UPERNET_OK) {
                /* touch every value so a bad pointer would show */
                double s = 0;
                for (size_t i = 0; i < upernet_weights_count(w); i++) {
                    const struct upernet_tensor *t = upernet_weights_at(w, i);
                    for (size_t k = 0; k < t->numel; k++)
                        s += t->data ? t->data[k] : (double) t->ints[k];
                }
                (void) s;
                upernet_weights_free(w);
            } else {
                ck_assert(err.message[0] != '\0');
            }
        }
    }
    free(copy);
    free(bytes);
}
END_TEST

START_TEST(test_rename_table)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/state_dict_keys.tsv", test_data_dir());
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s (the rename table check needs it)", path);
    char line[1024];
    size_t rows = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        char *fields[5];
        char *p = line;
        for (int i = 0; i < 5; i++) {
            fields[i] = strsep(&p, "\t\n");
            ck_assert_ptr_nonnull(fields[i]);
        }
        char hf[512];
        ck_assert_int_eq(key_naming_mmseg_to_hf(fields[2], hf, sizeof hf), 0);
        ck_assert_msg(strcmp(hf, fields[1]) == 0, "%s -> %s, expected %s", fields[2], hf, fields[1]);
        if (strcmp(fields[1], fields[2]) != 0) { /* names that differ tell the convention */
            ck_assert_int_eq(key_naming_of(fields[2]), UPERNET_NAMING_MMSEG);
            ck_assert_int_eq(key_naming_of(fields[1]), UPERNET_NAMING_HF);
        }
        rows++;
    }
    fclose(f);
    ck_assert_uint_eq(rows, 1988);
    char out[256];
    ck_assert_int_eq(key_naming_hf_alias("backbone.hidden_states_norms.2.weight", out, sizeof out), 1);
    ck_assert_str_eq(out, "backbone.hidden_states_norms.stage3.weight");
    ck_assert_int_eq(key_naming_hf_alias("backbone.hidden_states_norms.stage3.weight", out, sizeof out), 0);
    ck_assert_int_eq(key_naming_mmseg_to_hf("backbone.stages.1.2.unknown.weight", out, sizeof out), 0);
    ck_assert_str_eq(out, "backbone.stages.1.2.unknown.weight");
}
END_TEST

static uint8_t *slurp(const char *path, size_t *size)
{
    return read_file(path, size);
}

START_TEST(test_safetensors_roundtrip)
{
    char path[1024];
    path_of(path, sizeof path, "mmseg.pth");
    upernet_weights *w = NULL, *back = NULL;
    upernet_error err;
    ck_assert_int_eq(upernet_weights_open(path, &w, &err), UPERNET_OK);
    char out1[] = "/tmp/upernet-test-st-XXXXXX";
    const int fd = mkstemp(out1);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_msg(upernet_weights_save_safetensors(w, out1, &err) == UPERNET_OK, "%s", err.message);
    ck_assert_int_eq(upernet_weights_open(out1, &back, &err), UPERNET_OK);
    ck_assert_int_eq(upernet_weights_format(back), UPERNET_WEIGHTS_SAFETENSORS);
    ck_assert_int_eq(upernet_weights_naming(back), UPERNET_NAMING_HF);
    ck_assert_uint_eq(upernet_weights_count(back), upernet_weights_count(w));
    for (size_t i = 0; i < upernet_weights_count(w); i++) {
        const struct upernet_tensor *a = upernet_weights_at(w, i);
        const struct upernet_tensor *b = upernet_weights_find(back, a->name);
        ck_assert_ptr_nonnull(b);
        ck_assert_int_eq(a->ndim, b->ndim);
        ck_assert_uint_eq(a->numel, b->numel);
        if (a->data != NULL)
            ck_assert(memcmp(a->data, b->data, a->numel * sizeof(float)) == 0);
        else
            ck_assert(memcmp(a->ints, b->ints, a->numel * sizeof(int64_t)) == 0);
    }
    /* deterministic bytes: save the reloaded copy and compare */
    char out2[] = "/tmp/upernet-test-st-XXXXXX";
    const int fd2 = mkstemp(out2);
    close(fd2);
    ck_assert_int_eq(upernet_weights_save_safetensors(back, out2, &err), UPERNET_OK);
    size_t n1, n2;
    uint8_t *b1 = slurp(out1, &n1), *b2 = slurp(out2, &n2);
    ck_assert_uint_eq(n1, n2);
    ck_assert(memcmp(b1, b2, n1) == 0);
    ck_assert_uint_eq((b1[0] | (size_t) b1[1] << 8) % 8, 0); /* header padded to 8 */
    ck_assert(memmem(b1, n1, "{\"__metadata__\":{\"format\":\"pt\"}", 31) != NULL);
    free(b1);
    free(b2);
    /* a failed save leaves nothing behind */
    ck_assert_int_eq(upernet_weights_save_safetensors(back, "/nonexistent-dir/x.safetensors", &err), UPERNET_ERR_IO);
    unlink(out1);
    unlink(out2);
    upernet_weights_free(back);
    upernet_weights_free(w);
}
END_TEST

START_TEST(test_in_memory_builder)
{
    upernet_weights *w;
    upernet_error err;
    ck_assert_int_eq(upernet_weights_create(&w, &err), UPERNET_OK);
    const int64_t shape[2] = {2, 3};
    const float v[6] = {1, 2, 3, 4, 5, 6};
    const int64_t count = 9;
    ck_assert_int_eq(upernet_weights_add_f32(w, "a.weight", 2, shape, v, &err), UPERNET_OK);
    ck_assert_int_eq(upernet_weights_add_i64(w, "a.count", 0, NULL, &count, &err), UPERNET_OK);
    ck_assert_int_eq(upernet_weights_add_f32(w, "a.weight", 2, shape, v, &err), UPERNET_ERR_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "a.weight"));
    ck_assert_int_eq(upernet_weights_find(w, "a.count")->ints[0], 9);
    ck_assert_ptr_null(upernet_weights_find(w, "nope"));
    upernet_weights_free(w);
}
END_TEST

/* Pickles built opcode by opcode: limits and the no-execution guarantee. */
static enum upernet_status run_pickle(const char *bytes, size_t len, upernet_error *err)
{
    struct pickle_arena arena = {0};
    struct pickle_object *root;
    const enum upernet_status st = pickle_load(&arena, (const uint8_t *) bytes, len, "test", &root, NULL, err);
    pickle_arena_free(&arena);
    return st;
}

START_TEST(test_pickle_crafted)
{
    upernet_error err;
    /* protocol 4 framing, MEMOIZE, STACK_GLOBAL -> placeholder, NEWOBJ, BUILD */
    static const char ok[] = "\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01k\x94\x8c\x05numpy\x8c"
                             "\x05" "dtype\x93)\x81}b\x8c\x01x\x94(\x8a\x01\xff\x88\x91u.";
    ck_assert_msg(run_pickle(ok, sizeof ok - 1, &err) == UPERNET_OK, "%s", err.message);
    static const char proto6[] = "\x80\x06N.";
    ck_assert_int_eq(run_pickle(proto6, sizeof proto6 - 1, &err), UPERNET_ERR_UNSUPPORTED);
    static const char unknown[] = "\x80\x02\xff.";
    ck_assert_int_eq(run_pickle(unknown, sizeof unknown - 1, &err), UPERNET_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.message, "unknown opcode 0xff"));
    static const char underflow[] = "\x80\x02(t0.";
    ck_assert_int_eq(run_pickle(underflow, sizeof underflow - 1, &err), UPERNET_ERR_FORMAT);
    static const char get_unset[] = "\x80\x02h\x05.";
    ck_assert_int_eq(run_pickle(get_unset, sizeof get_unset - 1, &err), UPERNET_ERR_FORMAT);
    static const char persid[] = "\x80\x02P0\n.";
    ck_assert_int_eq(run_pickle(persid, sizeof persid - 1, &err), UPERNET_ERR_UNSUPPORTED);
    static const char huge_bytes[] = "\x80\x04\x8e\x00\x00\x00\x00\x00\x00\x00\x10.";
    ck_assert_int_eq(run_pickle(huge_bytes, sizeof huge_bytes - 1, &err), UPERNET_ERR_LIMIT);
    /* a list appended to itself: a cycle, harmless since nothing recurses */
    static const char cycle[] = "\x80\x02]q\x00h\x00" "a.";
    ck_assert_msg(run_pickle(cycle, sizeof cycle - 1, &err) == UPERNET_OK, "%s", err.message);
    /* no STOP */
    static const char nostop[] = "\x80\x02N";
    ck_assert_int_eq(run_pickle(nostop, sizeof nostop - 1, &err), UPERNET_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.message, "truncated"));
}
END_TEST

START_TEST(test_not_found)
{
    upernet_weights *w;
    upernet_error err;
    ck_assert_int_eq(upernet_weights_open("/nonexistent/model.safetensors", &w, &err), UPERNET_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent/model.safetensors"));
    ck_assert_int_eq(upernet_weights_open_memory("", 0, "empty", &w, &err), UPERNET_ERR_FORMAT);
}
END_TEST


/* Runs m on golden_logits' input of tools/make_checkpoint_fixtures.py and
 * compares with the logits transformers computed (`golden`). */
static void check_logits_match_torch(const char *file, const upernet_model *m, json_t *golden)
{
    upernet_error err;
    upernet_workspace *ws = NULL;
    ck_assert_msg(upernet_workspace_create(m, &ws, &err) == UPERNET_OK, "%s", err.message);
    enum { H = 32, W = 32 };
    static float pixels[3 * H * W];
    for (size_t i = 0; i < 3 * H * W; i++)
        pixels[i] = (float) ((int) (i % 17) - 8) / 8.0f;
    const size_t labels = (size_t) upernet_model_num_labels(m);
    ck_assert_int_eq((int) labels, (int) json_integer_value(json_array_get(json_object_get(golden, "shape"), 1)));
    float *logits = malloc(labels * H * W * sizeof *logits);
    ck_assert_msg(upernet_model_forward(m, ws, pixels, 1, H, W, logits, &err) == UPERNET_OK, "%s",
                  err.message);
    double sum = 0, abs_sum = 0;
    for (size_t i = 0; i < labels * H * W; i++) {
        sum += logits[i];
        abs_sum += fabs((double) logits[i]);
    }
    /* A sum of float32 logits each within a few ulp of torch's: off by
     * about 1e-7 of the sum of magnitudes; 1e-5 of it leaves a margin while
     * one logit off by 1e-3 (of ~3000 near 1) still fails. */
    const double want_sum = json_real_value(json_object_get(golden, "sum"));
    printf("%s: logit sum %.9g, torch %.9g (|d| = %.3g, %.3g of the magnitudes)\n", file, sum, want_sum,
           fabs(sum - want_sum), fabs(sum - want_sum) / abs_sum);
    ck_assert_msg(fabs(sum - want_sum) <= 1e-5 * abs_sum, "%s: logit sum %.9g != %.9g (tolerance %.3g)", file,
                  sum, want_sum, 1e-5 * abs_sum);
    json_t *samples = json_object_get(golden, "samples");
    for (size_t k = 0; k < json_array_size(samples); k++) {
        const size_t at = (size_t) json_integer_value(json_array_get(json_array_get(samples, k), 0));
        const double want = json_real_value(json_array_get(json_array_get(samples, k), 1));
        ck_assert_msg(fabs(logits[at] - want) <= 1e-4 + 1e-4 * fabs(want), "%s: logits[%zu] = %.9g, torch %.9g",
                      file, at, logits[at], want);
    }
    free(logits);
    upernet_workspace_free(ws);
}

/* Each fixture holding the small model's weights gives the logits
 * transformers computed with them (the weights are the same in every
 * format and naming). */
START_TEST(test_forward_matches_torch)
{
    json_t *fx = json_array_get(json_object_get(manifest, "fixtures"), (size_t) _i);
    const char *naming = json_string_value(json_object_get(fx, "naming"));
    if (strcmp(naming, "unknown") == 0)
        return; /* the dtype/view fixtures are not a model */
    const char *file = json_string_value(json_object_get(fx, "file"));
    json_t *small = json_object_get(manifest, "small_model");
    char path[1024], config[1024];
    path_of(path, sizeof path, file);
    path_of(config, sizeof config, json_string_value(json_object_get(small, "config")));
    upernet_error err;
    upernet_model_options options;
    upernet_model_options_init(&options);
    options.config = config;
    upernet_model *m = NULL;
    ck_assert_msg(upernet_model_open(path, &options, &m, &err) == UPERNET_OK, "%s: %s", file,
                  err.message);
    ck_assert_uint_eq(upernet_model_unused_keys(m, NULL), 0);
    check_logits_match_torch(file, m, json_object_get(small, "logits"));
    upernet_model_free(m);
}
END_TEST

/* A checkpoint with keys the model does not have (extra_keys.*): loaded
 * like from_pretrained loads it, the unused keys named (the ones transformers
 * reported), the logits transformers computed; with options.strict refused,
 * naming them; a missing key stays an error either way. */
START_TEST(test_unexpected_keys)
{
    char golden_path[1024], path[1024], config[1024], err_text[256];
    path_of(golden_path, sizeof golden_path, "extra_keys.json");
    json_error_t jerr;
    json_t *golden = json_load_file(golden_path, 0, &jerr);
    ck_assert_msg(golden != NULL, "%s: %s", golden_path, jerr.text);
    path_of(path, sizeof path, json_string_value(json_object_get(golden, "weights")));
    path_of(config, sizeof config, json_string_value(json_object_get(golden, "config")));
    upernet_error err;
    upernet_model_options options;
    upernet_model_options_init(&options);
    options.config = config;
    upernet_model *m = NULL;
    ck_assert_msg(upernet_model_open(path, &options, &m, &err) == UPERNET_OK, "%s", err.message);
    const char *names = NULL;
    json_t *unexpected = json_object_get(golden, "unexpected_keys");
    ck_assert_uint_eq(upernet_model_unused_keys(m, &names), json_array_size(unexpected));
    for (size_t i = 0; i < json_array_size(unexpected); i++) {
        const char *key = json_string_value(json_array_get(unexpected, i));
        ck_assert_msg(strstr(names, key) != NULL, "'%s' not among the unused keys: %s", key, names);
    }
    check_logits_match_torch("extra_keys.safetensors", m, json_object_get(golden, "logits"));
    upernet_model_free(m);

    options.strict = 1;
    ck_assert(upernet_model_open(path, &options, &m, &err) == UPERNET_ERR_MISMATCH);
    ck_assert_ptr_null(m);
    snprintf(err_text, sizeof err_text, "unexpected %s",
             json_string_value(json_array_get(unexpected, 0)));
    ck_assert_msg(strstr(err.message, err_text) != NULL, "%s", err.message);
    ck_assert_msg(strstr(err.message, "0 missing") != NULL, "%s", err.message);

    /* the small fixture's weights against a config with one more block: missing */
    options.strict = 0;
    options.config = "tiny";
    ck_assert(upernet_model_open(path, &options, &m, &err) == UPERNET_ERR_MISMATCH);
    ck_assert_msg(strstr(err.message, "missing") != NULL, "%s", err.message);
    json_decref(golden);
}
END_TEST

/* Legacy format with a storage view (view_metadata, written by old torch
 * versions): ('storage', FloatStorage, 'k', 'cpu', 4, ('v', 1, 2)) is
 * elements 1..2 of storage 'k' = {1, 2, 3, 4}. Built byte by byte. */
START_TEST(test_legacy_storage_view)
{
    static const char magic[] = "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19" ".";
    static const char version[] = "\x80\x02M\xe9\x03" ".";
    static const char sys_info[] = "\x80\x02}.";
    static const char object[] =
        "\x80\x02}(X\x01\x00\x00\x00" "w"
        "ctorch._utils\n_rebuild_tensor_v2\n"
        "((X\x07\x00\x00\x00" "storage" "ctorch\nFloatStorage\n"
        "X\x01\x00\x00\x00" "k" "X\x03\x00\x00\x00" "cpu" "K\x04"
        "(X\x01\x00\x00\x00" "v" "K\x01K\x02" "tt" "Q"
        "K\x00" "K\x02\x85" "K\x01\x85" "\x89" "ccollections\nOrderedDict\n)R" "tR" "u.";
    static const char keys[] = "\x80\x02]X\x01\x00\x00\x00" "k" "a.";
    const float values[4] = {1, 2, 3, 4};
    uint8_t buf[1024];
    size_t n = 0;
    const char *parts[] = {magic, version, sys_info, object, keys};
    const size_t lens[] = {sizeof magic - 1, sizeof version - 1, sizeof sys_info - 1, sizeof object - 1,
                           sizeof keys - 1};
    for (int i = 0; i < 5; i++) {
        memcpy(buf + n, parts[i], lens[i]);
        n += lens[i];
    }
    const uint8_t count[8] = {4, 0, 0, 0, 0, 0, 0, 0};
    memcpy(buf + n, count, 8);
    n += 8;
    memcpy(buf + n, values, sizeof values);
    n += sizeof values;
    upernet_weights *w;
    upernet_error err;
    ck_assert_msg(upernet_weights_open_memory(buf, n, "view.pt", &w, &err) == UPERNET_OK, "%s", err.message);
    const struct upernet_tensor *t = upernet_weights_find(w, "w");
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(upernet_weights_format(w), UPERNET_WEIGHTS_TORCH_LEGACY);
    ck_assert_uint_eq(t->numel, 2);
    ck_assert(t->data[0] == 2.0f && t->data[1] == 3.0f);
    upernet_weights_free(w);
    /* the view may not reach past its own size */
    uint8_t bad[1024];
    memcpy(bad, buf, n);
    uint8_t *k2 = memmem(bad, n, "K\x01\x85\x89", 4); /* stride 1 -> 2: reaches element 2 of 2 */
    ck_assert_ptr_nonnull(k2);
    k2[1] = 2;
    ck_assert_int_eq(upernet_weights_open_memory(bad, n, "view.pt", &w, &err), UPERNET_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.message, "reaches element"));
}
END_TEST

int main(void)
{
    load_manifest();
    Suite *s = suite_create("checkpoints");
    TCase *tc = tcase_create("fixtures");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_fixture, 0, (int) json_array_size(json_object_get(manifest, "fixtures")));
    tcase_add_loop_test(tc, test_forward_matches_torch, 0,
                        (int) json_array_size(json_object_get(manifest, "fixtures")));
    tcase_add_loop_test(tc, test_hostile, 0, (int) json_array_size(json_object_get(manifest, "hostile")));
    tcase_add_test(tc, test_rename_table);
    tcase_add_test(tc, test_safetensors_roundtrip);
    tcase_add_test(tc, test_in_memory_builder);
    tcase_add_test(tc, test_pickle_crafted);
    tcase_add_test(tc, test_legacy_storage_view);
    tcase_add_test(tc, test_not_found);
    tcase_add_test(tc, test_unexpected_keys);
    suite_add_tcase(s, tc);
    TCase *robust = tcase_create("robustness");
    tcase_set_timeout(robust, 300);
    tcase_add_loop_test(robust, test_truncation, 0, 6);
    tcase_add_loop_test(robust, test_flipped_bytes, 0, 3);
    suite_add_tcase(s, robust);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    const int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    json_decref(manifest);
    return failed == 0 ? 0 : 1;
}
