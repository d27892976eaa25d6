/* Synthetic weights and the test input equal tools/synthetic.py bit for bit
 * (table data/golden/synthetic-table.tsv, written by tools/make_goldens.py),
 * the weight kinds have the documented ranges, and every committed golden
 * file loads and is consistent with its config. Tier-independent. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/synthetic.h"
#include "tests/golden.h"

static uint32_t float_bits(float v)
{
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static size_t parse_shape(const char *text, size_t *shape)
{
    if (strcmp(text, "-") == 0)
        return 0;
    size_t ndim = 0;
    const char *p = text;
    while (*p != '\0' && ndim < 8) {
        char *end;
        shape[ndim++] = strtoul(p, &end, 10);
        p = *end == 'x' ? end + 1 : end;
    }
    return ndim;
}

/* Walks the table; checks hashes, weights and input pixels. */
START_TEST(test_table_matches_python)
{
    char path[4096];
    FILE *f = fopen(golden_path("synthetic-table.tsv", path, sizeof path), "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char line[1024], current_key[512] = "";
    char current_kind = 0; /* 'w' (default recipe) or 't' (trained) */
    float *values = NULL;
    size_t numel = 0;
    int hashes = 0, weights = 0, trained = 0, pixels = 0;
    int input_h = 0, input_w = 0;
    float *image = NULL;
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char key[512], shape_text[128];
        unsigned long long hash;
        size_t index;
        unsigned bits;
        int h, w, c, y, x;
        char kind;
        if (sscanf(line, "h\t%511s\t%llx", key, &hash) == 2) {
            ck_assert_msg(upernet_synthetic_key_hash(key) == (uint64_t) hash, "hash of %s", key);
            hashes++;
        } else if (sscanf(line, "%c\t%511s\t%127s\t%zu\t%x", &kind, key, shape_text, &index,
                          &bits) == 5 &&
                   (kind == 'w' || kind == 't')) {
            if (strcmp(key, current_key) != 0 || kind != current_kind) {
                size_t shape[8];
                const size_t ndim = parse_shape(shape_text, shape);
                numel = 1;
                for (size_t d = 0; d < ndim; d++)
                    numel *= shape[d];
                free(values);
                values = malloc(numel * sizeof *values);
                ck_assert(values != NULL);
                upernet_synthetic_fill_recipe(
                    kind == 't' ? UPERNET_SYNTHETIC_TRAINED : UPERNET_SYNTHETIC_DEFAULT, key,
                    shape, ndim, values);
                snprintf(current_key, sizeof current_key, "%s", key);
                current_kind = kind;
            }
            ck_assert_msg(index < numel, "%s: index %zu", key, index);
            ck_assert_msg(float_bits(values[index]) == bits,
                          "%s[%zu] (recipe %s): C %08x (%.9g), Python %08x", key, index,
                          kind == 't' ? "trained" : "default", float_bits(values[index]),
                          (double) values[index], bits);
            if (kind == 't')
                trained++;
            else
                weights++;
        } else if (sscanf(line, "i\t%d\t%d\t%d\t%d\t%d\t%x", &h, &w, &c, &y, &x, &bits) == 6) {
            if (h != input_h || w != input_w) {
                free(image);
                image = malloc((size_t) 3 * h * w * sizeof *image);
                ck_assert(image != NULL);
                golden_make_input(h, w, image);
                input_h = h;
                input_w = w;
            }
            const float v = image[((size_t) c * h + y) * w + x];
            ck_assert_msg(float_bits(v) == bits, "input %dx%d (%d,%d,%d): C %08x, Python %08x", h,
                          w, c, y, x, float_bits(v), bits);
            ck_assert(float_bits(golden_input_value(c, y, x)) == bits);
            pixels++;
        } else {
            ck_abort_msg("%s: malformed line \"%s\"", path, line);
        }
    }
    fclose(f);
    free(values);
    free(image);
    /* The table covers every kind of both a small and the largest config. */
    ck_assert_int_ge(hashes, 150);
    ck_assert_int_ge(weights, 400);
    ck_assert_int_ge(trained, 90); /* layer scales, BN weights, massive pwconv2 biases */
    ck_assert_int_ge(pixels, 80);
}
END_TEST

