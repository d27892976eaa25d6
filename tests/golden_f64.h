/* Float64 goldens written by tools/make_goldens.py (format
 * "upernet-golden-f64-1"): transformers' model with the trained-like
 * synthetic weights (tools/SYNTHETIC.md) run in float64 and in float32, on
 * the input golden_make_input rebuilds. For the logits and every tapped
 * layer (names: src/model/model.h) they hold hash-chosen samples with the
 * float64 value and PyTorch float32's value there, and PyTorch float32's
 * largest error against float64. Files:
 * $UPERNET_DATA_DIR/golden/<model>-<recipe>-<H>x<W>.f64.json.z. Indices are
 * NCHW of batch 0, as in golden.h. */
#ifndef UPERNET_TESTS_GOLDEN_F64_H
#define UPERNET_TESTS_GOLDEN_F64_H

#include <stddef.h>

struct golden_f64_sample {
    int c, y, x;
    double value;  /* the float64 model's */
    float pytorch; /* the float32 model's */
};

struct golden_f64_tensor {
    char name[32]; /* "logits" or a tap name */
    int channels, height, width;
    double max_abs;                   /* max |value| over the whole tensor (float64) */
    double pytorch_max_error;         /* PyTorch f32 vs float64, whole tensor */
    double pytorch_max_error_samples; /* the same over the samples only */
    struct golden_f64_sample *samples;
    size_t num_samples;
};

#define GOLDEN_F64_MAX_TENSORS 16

struct golden_f64 {
    char model[32];  /* "tiny", "base", ... */
    char recipe[32]; /* synthetic weight recipe: "trained" */
    int num_labels;
    int height, width;
    struct golden_f64_tensor logits; /* (1, num_labels, height, width) */
    struct golden_f64_tensor tensors[GOLDEN_F64_MAX_TENSORS];
    size_t num_tensors;
    char versions[160];
};

/* Loads data/golden/<file>; 0, or -1 with err naming the file and problem. */
int golden_f64_load_named(const char *file, struct golden_f64 *g, char *err, size_t err_size);
void golden_f64_free(struct golden_f64 *g);
const struct golden_f64_tensor *golden_f64_tensor(const struct golden_f64 *g, const char *name);

/* Largest |got - float64| over t's samples (got: NHWC if nhwc, else NCHW,
 * t's shape); NaN counts as infinite. */
double golden_f64_max_error(const struct golden_f64_tensor *t, const float *got, int nhwc);

#endif
