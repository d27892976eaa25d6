/* Configurations and the weight table: the built-in sizes, config.json
 * parsing and its errors, the expected key table against
 * data/state_dict_keys.tsv (all five sizes), and the validation of a tensor
 * store (missing, wrong-shaped and unexpected keys are listed). */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/config_json.h"
#include "model/model_config.h"
#include "model/weights.h"
#include "testutil.h"

static const char *const sizes[] = {"tiny", "small", "base", "large", "xlarge"};

START_TEST(test_builtin_sizes)
{
    struct upernet_config cfg;
    upernet_error err;
    ck_assert(upernet_config_builtin("tiny", &cfg, &err) == UPERNET_OK);
    ck_assert_int_eq(cfg.depths[2], 9);
    ck_assert_int_eq(cfg.hidden_sizes[3], 768);
    ck_assert_int_eq(cfg.num_labels, 150);
    ck_assert_int_eq(cfg.hidden_size, 512);
    ck_assert_int_eq(cfg.num_pool_scales, 4);
    ck_assert_int_eq(cfg.pool_scales[3], 6);
    ck_assert_int_eq(cfg.auxiliary_in_channels, 384);
    ck_assert(upernet_config_builtin("upernet-convnext-xlarge", &cfg, &err) == UPERNET_OK);
    ck_assert_int_eq(cfg.hidden_sizes[0], 256);
    ck_assert_int_eq(cfg.depths[2], 27);
    ck_assert_int_eq(cfg.auxiliary_in_channels, 1024);
    ck_assert(upernet_config_resolve("openmmlab/upernet-convnext-base", &cfg, &err) == UPERNET_OK);
    ck_assert_int_eq(cfg.hidden_sizes[0], 128);
    ck_assert(upernet_config_builtin("huge", &cfg, &err) == UPERNET_ERR_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "'huge'"));
}
END_TEST

/* The table for each size equals the reference TSV (HF name, dtype, shape),
 * line for line. */
START_TEST(test_table_matches_tsv)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/state_dict_keys.tsv", test_data_dir());
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    struct upernet_param_table tables[5];
    size_t next[5] = {0};
    upernet_error err;
    for (int s = 0; s < 5; s++) {
        struct upernet_config cfg;
        ck_assert(upernet_config_builtin(sizes[s], &cfg, &err) == UPERNET_OK);
        ck_assert(upernet_param_table_build(&cfg, &tables[s], &err) == UPERNET_OK);
    }
    char line[1024];
    size_t lines = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        char *fields[5];
        char *p = line;
        for (int k = 0; k < 5; k++) {
            fields[k] = p;
            p = strchr(p, '\t');
            if (k < 4) {
                ck_assert_msg(p != NULL, "%s:%zu: expected 5 fields", path, lines + 1);
                *p++ = '\0';
            }
        }
        int s = 0;
        while (s < 5 && strcmp(fields[0], sizes[s]) != 0)
            s++;
        ck_assert_msg(s < 5, "%s:%zu: unknown size %s", path, lines + 1, fields[0]);
        ck_assert_msg(next[s] < tables[s].count, "%s: more keys than the table for %s", path,
                      sizes[s]);
        const struct upernet_param_spec *spec = &tables[s].params[next[s]++];
        char shape[64];
        upernet_format_shape(spec->ndim, spec->shape, shape, sizeof shape);
        ck_assert_str_eq(spec->name, fields[1]);
        ck_assert_str_eq(spec->is_counter ? "I64" : "F32", fields[3]);
        ck_assert_msg(strcmp(shape, fields[4]) == 0, "%s: shape %s, TSV %s", spec->name, shape,
                      fields[4]);
        lines++;
    }
    fclose(f);
    ck_assert_uint_eq(lines, 1988);
    for (int s = 0; s < 5; s++) {
        ck_assert_uint_eq(next[s], tables[s].count);
        size_t floats = 0;
        for (size_t i = 0; i < tables[s].count; i++)
            if (!tables[s].params[i].is_counter)
                floats += upernet_param_numel(&tables[s].params[i]);
        static const size_t want[5] = {60255436, 81889996, 122115756, 235007596, 391153196};
        ck_assert_uint_eq(floats, want[s]);
        upernet_param_table_free(&tables[s]);
    }
}
END_TEST