START_TEST(test_uniform_is_exact_and_in_range)
{
    const uint64_t h = upernet_synthetic_key_hash("any.weight");
    double sum = 0.0;
    float lo = 1.0f, hi = -1.0f;
    enum { N = 100000 };
    for (uint64_t i = 0; i < N; i++) {
        const float u = upernet_synthetic_uniform(h, i);
        ck_assert(u >= -1.0f && u < 1.0f);
        const float scaled = u * 8388608.0f;
        ck_assert(scaled == floorf(scaled)); /* a multiple of 2^-23 */
        sum += u;
        lo = fminf(lo, u);
        hi = fmaxf(hi, u);
    }
    ck_assert(fabs(sum / N) < 0.01);
    ck_assert(lo < -0.999f && hi > 0.999f);
    /* FNV-1a 64 of "" and "a" (published test vectors). */
    ck_assert(upernet_synthetic_key_hash("") == UINT64_C(0xcbf29ce484222325));
    ck_assert(upernet_synthetic_key_hash("a") == UINT64_C(0xaf63dc4c8601ec8c));
}
END_TEST

static void recipe_range_of(enum upernet_synthetic_recipe recipe, const char *key,
                            const size_t *shape, size_t ndim, float *lo, float *hi)
{
    size_t n = 1;
    for (size_t d = 0; d < ndim; d++)
        n *= shape[d];
    float *v = malloc(n * sizeof *v);
    ck_assert(v != NULL);
    upernet_synthetic_fill_recipe(recipe, key, shape, ndim, v);
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        *lo = fminf(*lo, v[i]);
        *hi = fmaxf(*hi, v[i]);
    }
    free(v);
}

static void range_of(const char *key, const size_t *shape, size_t ndim, float *lo, float *hi)
{
    recipe_range_of(UPERNET_SYNTHETIC_DEFAULT, key, shape, ndim, lo, hi);
}

/* The documented ranges of SYNTHETIC.md. */
START_TEST(test_kinds_have_documented_ranges)
{
    const size_t c768[] = {768}, conv[] = {512, 2048, 3, 3}, lin[] = {3072, 768};
    float lo, hi;
    range_of("backbone.encoder.stages.3.layers.0.layer_scale_parameter", c768, 1, &lo, &hi);
    ck_assert(lo >= 0.1f && hi <= 1.0f && hi - lo > 0.8f);
    range_of("decode_head.fpn_convs.0.batch_norm.running_var", c768, 1, &lo, &hi);
    ck_assert(lo >= 0.5f && hi <= 1.5f && hi - lo > 0.9f);
    range_of("decode_head.fpn_convs.0.batch_norm.running_mean", c768, 1, &lo, &hi);
    ck_assert(lo >= -0.2f && hi <= 0.2f && hi - lo > 0.3f);
    range_of("decode_head.fpn_convs.0.batch_norm.weight", c768, 1, &lo, &hi);
    ck_assert(lo >= 0.8f && hi <= 1.2f && hi - lo > 0.3f);
    range_of("backbone.encoder.stages.3.layers.0.layernorm.weight", c768, 1, &lo, &hi);
    ck_assert(lo >= 0.8f && hi <= 1.2f);
    range_of("backbone.encoder.stages.3.layers.0.layernorm.bias", c768, 1, &lo, &hi);
    ck_assert(lo >= -0.1f && hi <= 0.1f && hi - lo > 0.15f);
    range_of("decode_head.fpn_bottleneck.conv.weight", conv, 4, &lo, &hi);
    const float bound = (float) (1.4 * sqrt(3.0 / (2048 * 9)));
    ck_assert(lo >= -bound && hi <= bound && hi > 0.99f * bound);
    range_of("backbone.encoder.stages.3.layers.0.pwconv2.weight", lin, 2, &lo, &hi);
    ck_assert(hi <= (float) sqrt(3.0 / 768) && hi > 0.99f * (float) sqrt(3.0 / 768));

    /* Recipe "trained": layer scales in [0.5, 3), BN weights in [1.2, 1.8),
     * exactly two pwconv2 bias channels in [20, 80), everything else as the
     * default recipe. */
    size_t n768 = 768;
    float v[768];
    recipe_range_of(UPERNET_SYNTHETIC_TRAINED,
                    "backbone.encoder.stages.3.layers.0.layer_scale_parameter", c768, 1, &lo, &hi);
    ck_assert(lo >= 0.5f && hi < 3.0f && hi - lo > 2.4f);
    recipe_range_of(UPERNET_SYNTHETIC_TRAINED, "decode_head.fpn_convs.0.batch_norm.weight", c768,
                    1, &lo, &hi);
    ck_assert(lo >= 1.2f && hi < 1.8f && hi - lo > 0.5f);
    upernet_synthetic_fill_recipe(UPERNET_SYNTHETIC_TRAINED,
                                  "backbone.encoder.stages.3.layers.0.pwconv2.bias", &n768, 1, v);
    int massive = 0;
    for (size_t i = 0; i < 768; i++) {
        if (v[i] >= 20.0f && v[i] < 80.0f)
            massive++;
        else
            ck_assert(fabsf(v[i]) <= 0.1f);
    }
    ck_assert_int_eq(massive, 2);
    float same[768];
    upernet_synthetic_fill_recipe(UPERNET_SYNTHETIC_TRAINED,
                                  "backbone.encoder.stages.3.layers.0.layernorm.bias", &n768, 1, v);
    upernet_synthetic_fill("backbone.encoder.stages.3.layers.0.layernorm.bias", &n768, 1, same);
    ck_assert(memcmp(v, same, sizeof v) == 0);

    const size_t scalar_shape[1] = {0};
    float zero = 1.0f;
    upernet_synthetic_fill("decode_head.fpn_convs.0.batch_norm.num_batches_tracked", scalar_shape,
                           0, &zero);
    ck_assert(zero == 0.0f);
}
END_TEST

