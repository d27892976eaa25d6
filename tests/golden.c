/* Golden file loader and the deterministic test input (see golden.h). */
#include "config.h"

#include "tests/golden.h"
#include "tests/golden_json.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "model/synthetic.h"
#include "tests/testutil.h"

/* ---- input formula "tri-hash-v1" (tools/synthetic.py synthetic_input) ---- */

static float input_value(uint64_t noise_key, int c, int y, int x)
{
    const int t1 = abs((3 * x + 2 * y + 40 * c) % 128 - 64) - 32;
    const int t2 = abs((x + 95 * y + 32 * c) % 96 - 48) - 24;
    const uint64_t index = ((uint64_t) c << 40) | ((uint64_t) y << 20) | (uint64_t) x;
    const float u = upernet_synthetic_uniform(noise_key, index);
    /* Both terms are short dyadic fractions: the double sum is exact, so the
     * only rounding is the final one to float32, as in numpy. */
    return (float) ((double) (t1 + t2) / 32.0 + (double) u * 0.25);
}

float golden_input_value(int c, int y, int x)
{
    return input_value(upernet_synthetic_key_hash("input"), c, y, x);
}

void golden_make_input(int height, int width, float *nchw)
{
    const uint64_t noise_key = upernet_synthetic_key_hash("input");
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                nchw[((size_t) c * height + y) * width + x] = input_value(noise_key, c, y, x);
}

/* ---- loading ---- */

static int fail(char *err, size_t err_size, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t err_size, const char *path, const char *fmt, ...)
{
    if (err != NULL && err_size > 0) {
        int n = snprintf(err, err_size, "%s: ", path);
        if (n < 0 || (size_t) n >= err_size)
            n = 0;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, err_size - (size_t) n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static unsigned char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    while (buf != NULL) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        unsigned char *bigger = realloc(buf, cap *= 2);
        if (bigger == NULL)
            free(buf);
        buf = bigger;
    }
    if (buf != NULL && ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = n;
    return buf;
}

/* Inflates a whole zlib stream; NULL if it is not one. */
static unsigned char *inflate_all(const unsigned char *src, size_t src_size, size_t *out_size)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK)
        return NULL;
    size_t cap = src_size * 4 + 1024, n = 0;
    unsigned char *out = malloc(cap);
    z.next_in = (unsigned char *) src;
    z.avail_in = (uInt) src_size;
    int rc = Z_OK;
    while (out != NULL && rc == Z_OK) {
        if (n == cap) {
            unsigned char *bigger = realloc(out, cap *= 2);
            if (bigger == NULL) {
                free(out);
                out = NULL;
                break;
            }
            out = bigger;
        }
        z.next_out = out + n;
        z.avail_out = (uInt) (cap - n);
        rc = inflate(&z, Z_NO_FLUSH);
        n = cap - z.avail_out;
        if (rc == Z_BUF_ERROR && z.avail_in == 0)
            break; /* truncated input */
        if (rc == Z_BUF_ERROR)
            rc = Z_OK; /* output full: grow and go on */
    }
    inflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    *out_size = n;
    return out;
}

static int base64_value(int ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return -1;
}

/* Decodes padded base64; NULL on a malformed string. */
static unsigned char *base64_decode(const char *s, size_t *out_size)
{
    const size_t len = strlen(s);
    if (len % 4 != 0)
        return NULL;
    unsigned char *out = malloc(len / 4 * 3 + 1);
    size_t n = 0;
    for (size_t i = 0; out != NULL && i < len; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            if (s[i + k] == '=' && i + 4 == len && k >= 2) {
                v[k] = 0;
                pad++;
            } else if (pad > 0 || (v[k] = base64_value((unsigned char) s[i + k])) < 0) {
                free(out);
                return NULL;
            }
        }
        const unsigned bits = (unsigned) v[0] << 18 | (unsigned) v[1] << 12 | (unsigned) v[2] << 6 |
                              (unsigned) v[3];
        out[n++] = (unsigned char) (bits >> 16);
        if (pad < 2)
            out[n++] = (unsigned char) (bits >> 8);
        if (pad < 1)
            out[n++] = (unsigned char) bits;
    }
    *out_size = n;
    return out;
}

void parse_error(struct parse *p, const char *fmt, const char *what)
{
    if (!p->failed)
        fail(p->err, p->err_size, p->path, fmt, what);
    p->failed = 1;
}

json_t *member(struct parse *p, json_t *obj, const char *name)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, name) : NULL;
    if (v == NULL)
        parse_error(p, "missing member \"%s\"", name);
    return v;
}