/* Writes text to a temporary file; returns its path (static buffer). */
static const char *write_temp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/upernet-test-config-XXXXXX");
    int fd = mkstemp(path);
    ck_assert(fd >= 0);
    ck_assert(write(fd, text, strlen(text)) == (ssize_t) strlen(text));
    close(fd);
    return path;
}

static const char *const good_json =
    "{\"model_type\": \"upernet\", \"hidden_size\": 64, \"pool_scales\": [1, 3],\n"
    " \"auxiliary_channels\": 16, \"use_auxiliary_head\": true,\n"
    " \"id2label\": {\"0\": \"a\", \"1\": \"b\", \"2\": \"c\"},\n"
    " \"backbone_config\": {\"model_type\": \"convnext\", \"depths\": [1, 2, 1, 1],\n"
    "   \"hidden_sizes\": [8, 16, 24, 32], \"hidden_act\": \"gelu\",\n"
    "   \"out_features\": [\"stage1\", \"stage2\", \"stage3\", \"stage4\"]}}";

START_TEST(test_parse_json)
{
    struct upernet_config cfg;
    upernet_error err;
    const char *path = write_temp(good_json);
    ck_assert_msg(upernet_config_resolve(path, &cfg, &err) == UPERNET_OK, "%s", err.message);
    unlink(path);
    ck_assert_int_eq(cfg.hidden_size, 64);
    ck_assert_int_eq(cfg.num_pool_scales, 2);
    ck_assert_int_eq(cfg.pool_scales[1], 3);
    ck_assert_int_eq(cfg.num_labels, 3);
    ck_assert_int_eq(cfg.depths[1], 2);
    ck_assert_int_eq(cfg.hidden_sizes[3], 32);
    ck_assert_int_eq(cfg.auxiliary_in_channels, 24); /* None -> C2 */
    ck_assert_int_eq(cfg.auxiliary_channels, 16);
    ck_assert_int_eq(cfg.auxiliary_num_convs, 1);

    /* The table follows the config: 4-pool bottleneck input = C3 + 2*K. */
    struct upernet_param_table t;
    ck_assert(upernet_param_table_build(&cfg, &t, &err) == UPERNET_OK);
    const struct upernet_param_spec *b =
        upernet_param_table_find(&t, "decode_head.bottleneck.conv.weight");
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(b->shape[1], 32 + 2 * 64);
    ck_assert_ptr_nonnull(upernet_param_table_find(&t, "auxiliary_head.convs.0.conv.weight"));
    ck_assert_ptr_null(upernet_param_table_find(&t, "decode_head.psp_modules.2.1.conv.weight"));
    upernet_param_table_free(&t);

    ck_assert_int_eq(cfg.num_levels, 4);
    ck_assert(cfg.layer_scale);

    /* num_labels alone; no labels at all -> PretrainedConfig's 2. Without
     * out_features ConvNextConfig selects the last stage only, which leaves
     * the auxiliary head (third level) without input. */
    ck_assert(upernet_config_parse_json_text(
                  "{\"num_labels\": 7, \"use_auxiliary_head\": false, "
                  "\"backbone_config\": {\"model_type\": \"convnext\"}}",
                  "x.json", &cfg, &err) == UPERNET_OK);
    ck_assert_int_eq(cfg.num_labels, 7);
    ck_assert_int_eq(cfg.hidden_sizes[0], 96); /* ConvNextConfig defaults */
    ck_assert_int_eq(cfg.num_levels, 1);
    ck_assert_int_eq(cfg.level_source[0], 4);
    ck_assert(upernet_config_parse_json_text(
                  "{\"backbone_config\": {\"out_indices\": [-3, -2, -1]}}", "x.json", &cfg,
                  &err) == UPERNET_OK);
    ck_assert_int_eq(cfg.num_labels, 2);
    ck_assert_int_eq(cfg.num_levels, 3);
    ck_assert(cfg.level_source[0] == 2 && cfg.level_source[1] == 3 && cfg.level_source[2] == 4);
    ck_assert_int_eq(cfg.auxiliary_in_channels, 768); /* None -> the third level's channels */
}
END_TEST

struct bad_case {
    const char *json;
    enum upernet_status status;
    const char *message_part; /* must appear in the message */
};

