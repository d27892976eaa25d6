/* upernet: UperNet-ConvNeXt semantic segmentation on CPUs.
 *
 * The one public header. Everything a program needs (errors, the kernel tier,
 * models, images) is declared here; nothing below the CLI prints or exits:
 * every failure comes back as a code plus a message naming the file, key or
 * value at fault. */
#ifndef UPERNET_H
#define UPERNET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- errors */

enum upernet_status {
    UPERNET_OK = 0,
    UPERNET_ERR_ARGUMENT,     /* a caller passed an invalid value */
    UPERNET_ERR_NOMEM,        /* an allocation failed */
    UPERNET_ERR_IO,           /* open/read/write/rename failed */
    UPERNET_ERR_FORMAT,       /* a file is malformed or not what it claims */
    UPERNET_ERR_UNSUPPORTED,  /* valid, but not something upernet handles */
    UPERNET_ERR_MISMATCH,     /* weights/config/shape disagree */
    UPERNET_ERR_LIMIT         /* input would need absurd resources */
};

#define UPERNET_ERROR_MESSAGE_MAX 512

typedef struct upernet_error {
    enum upernet_status status;
    char message[UPERNET_ERROR_MESSAGE_MAX];
} upernet_error;

/* A short fixed name for a status ("format error", ...). */
const char *upernet_status_name(enum upernet_status status);

/* ------------------------------------------------------- kernel tiers (ISA) */

enum upernet_isa {
    UPERNET_ISA_SCALAR = 0,
    UPERNET_ISA_AVX2,     /* AVX2 + FMA (x86-64) */
    UPERNET_ISA_AVX512,   /* AVX-512 F+BW+DQ+VL (x86-64) */
    UPERNET_ISA_NEON,     /* AArch64 Advanced SIMD */
    UPERNET_ISA_COUNT
};

/* "scalar", "avx2", "avx512", "neon". */
const char *upernet_isa_name(enum upernet_isa isa);

/* Selects the kernel tier used from now on. `request` is a tier name, or NULL
 * to use $UPERNET_ISA, or the best tier the CPU and build support if that is
 * unset or empty. A request can only lower the tier: asking for a tier this CPU
 * or build lacks fails with UPERNET_ERR_UNSUPPORTED and leaves the current
 * selection unchanged. Call it before any forward pass (not concurrently with
 * one). Without a call, the first use of a kernel selects as with NULL. */
enum upernet_status upernet_select_isa(const char *request, upernet_error *err);

/* The tier in use (selecting it as with NULL first if needed). */
enum upernet_isa upernet_active_isa(void);

/* ---------------------------------------------------------------- images */

/* Larger images are refused before anything is allocated (2^28 pixels). */
#define UPERNET_IMAGE_MAX_PIXELS ((uint64_t) 1 << 28)

/* An 8-bit RGB image, rows top to bottom, pixels interleaved R,G,B. */
typedef struct upernet_image {
    int width;
    int height;
    uint8_t *rgb; /* width * height * 3 bytes, owned (upernet_image_free) */
} upernet_image;

/* Decodes a JPEG or PNG file (recognised by its signature, not its name) into
 * RGB exactly as Pillow's Image.open(path).convert("RGB") does: JPEG through
 * libjpeg-turbo with accurate integer IDCT and fancy upsampling, grayscale
 * replicated, CMYK/YCCK with Pillow's Adobe inversion and cmyk2rgb; PNG in
 * every colour type and depth, alpha dropped (not composited), 16-bit samples
 * reduced the way Pillow does. No EXIF orientation, gamma or ICC profile is
 * applied. On failure *out is left empty. */
enum upernet_status upernet_image_load(const char *path, upernet_image *out, upernet_error *err);

/* The same from memory; `name` is only used in error messages. */
enum upernet_status upernet_image_decode(const void *data, size_t size, const char *name,
                                         upernet_image *out, upernet_error *err);

void upernet_image_free(upernet_image *image);