/* Every committed golden file and what its config implies. */
static const char *const golden_files[] = {
    "tiny-75x103.json.z",         "small-75x103.json.z",        "base-75x103.json.z",
    "large-75x103.json.z",        "xlarge-75x103.json.z",       "tiny-512x512.json.z",
    "tiny-32x32.json.z",          "tiny-96x64.json.z",          "tiny-130x47.json.z",
    "small-config-75x103.json.z", "small-config-33x61.json.z",
    "tester-config-32x32.json.z", "tester-config-75x103.json.z",
    "one-level-config-160x224.json.z", "two-level-config-75x103.json.z",
    "no-layer-scale-config-75x103.json.z",
};
#define NUM_GOLDEN_FILES (int) (sizeof golden_files / sizeof golden_files[0])

START_TEST(test_golden_file_well_formed)
{
    struct golden g;
    char err[512];
    const char *file = golden_files[_i];
    ck_assert_msg(golden_load_named(file, &g, err, sizeof err) == 0, "%s", err);

    char expected[64];
    snprintf(expected, sizeof expected, "%s-%dx%d.json.z", g.model, g.height, g.width);
    ck_assert_str_eq(expected, file);
    ck_assert_str_eq(g.input_formula, "tri-hash-v1");
    ck_assert(strstr(g.versions, "torch") != NULL);

    /* Backbone shapes of the levels present (the config's out_features):
     * stem and stage1 floor(H/4), then halved (floor) per stage. The finest
     * level sets the head's size. */
    static const char *const level_names[] = {"stem", "stage1", "stage2", "stage3", "stage4"};
    int h = g.height / 4, w = g.width / 4, levels = 0, head_h = 0, head_w = 0;
    for (int k = 0; k < 5; k++) {
        if (k > 1) {
            h /= 2;
            w /= 2;
        }
        const struct golden_tensor *t = golden_tensor(&g, level_names[k]);
        if (t == NULL)
            continue;
        if (levels++ == 0)
            head_h = h, head_w = w;
        ck_assert_int_eq(t->channels, g.hidden_sizes[k == 0 ? 0 : k - 1]);
        ck_assert_int_eq(t->height, h);
        ck_assert_int_eq(t->width, w);
        /* After a LayerNorm with weight 1 +- 0.2: roughly standardised. */
        ck_assert(fabs(t->stats.mean) < 0.2 && t->stats.std > 0.5 && t->stats.std < 2.0);
        ck_assert_int_ge(t->num_samples, 50);
    }
    ck_assert_msg(levels >= 1, "%s: no backbone feature map", file);
    /* the five Hub-shaped goldens and small-config have all four stages */
    if (strstr(g.model, "-config") == NULL || strcmp(g.model, "small-config") == 0)
        ck_assert_int_eq(levels, 4);
    const struct golden_tensor *fpn = golden_tensor(&g, "fpn_bottleneck");
    const struct golden_tensor *cls = golden_tensor(&g, "classifier");
    ck_assert(fpn != NULL && cls != NULL);
    ck_assert_int_eq(fpn->channels, g.head_hidden_size);
    ck_assert_int_eq(cls->channels, g.num_labels);
    ck_assert_int_eq(cls->height, head_h);
    ck_assert_int_eq(cls->width, head_w);
    ck_assert(fpn->stats.min >= 0.0); /* after ReLU */

    /* Corners first: the first sample is logits[0,0,0,0] = slice[0][0]. */
    ck_assert_int_ge(g.num_logits_samples, 300);
    ck_assert(g.logits_samples[0].c == 0 && g.logits_samples[0].y == 0 &&
              g.logits_samples[0].x == 0);
    ck_assert(g.logits_samples[0].value == g.logits_slice[0][0]);
    /* Logits are O(1..10) and not degenerate. */
    ck_assert(g.logits_stats.max < 50.0 && g.logits_stats.min > -50.0);
    ck_assert(g.logits_stats.std > 0.3);
    int present[256] = {0}, classes = 0;
    for (size_t i = 0; i < (size_t) g.height * g.width; i++)
        if (!present[g.argmax[i]]++)
            classes++;
    ck_assert_int_ge(classes, g.num_labels >= 150 ? 5 : 2);
    /* The 4x upsample maps outputs 0 and 1 to the same source column/row
     * (clamped), so the slice's first two columns agree. */
    ck_assert(g.logits_slice[0][0] == g.logits_slice[0][1]);
    ck_assert(g.logits_slice[0][0] == g.logits_slice[1][0]);
    golden_free(&g);
}
END_TEST