static const struct bad_case bad_cases[] = {
    {"{\"backbone_config\": {", UPERNET_ERR_FORMAT, "invalid JSON"},
    {"[1, 2]", UPERNET_ERR_FORMAT, "top level"},
    {"{\"model_type\": \"segformer\", \"backbone_config\": {}}", UPERNET_ERR_UNSUPPORTED,
     "model_type"},
    {"{}", UPERNET_ERR_UNSUPPORTED, "backbone_config is missing"},
    {"{\"backbone_config\": {\"model_type\": \"resnet\"}}", UPERNET_ERR_UNSUPPORTED,
     "backbone_config.model_type"},
    {"{\"backbone_config\": {\"depths\": [3, 3, 9]}}", UPERNET_ERR_UNSUPPORTED,
     "backbone_config.depths"},
    {"{\"backbone_config\": {\"hidden_sizes\": [96, \"x\", 384, 768]}}", UPERNET_ERR_FORMAT,
     "backbone_config.hidden_sizes[1]"},
    {"{\"backbone_config\": {\"hidden_act\": \"relu\"}}", UPERNET_ERR_UNSUPPORTED, "hidden_act"},
    /* out_features / out_indices: what transformers refuses, with its reason */
    {"{\"backbone_config\": {\"out_features\": \"stage4\"}}", UPERNET_ERR_FORMAT,
     "out_features must be a list"},
    {"{\"backbone_config\": {\"out_features\": [\"stage1\", \"stage5\"]}}", UPERNET_ERR_ARGUMENT,
     "must be a subset of stage_names"},
    {"{\"backbone_config\": {\"out_features\": [\"stage2\", \"stage2\"]}}", UPERNET_ERR_ARGUMENT,
     "out_features must not contain any duplicates"},
    {"{\"backbone_config\": {\"out_features\": [\"stage4\", \"stage1\"]}}", UPERNET_ERR_ARGUMENT,
     "same order as stage_names, expected [\"stage1\", \"stage4\"]"},
    {"{\"backbone_config\": {\"out_indices\": [1, 5]}}", UPERNET_ERR_ARGUMENT,
     "out_indices must be valid indices"},
    {"{\"backbone_config\": {\"out_indices\": [2, -3]}}", UPERNET_ERR_ARGUMENT,
     "out_indices must not contain any duplicates"},
    {"{\"backbone_config\": {\"out_indices\": [-1, -4]}}", UPERNET_ERR_ARGUMENT,
     "out_indices must be in the same order"},
    {"{\"backbone_config\": {\"out_indices\": [1, \"2\"]}}", UPERNET_ERR_FORMAT, "out_indices[1]"},
    {"{\"backbone_config\": {\"out_features\": [\"stage1\"], \"out_indices\": [1, 2]}}",
     UPERNET_ERR_ARGUMENT, "should have the same length"},
    {"{\"backbone_config\": {\"out_features\": [\"stage1\"], \"out_indices\": [2]}}",
     UPERNET_ERR_ARGUMENT, "should correspond to the same stages"},
    {"{\"use_auxiliary_head\": false, \"backbone_config\": {\"out_features\": []}}",
     UPERNET_ERR_UNSUPPORTED, "selects no feature map"},
    {"{\"backbone_config\": {\"out_features\": [\"stage2\", \"stage4\"]}}",
     UPERNET_ERR_UNSUPPORTED, "needs at least 3 feature maps"},
    {"{\"backbone_config\": {}}", UPERNET_ERR_UNSUPPORTED, "use_auxiliary_head"},
    {"{\"backbone_config\": {\"layer_scale_init_value\": \"0\"}}", UPERNET_ERR_FORMAT,
     "layer_scale_init_value must be a number"},
    {"{\"hidden_size\": \"512\", \"use_auxiliary_head\": false, \"backbone_config\": {}}", UPERNET_ERR_FORMAT, "hidden_size"},
    {"{\"hidden_size\": 0, \"use_auxiliary_head\": false, \"backbone_config\": {}}", UPERNET_ERR_ARGUMENT, "hidden_size"},
    {"{\"pool_scales\": [1, 0], \"use_auxiliary_head\": false, \"backbone_config\": {}}", UPERNET_ERR_ARGUMENT, "pool_scales"},
    {"{\"use_auxiliary_head\": 1, \"backbone_config\": {}}", UPERNET_ERR_FORMAT,
     "use_auxiliary_head"},
    {"{\"num_labels\": 3, \"id2label\": {\"0\": \"a\"}, \"use_auxiliary_head\": false, "
     "\"backbone_config\": {}}",
     UPERNET_ERR_MISMATCH, "id2label"},
};