double number(struct parse *p, json_t *obj, const char *name)
{
    json_t *v = member(p, obj, name);
    if (v != NULL && !json_is_number(v))
        parse_error(p, "member \"%s\" is not a number", name);
    return v != NULL ? json_number_value(v) : 0.0;
}

int integer(struct parse *p, json_t *obj, const char *name)
{
    json_t *v = member(p, obj, name);
    if (v != NULL && !json_is_integer(v))
        parse_error(p, "member \"%s\" is not an integer", name);
    return v != NULL ? (int) json_integer_value(v) : 0;
}

void string(struct parse *p, json_t *obj, const char *name, char *dst, size_t dst_size)
{
    json_t *v = member(p, obj, name);
    if (v != NULL && !json_is_string(v))
        parse_error(p, "member \"%s\" is not a string", name);
    snprintf(dst, dst_size, "%s", v != NULL && json_is_string(v) ? json_string_value(v) : "");
}

/* Reads an integer array of exactly n entries. */
static void int_array(struct parse *p, json_t *obj, const char *name, int *dst, size_t n)
{
    json_t *v = member(p, obj, name);
    if (v == NULL)
        return;
    if (!json_is_array(v) || json_array_size(v) != n) {
        parse_error(p, "member \"%s\" has the wrong length", name);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_integer(e))
            parse_error(p, "member \"%s\" holds a non-integer", name);
        dst[i] = (int) json_integer_value(e);
    }
}

static void read_stats(struct parse *p, json_t *obj, struct golden_stats *s)
{
    s->mean = number(p, obj, "mean");
    s->std = number(p, obj, "std");
    s->min = number(p, obj, "min");
    s->max = number(p, obj, "max");
    if (!p->failed && !(s->min <= s->mean && s->mean <= s->max && s->std >= 0.0))
        parse_error(p, "inconsistent statistics%s", "");
}

/* [[c, y, x, value], ...] with every index inside (channels, height, width). */
static struct golden_sample *read_samples(struct parse *p, json_t *obj, const char *name,
                                          int channels, int height, int width, size_t *count)
{
    json_t *v = member(p, obj, name);
    *count = 0;
    if (v == NULL)
        return NULL;
    if (!json_is_array(v) || json_array_size(v) == 0) {
        parse_error(p, "member \"%s\" is not a non-empty array", name);
        return NULL;
    }
    const size_t n = json_array_size(v);
    struct golden_sample *s = calloc(n, sizeof *s);
    if (s == NULL) {
        parse_error(p, "out of memory reading \"%s\"", name);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_array(e) || json_array_size(e) != 4 ||
            !json_is_integer(json_array_get(e, 0)) || !json_is_integer(json_array_get(e, 1)) ||
            !json_is_integer(json_array_get(e, 2)) || !json_is_number(json_array_get(e, 3))) {
            parse_error(p, "malformed sample in \"%s\"", name);
            break;
        }
        s[i].c = (int) json_integer_value(json_array_get(e, 0));
        s[i].y = (int) json_integer_value(json_array_get(e, 1));
        s[i].x = (int) json_integer_value(json_array_get(e, 2));
        s[i].value = (float) json_number_value(json_array_get(e, 3));
        if (s[i].c < 0 || s[i].c >= channels || s[i].y < 0 || s[i].y >= height || s[i].x < 0 ||
            s[i].x >= width) {
            parse_error(p, "sample index out of range in \"%s\"", name);
            break;
        }
    }
    *count = n;
    return s;
}

static void read_config(struct parse *p, json_t *root, struct golden *g)
{
    json_t *cfg = member(p, root, "config");
    string(p, cfg, "name", g->model, sizeof g->model);
    int_array(p, cfg, "depths", g->depths, 4);
    int_array(p, cfg, "hidden_sizes", g->hidden_sizes, 4);
    int_array(p, cfg, "pool_scales", g->pool_scales, 4);
    g->head_hidden_size = integer(p, cfg, "hidden_size");
    g->num_labels = integer(p, cfg, "num_labels");
    g->auxiliary_in_channels = integer(p, cfg, "auxiliary_in_channels");
    g->auxiliary_channels = integer(p, cfg, "auxiliary_channels");
    if (!p->failed && (g->num_labels < 1 || g->num_labels > 256))
        parse_error(p, "num_labels out of range%s", "");
}