START_TEST(test_golden_load_errors)
{
    struct golden g;
    char err[512];
    ck_assert_int_eq(golden_load_named("no-such-file.json.z", &g, err, sizeof err), -1);
    ck_assert(strstr(err, "no-such-file.json.z") != NULL);
    golden_free(&g);
    /* A file that is not zlib data. */
    ck_assert_int_eq(golden_load_named("synthetic-table.tsv", &g, err, sizeof err), -1);
    ck_assert(strstr(err, "zlib") != NULL);
    golden_free(&g);
}
END_TEST

/* The comparison helpers the model tests use, on both layouts. */
START_TEST(test_compare_helpers)
{
    struct golden g;
    char err[512];
    ck_assert_msg(golden_load_named("small-config-33x61.json.z", &g, err, sizeof err) == 0, "%s",
                  err);
    const int C = g.num_labels, H = g.height, W = g.width;
    float *logits = calloc((size_t) C * H * W, sizeof *logits);
    ck_assert(logits != NULL);
    for (int nhwc = 0; nhwc <= 1; nhwc++) {
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                for (int c = 0; c < C; c++) {
                    const size_t i = nhwc ? ((size_t) y * W + x) * C + c
                                          : ((size_t) c * H + y) * W + x;
                    logits[i] = c == g.argmax[(size_t) y * W + x] ? 1.0f : 0.0f;
                }
        ck_assert(golden_argmax_agreement(&g, logits, nhwc) == 1.0);
        /* Make class C-1 win at pixel (0,0) unless it already does. */
        const size_t i = nhwc ? (size_t) C - 1 : (size_t) (C - 1) * H * W;
        logits[i] = g.argmax[0] == C - 1 ? -1.0f : 2.0f;
        ck_assert(fabs(golden_argmax_agreement(&g, logits, nhwc) - (H * W - 1.0) / (H * W)) <
                  1e-12);
    }
    free(logits);

    const struct golden_tensor *t = golden_tensor(&g, "stage1");
    ck_assert(t != NULL);
    const size_t n = (size_t) t->channels * t->height * t->width;
    float *nhwc = calloc(n, sizeof *nhwc);
    ck_assert(nhwc != NULL);
    for (size_t i = 0; i < t->num_samples; i++) {
        const struct golden_sample *s = &t->samples[i];
        nhwc[((size_t) s->y * t->width + s->x) * t->channels + s->c] = s->value;
    }
    size_t worst = 99;
    ck_assert(golden_max_sample_error(t->samples, t->num_samples, nhwc, t->channels, t->height,
                                      t->width, 1, &worst) == 0.0);
    const struct golden_sample *last = &t->samples[t->num_samples - 1];
    nhwc[((size_t) last->y * t->width + last->x) * t->channels + last->c] += 0.5f;
    const double e = golden_max_sample_error(t->samples, t->num_samples, nhwc, t->channels,
                                             t->height, t->width, 1, &worst);
    ck_assert(fabs(e - 0.5) < 1e-5);
    ck_assert(t->samples[worst].c == last->c && t->samples[worst].y == last->y &&
              t->samples[worst].x == last->x);
    free(nhwc);
    golden_free(&g);

    const float x[4] = {1.0f, 2.0f, 3.0f, 4.0f};
    const struct golden_stats st = golden_stats_of(x, 4);
    ck_assert(st.mean == 2.5 && st.min == 1.0 && st.max == 4.0 && fabs(st.std - sqrt(1.25)) < 1e-15);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("synthetic");
    TCase *tc = tcase_create("synthetic");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_table_matches_python);
    tcase_add_test(tc, test_uniform_is_exact_and_in_range);
    tcase_add_test(tc, test_kinds_have_documented_ranges);
    suite_add_tcase(s, tc);
    TCase *files = tcase_create("golden files");
    tcase_set_timeout(files, 60);
    tcase_add_loop_test(files, test_golden_file_well_formed, 0, NUM_GOLDEN_FILES);
    tcase_add_test(files, test_golden_load_errors);
    tcase_add_test(files, test_compare_helpers);
    suite_add_tcase(s, files);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    const int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