START_TEST(test_parse_errors)
{
    const struct bad_case *c = &bad_cases[_i];
    struct upernet_config cfg;
    upernet_error err;
    const char *path = write_temp(c->json);
    enum upernet_status st = upernet_config_parse_json(path, &cfg, &err);
    ck_assert_msg(st == c->status, "%s: status %d, message %s", c->json, st, err.message);
    ck_assert_msg(strstr(err.message, path) != NULL, "message does not name the file: %s",
                  err.message);
    ck_assert_msg(strstr(err.message, c->message_part) != NULL, "'%s' not in: %s",
                  c->message_part, err.message);
    unlink(path);
}
END_TEST

/* The weight table follows the levels and the layer scale: one
 * hidden_states_norms entry per out_features name, lateral/FPN convs for all
 * but the last level, the fuse conv over n*K channels, the PPM on the last
 * level's channels; no layer_scale_parameter when layer_scale_init_value <= 0. */
START_TEST(test_levels_table)
{
    struct upernet_config cfg;
    upernet_error err;
    ck_assert_msg(upernet_config_parse_json_text(
                      "{\"hidden_size\": 8, \"use_auxiliary_head\": false,\n"
                      " \"backbone_config\": {\"depths\": [1, 1, 1, 1], \"hidden_sizes\": [4, 6, 8, 10],\n"
                      "  \"out_indices\": [0, 2], \"layer_scale_init_value\": -1.0}}",
                      "levels.json", &cfg, &err) == UPERNET_OK,
                  "%s", err.message);
    ck_assert(!cfg.layer_scale);
    ck_assert_int_eq(upernet_config_stages_run(&cfg), 2);
    struct upernet_param_table t;
    ck_assert(upernet_param_table_build(&cfg, &t, &err) == UPERNET_OK);
    const struct upernet_param_spec *p;
    ck_assert_ptr_nonnull(p = upernet_param_table_find(&t, "backbone.hidden_states_norms.stem.weight"));
    ck_assert_uint_eq(p->shape[0], 4);
    ck_assert_ptr_nonnull(p = upernet_param_table_find(&t, "backbone.hidden_states_norms.stage2.bias"));
    ck_assert_uint_eq(p->shape[0], 6);
    ck_assert_ptr_null(upernet_param_table_find(&t, "backbone.hidden_states_norms.stage4.weight"));
    ck_assert_ptr_null(
        upernet_param_table_find(&t, "backbone.encoder.stages.0.layers.0.layer_scale_parameter"));
    /* the unused stages 3 and 4 are still part of the checkpoint */
    ck_assert_ptr_nonnull(upernet_param_table_find(&t, "backbone.encoder.stages.3.layers.0.pwconv1.weight"));
    ck_assert_ptr_nonnull(p = upernet_param_table_find(&t, "decode_head.lateral_convs.0.conv.weight"));
    ck_assert_uint_eq(p->shape[1], 4);
    ck_assert_ptr_null(upernet_param_table_find(&t, "decode_head.lateral_convs.1.conv.weight"));
    ck_assert_ptr_null(upernet_param_table_find(&t, "decode_head.fpn_convs.1.conv.weight"));
    ck_assert_ptr_nonnull(p = upernet_param_table_find(&t, "decode_head.fpn_bottleneck.conv.weight"));
    ck_assert_uint_eq(p->shape[1], 2 * 8);
    ck_assert_ptr_nonnull(p = upernet_param_table_find(&t, "decode_head.psp_modules.0.1.conv.weight"));
    ck_assert_uint_eq(p->shape[1], 6);
    upernet_param_table_free(&t);
}
END_TEST

