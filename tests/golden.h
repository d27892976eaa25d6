/* Golden data written by tools/make_goldens.py (transformers' own forward pass
 * on the synthetic weights), loaded for the Check tests.
 *
 * Files: $UPERNET_DATA_DIR/golden/<model>-<H>x<W>.json.z, model one of tiny,
 * small, base, large, xlarge, small-config (data/golden/small-config.json).
 * Every index is NCHW of batch 0: a sample (c, y, x) of a C×H×W tensor is
 * element ((y * W) + x) * C + c of an NHWC buffer. See the note at the top of
 * tools/make_goldens.py for what each tensor is. */
#ifndef UPERNET_TESTS_GOLDEN_H
#define UPERNET_TESTS_GOLDEN_H

#include <stddef.h>
#include <stdint.h>

struct golden_sample {
    int c, y, x;
    float value;
};

/* Statistics are over the whole tensor (std with ddof 0), in double. */
struct golden_stats {
    double mean, std, min, max;
};

struct golden_tensor {
    char name[32];                 /* stage1..stage4, fpn_bottleneck, classifier */
    int channels, height, width;   /* shape (1, channels, height, width) */
    struct golden_stats stats;
    struct golden_sample *samples; /* four corners of channel 0 first */
    size_t num_samples;
};

#define GOLDEN_MAX_TENSORS 8

struct golden {
    /* Config summary. */
    char model[32];                /* "tiny" ... "xlarge", "small-config" */
    int depths[4], hidden_sizes[4];
    int head_hidden_size;          /* decode head channels (512 for the Hub models) */
    int pool_scales[4];
    int num_labels;
    int auxiliary_in_channels, auxiliary_channels;

    /* Input: golden_make_input(height, width, ...) rebuilds it. */
    int height, width;
    char input_formula[32];        /* "tri-hash-v1" */

    /* Final logits (1, num_labels, height, width). */
    float logits_slice[3][3];      /* logits[0, 0, :3, :3] */
    struct golden_stats logits_stats;
    struct golden_sample *logits_samples;
    size_t num_logits_samples;
    uint8_t *argmax;               /* height*width, row-major; first maximum on ties */

    struct golden_tensor tensors[GOLDEN_MAX_TENSORS];
    size_t num_tensors;

    char versions[160];            /* "torch X transformers Y numpy Z python W" */
};

/* Loads `path` (zlib-compressed JSON). Returns 0 on success; otherwise -1 with
 * a message naming the file and the problem in err[0..err_size). Free with
 * golden_free (also after a failure). */
int golden_load(const char *path, struct golden *g, char *err, size_t err_size);

/* Loads $UPERNET_DATA_DIR/golden/<file> (e.g. "tiny-75x103.json.z"). */
int golden_load_named(const char *file, struct golden *g, char *err, size_t err_size);

void golden_free(struct golden *g);

/* Any zlib-compressed JSON file (NULL with a message in err on failure). */
typedef struct json_t json_t;
json_t *golden_load_json_z(const char *path, char *err, size_t err_size);

/* Base64 of a zlib stream -> the inflated bytes (malloc'ed), or NULL. */
unsigned char *golden_unpack_base64_zlib(const char *text, size_t *size);

/* The tensor called `name`, or NULL. */
const struct golden_tensor *golden_tensor(const struct golden *g, const char *name);

/* Path of $UPERNET_DATA_DIR/golden/<file> in buf; returns buf. */
char *golden_path(const char *file, char *buf, size_t buf_size);

/* Comparing a C result with a golden. */

/* Largest |got - value| over samples[0..n) of a channels x height x width
 * tensor held in `got` (NHWC when nhwc != 0, else NCHW); *worst (may be NULL)
 * receives the index of the worst sample. NaN counts as infinitely bad. */
double golden_max_sample_error(const struct golden_sample *samples, size_t n, const float *got,
                               int channels, int height, int width, int nhwc, size_t *worst);

/* mean, std (ddof 0), min, max of x[0..n), accumulated in double: compare
 * with golden_tensor.stats (the layout does not matter). */
struct golden_stats golden_stats_of(const float *x, size_t n);

/* Fraction of the height*width pixels whose argmax over classes of `logits`
 * (num_labels x height x width, NHWC when nhwc != 0, else NCHW; first maximum
 * on ties) equals the golden argmax map. */
double golden_argmax_agreement(const struct golden *g, const float *logits, int nhwc);

/* The deterministic input of tools/synthetic.py synthetic_input() (formula
 * "tri-hash-v1"), bit for bit: nchw receives 3*height*width floats, layout
 * (1, 3, height, width). */
void golden_make_input(int height, int width, float *nchw);

/* One pixel of that input (channel c, row y, column x). */
float golden_input_value(int c, int y, int x);

#endif