static void read_versions(struct parse *p, json_t *root, struct golden *g)
{
    json_t *v = member(p, root, "versions");
    char torch[32], transformers[32], numpy[32], python[32];
    string(p, v, "torch", torch, sizeof torch);
    string(p, v, "transformers", transformers, sizeof transformers);
    string(p, v, "numpy", numpy, sizeof numpy);
    string(p, v, "python", python, sizeof python);
    snprintf(g->versions, sizeof g->versions, "torch %s transformers %s numpy %s python %s", torch,
             transformers, numpy, python);
}

static void read_logits(struct parse *p, json_t *root, struct golden *g)
{
    int shape[4] = {0};
    int_array(p, root, "logits_shape", shape, 4);
    if (!p->failed && (shape[0] != 1 || shape[1] != g->num_labels || shape[2] != g->height ||
                       shape[3] != g->width))
        parse_error(p, "logits_shape does not match the config and input%s", "");
    json_t *slice = member(p, root, "logits_slice");
    for (int r = 0; !p->failed && r < 3; r++) {
        json_t *row = json_array_get(slice, (size_t) r);
        if (!json_is_array(row) || json_array_size(row) != 3) {
            parse_error(p, "logits_slice is not 3x3%s", "");
            break;
        }
        for (int c = 0; c < 3; c++) {
            json_t *e = json_array_get(row, (size_t) c);
            if (!json_is_number(e))
                parse_error(p, "logits_slice holds a non-number%s", "");
            g->logits_slice[r][c] = (float) json_number_value(e);
        }
    }
    read_stats(p, member(p, root, "logits_stats"), &g->logits_stats);
    if (!p->failed)
        g->logits_samples = read_samples(p, root, "logits_samples", g->num_labels, g->height,
                                         g->width, &g->num_logits_samples);
}

static void read_argmax(struct parse *p, json_t *root, struct golden *g)
{
    json_t *a = member(p, root, "argmax");
    json_t *data = member(p, a, "data");
    if (p->failed)
        return;
    if (!json_is_string(data)) {
        parse_error(p, "argmax.data is not a string%s", "");
        return;
    }
    size_t packed_size = 0, size = 0;
    unsigned char *packed = base64_decode(json_string_value(data), &packed_size);
    unsigned char *map = packed != NULL ? inflate_all(packed, packed_size, &size) : NULL;
    free(packed);
    if (map == NULL || size != (size_t) g->height * (size_t) g->width) {
        free(map);
        parse_error(p, "argmax.data is not base64(zlib(uint8[H][W]))%s", "");
        return;
    }
    for (size_t i = 0; i < size; i++) {
        if (map[i] >= g->num_labels) {
            free(map);
            parse_error(p, "argmax class out of range%s", "");
            return;
        }
    }
    g->argmax = map;
}

static void read_tensors(struct parse *p, json_t *root, struct golden *g)
{
    json_t *tensors = member(p, root, "tensors");
    if (p->failed)
        return;
    if (!json_is_object(tensors) || json_object_size(tensors) > GOLDEN_MAX_TENSORS) {
        parse_error(p, "tensors is not an object of at most 8 entries%s", "");
        return;
    }
    const char *name;
    json_t *t;
    json_object_foreach(tensors, name, t) {
        struct golden_tensor *dst = &g->tensors[g->num_tensors++];
        snprintf(dst->name, sizeof dst->name, "%s", name);
        int shape[4] = {0};
        int_array(p, t, "shape", shape, 4);
        dst->channels = shape[1];
        dst->height = shape[2];
        dst->width = shape[3];
        if (!p->failed && (shape[0] != 1 || shape[1] < 1 || shape[2] < 1 || shape[3] < 1))
            parse_error(p, "bad shape of tensor \"%s\"", name);
        read_stats(p, t, &dst->stats);
        if (p->failed)
            return;
        dst->samples = read_samples(p, t, "samples", dst->channels, dst->height, dst->width,
                                    &dst->num_samples);
    }
}