START_TEST(test_missing_file)
{
    struct upernet_config cfg;
    upernet_error err;
    ck_assert(upernet_config_resolve("/nonexistent/config.json", &cfg, &err) == UPERNET_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent/config.json"));
}
END_TEST

/* A store filled from the table validates; each kind of problem is named. */
START_TEST(test_validation)
{
    struct upernet_config cfg;
    upernet_error err;
    ck_assert(upernet_config_parse_json_text(good_json, "good.json", &cfg, &err) == UPERNET_OK);
    struct upernet_param_table t;
    ck_assert(upernet_param_table_build(&cfg, &t, &err) == UPERNET_OK);
    static float zeros[1 << 18];
    upernet_tensors *store = NULL;
    ck_assert(upernet_tensors_create(&store, &err) == UPERNET_OK);
    for (size_t i = 0; i < t.count; i++) {
        const struct upernet_param_spec *p = &t.params[i];
        ck_assert(upernet_param_numel(p) <= sizeof zeros / sizeof zeros[0]);
        int64_t shape[4];
        for (size_t d = 0; d < p->ndim; d++)
            shape[d] = (int64_t) p->shape[d];
        /* skip one counter (optional) and one real tensor (missing) */
        if (strcmp(p->name, "decode_head.bottleneck.batch_norm.num_batches_tracked") == 0 ||
            strcmp(p->name, "decode_head.fpn_convs.1.conv.weight") == 0)
            continue;
        if (strcmp(p->name, "backbone.encoder.stages.1.layers.0.pwconv1.weight") == 0)
            shape[0] += 1; /* wrong shape */
        ck_assert(upernet_tensors_add(store, p->name, shape, p->ndim, zeros, UPERNET_TENSOR_BORROW,
                                      &err) == UPERNET_OK);
    }
    const int64_t one = 1;
    ck_assert(upernet_tensors_add(store, "decode_head.extra.weight", &one, 1, zeros,
                                  UPERNET_TENSOR_COPY, &err) == UPERNET_OK);
    ck_assert(upernet_tensors_add(store, "decode_head.extra.weight", &one, 1, zeros,
                                  UPERNET_TENSOR_COPY, &err) == UPERNET_ERR_ARGUMENT);
    ck_assert(upernet_params_validate(&t, store, "w.bin", true, &err) == UPERNET_ERR_MISMATCH);
    ck_assert_ptr_nonnull(strstr(err.message, "w.bin"));
    ck_assert_ptr_nonnull(strstr(err.message, "missing decode_head.fpn_convs.1.conv.weight"));
    ck_assert_ptr_nonnull(strstr(err.message, "pwconv1.weight has shape 65x16, expected 64x16"));
    ck_assert_ptr_nonnull(strstr(err.message, "unexpected decode_head.extra.weight"));
    ck_assert_ptr_nonnull(strstr(err.message, "1 missing, 1 wrong shape, 1 unexpected"));
    ck_assert_ptr_null(strstr(err.message, "num_batches_tracked"));
    /* not strict: the unexpected key no longer fails, the others still do */
    ck_assert(upernet_params_validate(&t, store, "w.bin", false, &err) == UPERNET_ERR_MISMATCH);
    ck_assert_ptr_nonnull(strstr(err.message, "1 missing, 1 wrong shape, 0 unexpected"));
    char names[64];
    ck_assert_uint_eq(upernet_params_unexpected(&t, store, names, sizeof names), 1);
    ck_assert_str_eq(names, "decode_head.extra.weight");
    const int64_t two = 2;
    for (int i = 0; i < 6; i++) {
        char name[64];
        snprintf(name, sizeof name, "extra.tensor.%d", i);
        ck_assert(upernet_tensors_add(store, name, &two, 1, zeros, UPERNET_TENSOR_COPY, &err) ==
                  UPERNET_OK);
    }
    ck_assert_uint_eq(upernet_params_unexpected(&t, store, names, sizeof names), 7);
    ck_assert_str_eq(names, "decode_head.extra.weight, extra.tensor.0, extra.tensor.1, ...");
    upernet_tensors_free(store);
    upernet_param_table_free(&t);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_builtin_sizes);
    tcase_add_test(tc, test_table_matches_tsv);
    tcase_add_test(tc, test_parse_json);
    tcase_add_loop_test(tc, test_parse_errors, 0, sizeof bad_cases / sizeof bad_cases[0]);
    tcase_add_test(tc, test_missing_file);
    tcase_add_test(tc, test_levels_table);
    tcase_add_test(tc, test_validation);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    const int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
