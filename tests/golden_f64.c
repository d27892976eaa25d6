/* Loader of the float64 goldens (see golden_f64.h). */
#include "config.h"

#include "tests/golden_f64.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/golden.h"
#include "tests/golden_json.h"

/* shape [1, C, H, W], errors, samples [[c, y, x, f64, f32], ...]. */
static void read_tensor(struct parse *p, json_t *obj, const char *name,
                        struct golden_f64_tensor *t)
{
    snprintf(t->name, sizeof t->name, "%s", name);
    json_t *shape = member(p, obj, "shape");
    if (p->failed)
        return;
    if (!json_is_array(shape) || json_array_size(shape) != 4 ||
        json_integer_value(json_array_get(shape, 0)) != 1) {
        parse_error(p, "tensor \"%s\": shape is not [1, C, H, W]", name);
        return;
    }
    t->channels = (int) json_integer_value(json_array_get(shape, 1));
    t->height = (int) json_integer_value(json_array_get(shape, 2));
    t->width = (int) json_integer_value(json_array_get(shape, 3));
    if (t->channels < 1 || t->height < 1 || t->width < 1) {
        parse_error(p, "tensor \"%s\": empty shape", name);
        return;
    }
    t->max_abs = number(p, obj, "max_abs");
    t->pytorch_max_error = number(p, obj, "pytorch_f32_max_error");
    t->pytorch_max_error_samples = number(p, obj, "pytorch_f32_max_error_samples");
    json_t *samples = member(p, obj, "samples");
    if (p->failed)
        return;
    if (!json_is_array(samples) || json_array_size(samples) == 0) {
        parse_error(p, "tensor \"%s\": samples is not a non-empty array", name);
        return;
    }
    t->num_samples = json_array_size(samples);
    t->samples = calloc(t->num_samples, sizeof *t->samples);
    if (t->samples == NULL) {
        parse_error(p, "tensor \"%s\": out of memory", name);
        return;
    }
    for (size_t i = 0; i < t->num_samples; i++) {
        json_t *e = json_array_get(samples, i);
        struct golden_f64_sample *s = &t->samples[i];
        if (!json_is_array(e) || json_array_size(e) != 5 ||
            !json_is_integer(json_array_get(e, 0)) || !json_is_integer(json_array_get(e, 1)) ||
            !json_is_integer(json_array_get(e, 2)) || !json_is_number(json_array_get(e, 3)) ||
            !json_is_number(json_array_get(e, 4))) {
            parse_error(p, "tensor \"%s\": malformed sample", name);
            return;
        }
        s->c = (int) json_integer_value(json_array_get(e, 0));
        s->y = (int) json_integer_value(json_array_get(e, 1));
        s->x = (int) json_integer_value(json_array_get(e, 2));
        s->value = json_number_value(json_array_get(e, 3));
        s->pytorch = (float) json_number_value(json_array_get(e, 4));
        if (s->c < 0 || s->c >= t->channels || s->y < 0 || s->y >= t->height || s->x < 0 ||
            s->x >= t->width) {
            parse_error(p, "tensor \"%s\": sample index out of range", name);
            return;
        }
    }
}

static int load(const char *path, struct golden_f64 *g, char *err, size_t err_size)
{
    memset(g, 0, sizeof *g);
    json_t *root = golden_load_json_z(path, err, err_size);
    if (root == NULL)
        return -1;
    struct parse p = {path, err, err_size, 0};
    char format[32], torch[32], transformers[32];
    string(&p, root, "format", format, sizeof format);
    if (!p.failed && strcmp(format, "upernet-golden-f64-1") != 0)
        parse_error(&p, "unknown format \"%s\"", format);
    json_t *config = member(&p, root, "config");
    string(&p, config, "name", g->model, sizeof g->model);
    g->num_labels = (int) number(&p, config, "num_labels");
    string(&p, root, "recipe", g->recipe, sizeof g->recipe);
    json_t *input = member(&p, root, "input");
    g->height = (int) number(&p, input, "height");
    g->width = (int) number(&p, input, "width");
    char formula[32];
    string(&p, input, "formula", formula, sizeof formula);
    if (!p.failed && strcmp(formula, "tri-hash-v1") != 0)
        parse_error(&p, "unknown input formula \"%s\"", formula);
    json_t *versions = member(&p, root, "versions");
    string(&p, versions, "torch", torch, sizeof torch);
    string(&p, versions, "transformers", transformers, sizeof transformers);
    snprintf(g->versions, sizeof g->versions, "torch %s transformers %s", torch, transformers);
    if (!p.failed)
        read_tensor(&p, member(&p, root, "logits"), "logits", &g->logits);
    if (!p.failed && (g->logits.channels != g->num_labels || g->logits.height != g->height ||
                      g->logits.width != g->width))
        parse_error(&p, "logits shape does not match the config and input%s", "");
    json_t *tensors = p.failed ? NULL : member(&p, root, "tensors");
    if (!p.failed && (!json_is_object(tensors) || json_object_size(tensors) > GOLDEN_F64_MAX_TENSORS))
        parse_error(&p, "tensors is not an object of at most 16 entries%s", "");
    const char *name;
    json_t *t;
    if (!p.failed)
        json_object_foreach(tensors, name, t) {
            if (p.failed)
                break;
            read_tensor(&p, t, name, &g->tensors[g->num_tensors++]);
        }
    json_decref(root);
    return p.failed ? -1 : 0;
}

int golden_f64_load_named(const char *file, struct golden_f64 *g, char *err, size_t err_size)
{
    char path[4096];
    return load(golden_path(file, path, sizeof path), g, err, err_size);
}

void golden_f64_free(struct golden_f64 *g)
{
    free(g->logits.samples);
    for (size_t i = 0; i < g->num_tensors; i++)
        free(g->tensors[i].samples);
    memset(g, 0, sizeof *g);
}

const struct golden_f64_tensor *golden_f64_tensor(const struct golden_f64 *g, const char *name)
{
    for (size_t i = 0; i < g->num_tensors; i++)
        if (strcmp(g->tensors[i].name, name) == 0)
            return &g->tensors[i];
    return NULL;
}

double golden_f64_max_error(const struct golden_f64_tensor *t, const float *got, int nhwc)
{
    double max = 0.0;
    for (size_t i = 0; i < t->num_samples; i++) {
        const struct golden_f64_sample *s = &t->samples[i];
        const size_t at = nhwc ? ((size_t) s->y * t->width + s->x) * t->channels + s->c
                               : ((size_t) s->c * t->height + s->y) * t->width + s->x;
        double d = fabs((double) got[at] - s->value);
        if (isnan(d))
            d = INFINITY;
        if (d > max)
            max = d;
    }
    return max;
}