/* Resizes like Pillow's Image.resize((width, height), BILINEAR) on an 8-bit
 * RGB image, bit for bit (a plain copy when the size is unchanged). */
enum upernet_status upernet_image_resize(const upernet_image *src, int width, int height,
                                         upernet_image *dst, upernet_error *err);

/* Which Pillow's pass order to reproduce. Pillow up to 12 (and the
 * reference the expected logits were made with) always filters horizontally
 * first; Pillow 13 filters vertically first when both sides change and the
 * height loses more than twice as many pixels as the width (e.g. a portrait
 * photo to 512x512), which moves some pixels by one step. */
enum upernet_resize_compat {
    UPERNET_RESIZE_PILLOW_CLASSIC = 0, /* Pillow <= 12; the default */
    UPERNET_RESIZE_PILLOW_13
};

enum upernet_status upernet_image_resize_compat(const upernet_image *src, int width, int height,
                                                enum upernet_resize_compat compat,
                                                upernet_image *dst, upernet_error *err);

/* SegformerImageProcessor (Pillow path): resize to height x width as above,
 * rescale by 1/255 and normalise with the ImageNet mean/std in float32, and
 * write NCHW pixel values, out[(c * height + y) * width + x], 3*height*width
 * floats. */
enum upernet_status upernet_preprocess(const upernet_image *image, int height, int width,
                                       float *out, upernet_error *err);
enum upernet_status upernet_preprocess_compat(const upernet_image *image, int height, int width,
                                              enum upernet_resize_compat compat, float *out,
                                              upernet_error *err);

/* ------------------------------------------------------- segmentation output */

/* Per-pixel class index = argmax over the channels of NCHW logits (N = 1,
 * `classes` channels of height*width). Ties go to the lowest index and a NaN
 * counts as the maximum, as torch.argmax does. */
void upernet_argmax(const float *logits, int classes, int height, int width, uint16_t *class_map);

/* Class names and colours. */
typedef struct upernet_labels {
    int count;
    char **names;    /* count strings */
    uint8_t *colors; /* count * 3 bytes, RGB */
} upernet_labels;

/* The 150 ADE20K classes (HF id2label names, mmseg palette), built in. */
enum upernet_status upernet_labels_ade20k(upernet_labels *out, upernet_error *err);

/* `count` classes named "class_<i>" with a deterministic generated palette
 * (used when a model's label count is not 150). */
enum upernet_status upernet_labels_generic(int count, upernet_labels *out, upernet_error *err);

/* Reads a "index<TAB>name<TAB>r<TAB>g<TAB>b" file (one class a line, indices 0..n-1 in order). */
enum upernet_status upernet_labels_load(const char *path, upernet_labels *out, upernet_error *err);

void upernet_labels_free(upernet_labels *labels);

/* Writers. Each writes to a temporary file next to `path` and renames it on
 * success, so a failure never leaves a partial file behind. */

/* The class map as an 8-bit palette PNG (index = class; at most 256 labels). */
enum upernet_status upernet_write_class_map_png(const char *path, const uint16_t *class_map,
                                                int height, int width, const upernet_labels *labels,
                                                upernet_error *err);

/* The class colours blended 50/50 over `image`, at the image's own size (the
 * map is resized nearest-neighbour), as an RGB PNG. */
enum upernet_status upernet_write_overlay_png(const char *path, const upernet_image *image,
                                              const uint16_t *class_map, int height, int width,
                                              const upernet_labels *labels, upernet_error *err);

/* An RGB image as a PNG. */
enum upernet_status upernet_write_rgb_png(const char *path, const upernet_image *image,
                                          upernet_error *err);

/* A JSON summary: size, and the classes present with pixel count, share and
 * name, most frequent first. `source` (may be NULL) is recorded as "image". */
enum upernet_status upernet_write_summary_json(const char *path, const char *source,
                                               const uint16_t *class_map, int height, int width,
                                               const upernet_labels *labels, upernet_error *err);

/* ----------------------------------------------------------- weight files */