json_t *golden_load_json_z(const char *path, char *err, size_t err_size)
{
    size_t packed_size = 0, text_size = 0;
    unsigned char *packed = read_file(path, &packed_size);
    if (packed == NULL) {
        fail(err, err_size, path, "cannot read the file");
        return NULL;
    }
    unsigned char *text = inflate_all(packed, packed_size, &text_size);
    free(packed);
    if (text == NULL) {
        fail(err, err_size, path, "not a zlib stream");
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loadb((const char *) text, text_size, 0, &jerr);
    free(text);
    if (root == NULL)
        fail(err, err_size, path, "JSON error at line %d: %s", jerr.line, jerr.text);
    return root;
}

unsigned char *golden_unpack_base64_zlib(const char *text, size_t *size)
{
    size_t packed_size = 0;
    unsigned char *packed = base64_decode(text, &packed_size);
    if (packed == NULL)
        return NULL;
    unsigned char *out = inflate_all(packed, packed_size, size);
    free(packed);
    return out;
}

int golden_load(const char *path, struct golden *g, char *err, size_t err_size)
{
    memset(g, 0, sizeof *g);
    json_t *root = golden_load_json_z(path, err, err_size);
    if (root == NULL)
        return -1;

    struct parse p = {path, err, err_size, 0};
    char format[32];
    string(&p, root, "format", format, sizeof format);
    if (!p.failed && strcmp(format, "upernet-golden-1") != 0)
        parse_error(&p, "unknown format \"%s\"", format);
    read_config(&p, root, g);
    json_t *input = member(&p, root, "input");
    g->height = integer(&p, input, "height");
    g->width = integer(&p, input, "width");
    string(&p, input, "formula", g->input_formula, sizeof g->input_formula);
    if (!p.failed && (g->height < 1 || g->width < 1 || g->height > 8192 || g->width > 8192))
        parse_error(&p, "input size out of range%s", "");
    if (!p.failed && strcmp(g->input_formula, "tri-hash-v1") != 0)
        parse_error(&p, "unknown input formula \"%s\"", g->input_formula);
    read_versions(&p, root, g);
    if (!p.failed)
        read_logits(&p, root, g);
    if (!p.failed)
        read_argmax(&p, root, g);
    if (!p.failed)
        read_tensors(&p, root, g);
    json_decref(root);
    return p.failed ? -1 : 0;
}

char *golden_path(const char *file, char *buf, size_t buf_size)
{
    snprintf(buf, buf_size, "%s/golden/%s", test_data_dir(), file);
    return buf;
}

int golden_load_named(const char *file, struct golden *g, char *err, size_t err_size)
{
    char path[4096];
    return golden_load(golden_path(file, path, sizeof path), g, err, err_size);
}

void golden_free(struct golden *g)
{
    free(g->logits_samples);
    free(g->argmax);
    for (size_t i = 0; i < g->num_tensors; i++)
        free(g->tensors[i].samples);
    memset(g, 0, sizeof *g);
}

const struct golden_tensor *golden_tensor(const struct golden *g, const char *name)
{
    for (size_t i = 0; i < g->num_tensors; i++)
        if (strcmp(g->tensors[i].name, name) == 0)
            return &g->tensors[i];
    return NULL;
}

/* ---- comparing ---- */

static size_t element_index(int c, int y, int x, int channels, int height, int width, int nhwc)
{
    return nhwc ? ((size_t) y * width + x) * channels + c
                : ((size_t) c * height + y) * width + x;
}

double golden_max_sample_error(const struct golden_sample *samples, size_t n, const float *got,
                               int channels, int height, int width, int nhwc, size_t *worst)
{
    double max = 0.0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        const struct golden_sample *s = &samples[i];
        const float v = got[element_index(s->c, s->y, s->x, channels, height, width, nhwc)];
        double d = fabs((double) v - (double) s->value);
        if (isnan(d))
            d = INFINITY;
        if (d > max) {
            max = d;
            at = i;
        }
    }
    if (worst != NULL)
        *worst = at;
    return max;
}

struct golden_stats golden_stats_of(const float *x, size_t n)
{
    struct golden_stats s = {0.0, 0.0, INFINITY, -INFINITY};
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        sum += x[i];
        s.min = fmin(s.min, x[i]);
        s.max = fmax(s.max, x[i]);
    }
    s.mean = n > 0 ? sum / (double) n : 0.0;
    double sq = 0.0;
    for (size_t i = 0; i < n; i++)
        sq += ((double) x[i] - s.mean) * ((double) x[i] - s.mean);
    s.std = n > 0 ? sqrt(sq / (double) n) : 0.0;
    return s;
}

double golden_argmax_agreement(const struct golden *g, const float *logits, int nhwc)
{
    const int C = g->num_labels, H = g->height, W = g->width;
    size_t agree = 0;
    for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++) {
            int best = 0;
            float best_value = logits[element_index(0, y, x, C, H, W, nhwc)];
            for (int c = 1; c < C; c++) {
                const float v = logits[element_index(c, y, x, C, H, W, nhwc)];
                if (v > best_value) {
                    best_value = v;
                    best = c;
                }
            }
            agree += best == g->argmax[(size_t) y * W + x];
        }
    }
    return (double) agree / ((double) H * (double) W);
}