/* Element types a weights file may store. Floating tensors are handed out as
 * float32, integer and bool ones as int64. */
enum upernet_dtype {
    UPERNET_DTYPE_F32 = 0,
    UPERNET_DTYPE_F16,
    UPERNET_DTYPE_BF16,
    UPERNET_DTYPE_F64,
    UPERNET_DTYPE_I64,
    UPERNET_DTYPE_I32,
    UPERNET_DTYPE_I16,
    UPERNET_DTYPE_I8,
    UPERNET_DTYPE_U8,
    UPERNET_DTYPE_BOOL
};

/* safetensors spelling: "F32", "F16", "BF16", "F64", "I64", ... */
const char *upernet_dtype_name(enum upernet_dtype dtype);

enum upernet_weights_format {
    UPERNET_WEIGHTS_SAFETENSORS = 0, /* model.safetensors */
    UPERNET_WEIGHTS_TORCH_ZIP,       /* torch.save since torch 1.6 (.bin, .pth, .pt) */
    UPERNET_WEIGHTS_TORCH_LEGACY,    /* torch.save(..., _use_new_zipfile_serialization=False) */
    UPERNET_WEIGHTS_IN_MEMORY        /* built with upernet_weights_create */
};

enum upernet_key_naming {
    UPERNET_NAMING_HF = 0,  /* transformers' UperNetForSemanticSegmentation names */
    UPERNET_NAMING_MMSEG,   /* mmsegmentation names (renamed to HF on load) */
    UPERNET_NAMING_UNKNOWN  /* neither: names kept as they are */
};

/* "safetensors", "torch zip", "torch legacy", "in memory" / "hf", "mmseg", "unknown". */
const char *upernet_weights_format_name(enum upernet_weights_format format);
const char *upernet_key_naming_name(enum upernet_key_naming naming);

#define UPERNET_MAX_DIMS 8

/* One tensor of a weights file, by its HF name. Exactly one of data / ints is
 * set (both NULL when numel is 0). */
struct upernet_tensor {
    const char *name;        /* HF name (after the mmseg -> HF renames) */
    const char *file_name;   /* the name as stored in the file */
    enum upernet_dtype stored_dtype;
    int ndim;                /* 0 for a scalar */
    int64_t shape[UPERNET_MAX_DIMS];
    size_t numel;
    const float *data;       /* floating tensors, as float32, C order */
    const int64_t *ints;     /* integer / bool tensors, as int64, C order */
};

typedef struct upernet_weights upernet_weights;

/* Reads a weights file, recognised by content: safetensors, torch zip or
 * legacy torch (a state dict, or mmseg's {'meta', 'state_dict', ...} /
 * {'model': ...} wrappers). Never executes anything from the file; pickled
 * objects other than tensors and containers become inert placeholders.
 * mmseg names are renamed to HF ones. TorchScript archives, tar files and
 * anything else are refused with a message naming the file. */
enum upernet_status upernet_weights_open(const char *path, upernet_weights **out, upernet_error *err);

/* The same from a buffer, which must stay valid and unchanged until
 * upernet_weights_free (tensors may point into it). `name` is used in messages. */
enum upernet_status upernet_weights_open_memory(const void *data, size_t size, const char *name,
                                                upernet_weights **out, upernet_error *err);

void upernet_weights_free(upernet_weights *weights);

size_t upernet_weights_count(const upernet_weights *weights);
/* Tensors in file order (index < count), or by HF name (NULL if absent). */
const struct upernet_tensor *upernet_weights_at(const upernet_weights *weights, size_t index);
const struct upernet_tensor *upernet_weights_find(const upernet_weights *weights, const char *name);
enum upernet_weights_format upernet_weights_format(const upernet_weights *weights);
enum upernet_key_naming upernet_weights_naming(const upernet_weights *weights);
/* The path or name it was opened with. */
const char *upernet_weights_source(const upernet_weights *weights);

/* An empty in-memory set, filled by the add functions (which copy `values`),
 * e.g. to save synthetic weights. Adding an existing name fails. */
enum upernet_status upernet_weights_create(upernet_weights **out, upernet_error *err);
enum upernet_status upernet_weights_add_f32(upernet_weights *weights, const char *name, int ndim,
                                            const int64_t *shape, const float *values,
                                            upernet_error *err);
enum upernet_status upernet_weights_add_i64(upernet_weights *weights, const char *name, int ndim,
                                            const int64_t *shape, const int64_t *values,
                                            upernet_error *err);

/* Writes every tensor (HF names, F32 / I64, sorted by name) as safetensors
 * with __metadata__ {"format": "pt"}, through a temporary file renamed into
 * place, so a failure never leaves a partial file at `path`. */
enum upernet_status upernet_weights_save_safetensors(const upernet_weights *weights, const char *path,
                                                     upernet_error *err);

/* ----------------------------------------------------------------- models */

/* A loaded UperNet-ConvNeXt model: configuration, weights packed for the
 * kernel tier active when it was created, and an activation arena planned
 * for the last input size. Not thread-safe: one forward at a time per model
 * (each forward uses all OpenMP threads). */
typedef struct upernet_model upernet_model;

/* Tensors by HF state-dict name (float32, PyTorch shape), the input of
 * upernet_model_create_from_tensors (checkpoint readers fill one). */
typedef struct upernet_tensors upernet_tensors;

enum upernet_tensor_ownership {
    UPERNET_TENSOR_COPY = 0, /* the store copies the data */
    UPERNET_TENSOR_TAKE,     /* the store takes a malloc'ed buffer and frees it */
    UPERNET_TENSOR_BORROW    /* the caller keeps the data alive until the model exists */
};

upernet_tensors *upernet_tensors_create(void);
/* Adds tensor `name` with shape[0..ndim) (ndim <= 4; 0 = scalar). A name
 * already present fails with UPERNET_ERR_ARGUMENT (on failure a TAKE buffer
 * is still freed). */
enum upernet_status upernet_tensors_add(upernet_tensors *t, const char *name,
                                        const int64_t *shape, size_t ndim, float *data,
                                        enum upernet_tensor_ownership ownership,
                                        upernet_error *err);
size_t upernet_tensors_count(const upernet_tensors *t);
void upernet_tensors_free(upernet_tensors *t);

/* Creates a model with the synthetic weights (deterministic, no file) of
 * `model`: a built-in size ("tiny", "small", "base", "large", "xlarge", or
 * "upernet-convnext-tiny" etc.) or the path of an HF config.json. NULL on
 * failure, with *err filled. */
upernet_model *upernet_model_create(const char *model, upernet_error *err);

/* Creates a model of configuration `model` (as above) from tensors. The
 * store is validated first (missing keys, wrong shapes and unexpected keys
 * are listed in the message); its tensors are consumed while packing, so
 * free it afterwards. */
upernet_model *upernet_model_create_from_tensors(const char *model, upernet_tensors *tensors,
                                                 upernet_error *err);

/* Runs the model on pixels, float32 NCHW (1, 3, height, width) normalised
 * like transformers' pixel_values, writing float32 logits NCHW
 * (1, num_labels, height, width). height, width >= 32. The first forward at
 * a new size plans the activation arena (the only allocation); later ones
 * at that size allocate nothing. */
enum upernet_status upernet_model_forward(upernet_model *m, const float *pixels, size_t height,
                                          size_t width, float *logits, upernet_error *err);

/* Plans (and allocates) the activation arena for height x width ahead of a
 * forward. */
enum upernet_status upernet_model_plan(upernet_model *m, size_t height, size_t width,
                                       upernet_error *err);

int upernet_model_num_labels(const upernet_model *m);

/* Bytes of the activation arena planned for the current input size (0 if
 * none yet), and of the packed weights. */
size_t upernet_model_arena_bytes(const upernet_model *m);
size_t upernet_model_weight_bytes(const upernet_model *m);

/* The tier the weights were packed for. */
enum upernet_isa upernet_model_isa(const upernet_model *m);

void upernet_model_free(upernet_model *m);

/* ------------------------------------------------------ dataset evaluation */

/* Resizes like OpenCV 4.6's cv2.resize(image, (width, height),
 * interpolation=INTER_LINEAR) on an 8-bit image, bit for bit: the resize of
 * mmseg's test pipeline (no antialiasing when shrinking, 11-bit fixed-point
 * weights; exactly half the size is OpenCV's 2x2 average). */
enum upernet_status upernet_image_resize_opencv(const upernet_image *src, int width, int height,
                                                upernet_image *dst, upernet_error *err);

/* An 8-bit single-channel segmentation annotation (class index per pixel). */
typedef struct upernet_annotation {
    int width;
    int height;
    uint8_t *labels; /* width * height values, owned (upernet_annotation_free) */
} upernet_annotation;

/* Reads an annotation PNG: 8-bit grayscale, or 8-bit-or-less palette (the
 * indices are the labels). 16-bit, RGB, alpha and 1/2/4-bit grayscale
 * annotations are refused with a message naming the file and what it holds. */
enum upernet_status upernet_annotation_load(const char *path, upernet_annotation *out,
                                            upernet_error *err);
void upernet_annotation_free(upernet_annotation *annotation);

/* The ignore index of the labels, after the zero-label reduction. */
#define UPERNET_IGNORE_LABEL 255

/* mmseg's IoU counts summed over a dataset (64-bit: totals are exact, so
 * shards and ranks add up to the single-process numbers). */
typedef struct upernet_iou_counts {
    int num_classes;
    int64_t *area_intersect;    /* num_classes each */
    int64_t *area_union;
    int64_t *area_pred;
    int64_t *area_label;
    int64_t out_of_range_labels; /* counted pixels whose label is >= num_classes */
    int64_t images;
} upernet_iou_counts;

enum upernet_status upernet_iou_counts_init(upernet_iou_counts *counts, int num_classes,
                                            upernet_error *err);
void upernet_iou_counts_free(upernet_iou_counts *counts);

/* Adds one image: `pred` holds class indices (< num_classes), `labels` the
 * raw annotation, both `pixels` long. With reduce_zero_label (ADE20K), label
 * 0 is ignored and k becomes k - 1 (255 stays ignored); otherwise labels are
 * used as they are. Pixels labelled UPERNET_IGNORE_LABEL (after reduction)
 * do not count. A label >= num_classes counts in area_pred (through its
 * prediction) and in out_of_range_labels, never in area_label or
 * area_intersect. A prediction >= num_classes is refused (nothing added). */
enum upernet_status upernet_iou_counts_add(upernet_iou_counts *counts, const uint16_t *pred,
                                           const uint8_t *labels, size_t pixels,
                                           int reduce_zero_label, upernet_error *err);

/* dst += src (same num_classes, else UPERNET_ERR_MISMATCH). */
enum upernet_status upernet_iou_counts_merge(upernet_iou_counts *dst,
                                             const upernet_iou_counts *src, upernet_error *err);

/* The metrics of summed counts, as fractions: iou[c] = intersect / union and
 * acc[c] = intersect / label (NaN when the denominator is 0), aacc =
 * sum(intersect) / sum(label), miou and macc the means of the non-NaN
 * iou / acc (NaN if all are NaN). iou and acc have num_classes entries. */
typedef struct upernet_iou_metrics {
    int num_classes;
    double aacc;
    double miou;
    double macc;
    double *iou;
    double *acc;
} upernet_iou_metrics;

enum upernet_status upernet_iou_metrics_compute(const upernet_iou_counts *counts,
                                                upernet_iou_metrics *out, upernet_error *err);
void upernet_iou_metrics_free(upernet_iou_metrics *metrics);

#ifdef __cplusplus
}
#endif

#endif /* UPERNET_H */
