/* upernet: UperNet-ConvNeXt semantic segmentation on CPUs.
 *
 * The one public header. Everything a program needs (errors, the kernel tier,
 * models, images) is declared here; nothing below the CLI prints or exits:
 * every failure comes back as a code plus a message naming the file, key or
 * value at fault. The library reads no environment variable.
 *
 * Conventions:
 * - Sizes are always given as (height, width), in that order, like the NCHW
 *   tensors they describe (the struct fields of upernet_image included).
 * - Constructors return an enum upernet_status and hand the new object out
 *   through their last-but-one argument (`out`), the error being the last
 *   one; on failure *out is NULL (or empty) and nothing leaks. Every object
 *   has one matching *_free function that accepts NULL.
 * - `err` may be NULL everywhere (the status is still returned).
 *
 * Thread safety:
 * - A loaded upernet_model is read-only: any number of threads may run
 *   forwards on one model at the same time, each with its own
 *   upernet_workspace. Free the model only after every forward on it ended
 *   and after its workspaces are freed.
 * - A upernet_workspace is used by one forward at a time.
 * - Each forward uses the model's thread count (OpenMP) on the calling
 *   thread; concurrent forwards therefore multiply the threads in use.
 * - Everything else (images, labels, weights files, writers) works on the
 *   objects it is given and may run concurrently on distinct objects. */
#ifndef UPERNET_H
#define UPERNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* --------------------------------------------------------------- version */

#define UPERNET_VERSION_MAJOR 0
#define UPERNET_VERSION_MINOR 2
#define UPERNET_VERSION_PATCH 0
#define UPERNET_VERSION_STRING "0.2.0"

/* The version of the library in use at run time ("0.2.0"), which may differ
 * from the header's UPERNET_VERSION_STRING a program was compiled with. */
const char *upernet_version(void);

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
    UPERNET_ISA_AUTO = -1, /* the best tier this CPU and build run */
    UPERNET_ISA_SCALAR = 0,
    UPERNET_ISA_AVX2,     /* AVX2 + FMA (x86-64) */
    UPERNET_ISA_AVX512,   /* AVX-512 F+BW+DQ+VL (x86-64) */
    UPERNET_ISA_NEON,     /* AArch64 Advanced SIMD */
    UPERNET_ISA_COUNT
};

/* "scalar", "avx2", "avx512", "neon" ("auto" for UPERNET_ISA_AUTO). */
const char *upernet_isa_name(enum upernet_isa isa);

/* Parses a tier name and checks that this CPU and build can run it: an
 * unknown name fails with UPERNET_ERR_ARGUMENT, a tier the CPU or build
 * lacks with UPERNET_ERR_UNSUPPORTED; both messages name the tier and the
 * best one available. "" and "auto" give UPERNET_ISA_AUTO. */
enum upernet_status upernet_isa_from_name(const char *name, enum upernet_isa *out,
                                          upernet_error *err);

/* Whether a tier is compiled into this build; whether it is compiled in as
 * an emulation (--enable-avx512-emulation: correct but slow, testing only);
 * whether this CPU and OS can run it. */
bool upernet_isa_built(enum upernet_isa isa);
bool upernet_isa_emulated(enum upernet_isa isa);
bool upernet_isa_supported(enum upernet_isa isa);

/* The best tier this CPU and build run (what UPERNET_ISA_AUTO resolves to). */
enum upernet_isa upernet_isa_best_supported(void);

/* The CPU features the tiers depend on ("fma avx2 os-ymm ..."), and one line
 * per kernel slot of tier `isa` (name and tile sizes), as text into buf
 * (always NUL-terminated, truncated to size). */
void upernet_describe_cpu(char *buf, size_t size);
void upernet_describe_kernels(enum upernet_isa isa, char *buf, size_t size);

/* ---------------------------------------------------------------- images */

/* Larger images are refused before anything is allocated (2^28 pixels). */
#define UPERNET_IMAGE_MAX_PIXELS ((uint64_t) 1 << 28)

/* An 8-bit RGB image, rows top to bottom, pixels interleaved R,G,B. */
typedef struct upernet_image {
    int height;
    int width;
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

/* Resizes to height x width like Pillow's Image.resize((width, height),
 * BILINEAR) on an 8-bit RGB image, bit for bit (a plain copy when the size
 * is unchanged). */
enum upernet_status upernet_image_resize(const upernet_image *src, int height, int width,
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

enum upernet_status upernet_image_resize_compat(const upernet_image *src, int height, int width,
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

/* The preprocessing a preprocessor_config.json of SegformerImageProcessor
 * sets (transformers' SegformerImageProcessorPil computes the same):
 * resize to height x width with Pillow's BILINEAR (when do_resize; else the
 * image's own size), then v * rescale_factor computed in float64 and
 * rounded to float32 (when do_rescale; else float32(v)), then
 * (x - float32(mean_c)) / float32(std_c) in float32 (when do_normalize). */
typedef struct upernet_preprocessing {
    int do_resize;
    int height, width;
    int do_rescale;
    double rescale_factor;
    int do_normalize;
    double image_mean[3], image_std[3];
} upernet_preprocessing;

/* SegformerImageProcessor()'s defaults: 512x512, 1/255, the ImageNet mean
 * and std (what upernet_preprocess does). */
void upernet_preprocessing_init(upernet_preprocessing *p);

/* Reads a preprocessor_config.json: missing keys keep the defaults above;
 * a processor type other than Segformer's, a resample other than 2
 * (BILINEAR), a size rule other than height/width, a wrong type or a zero
 * std are refused with a message naming the file and the key. */
enum upernet_status upernet_preprocessing_load(const char *path, upernet_preprocessing *p,
                                               upernet_error *err);

/* The pixel_values size for `image`: (height, width), or the image's own
 * size when do_resize is off. */
void upernet_preprocessing_output_size(const upernet_preprocessing *p, const upernet_image *image,
                                       int *height, int *width);

/* NCHW pixel values of `image` under `p` (3 * the output size floats). */
enum upernet_status upernet_preprocess_with(const upernet_image *image,
                                            const upernet_preprocessing *p,
                                            enum upernet_resize_compat compat, float *out,
                                            upernet_error *err);

/* ------------------------------------------------------- segmentation output */

/* Per-pixel class index = argmax over the channels of NCHW logits (N = 1,
 * `classes` channels of height*width). Ties go to the lowest index and a NaN
 * counts as the maximum, as torch.argmax does. */
void upernet_argmax(const float *logits, int classes, int height, int width, uint16_t *class_map);

/* transformers' post_process_semantic_segmentation(outputs, target_sizes=
 * [(target_height, target_width)]): NCHW logits (N = 1, `classes` planes of
 * height x width, e.g. a forward's output at the model's input size) resized
 * bilinearly to the target size (align_corners = False, as
 * torch.nn.functional.interpolate computes it, the arithmetic of the
 * model's own final resize), then the argmax over classes as
 * upernet_argmax. Writes target_height * target_width class indices; the
 * resized logits are never stored. For finite logits at their own size it
 * equals upernet_argmax. Results do not depend on the thread count. */
enum upernet_status upernet_postprocess_semantic(const float *logits, int classes, int height,
                                                 int width, int target_height, int target_width,
                                                 uint16_t *class_map, upernet_error *err);

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

/* A copy of `src` (e.g. a model's labels), freed with upernet_labels_free. */
enum upernet_status upernet_labels_copy(const upernet_labels *src, upernet_labels *out,
                                        upernet_error *err);

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

/* Reads a weights file (or, given a directory, its model.safetensors, else
 * its pytorch_model.bin), recognised by content: safetensors, torch zip or
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
/* The path or name it was opened with (for a directory: the file read). */
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

/* A loaded UperNet-ConvNeXt model: configuration and weights packed for one
 * kernel tier. Read-only once loaded (see "Thread safety" at the top). */
typedef struct upernet_model upernet_model;

/* The per-forward state of a model: an activation arena planned for one
 * input size. One forward at a time per workspace. */
typedef struct upernet_workspace upernet_workspace;

/* Tensors by HF state-dict name (float32, PyTorch shape), the input of
 * upernet_model_from_tensors. */
typedef struct upernet_tensors upernet_tensors;

/* How the FPN convs and the fpn_bottleneck (the head's 3x3 convs) compute. */
enum upernet_conv3x3 {
    UPERNET_CONV3X3_WINOGRAD = 0, /* Winograd F(2x2, 3x3): 2.25x fewer multiply-adds */
    UPERNET_CONV3X3_DIRECT        /* the direct sum (weights 9/16 the size) */
};

/* "winograd", "direct". */
const char *upernet_conv3x3_name(enum upernet_conv3x3 algorithm);

/* The recipe of the synthetic weights a size or config.json source gets
 * (tools/SYNTHETIC.md). */
enum upernet_synthetic_recipe {
    UPERNET_SYNTHETIC_DEFAULT = 0, /* activations and logits O(1) (logits within ~+-8) */
    UPERNET_SYNTHETIC_TRAINED      /* a trained checkpoint's scales: layer scales up to 3,
                                      two massive-activation channels per block, logits
                                      ~+-25; for accuracy tests against float64 */
};

typedef struct upernet_model_options {
    /* The configuration: NULL to take it from the source (a size name, a
     * config.json, a model directory's config.json, else the built-in size
     * whose shapes a weights file matches), or a built-in size name or the
     * path of an HF config.json. */
    const char *config;
    /* Kernel tier of this model (UPERNET_ISA_AUTO: the best available). A
     * tier this CPU or build cannot run is refused. Models of different
     * tiers may coexist. */
    enum upernet_isa isa;
    enum upernet_conv3x3 conv3x3;
    /* OpenMP threads of each load and forward of this model (0: OpenMP's
     * default, i.e. OMP_NUM_THREADS or all cores). Results are bitwise
     * identical for every thread count. */
    int threads;
    /* Nonzero: refuse weights holding keys the configuration does not use.
     * 0 (the default): load them like transformers' from_pretrained, which
     * ignores such keys with a warning; upernet_model_unused_keys names
     * them for the caller's warning. Missing keys are always an error. */
    int strict;
    /* The synthetic weights' recipe, when the source is a size or a
     * config.json (ignored for weights files). */
    enum upernet_synthetic_recipe synthetic;
} upernet_model_options;

/* The defaults: config NULL, UPERNET_ISA_AUTO, Winograd, threads 0, not
 * strict, UPERNET_SYNTHETIC_DEFAULT. A
 * NULL options pointer means the same. */
void upernet_model_options_init(upernet_model_options *options);

/* Loads a model. `source` is one of
 * - a built-in size: "tiny", "small", "base", "large", "xlarge" (also
 *   "upernet-convnext-tiny", "openmmlab/upernet-convnext-tiny"), or the path
 *   of an HF config.json (a name ending in ".json"): that configuration with
 *   deterministic synthetic weights (no download; for tests and benchmarks);
 * - a weights file, recognised by content: model.safetensors, a transformers
 *   pytorch_model.bin, an mmsegmentation .pth (see upernet_weights_open);
 * - a directory holding model.safetensors or pytorch_model.bin (and usually
 *   config.json), as transformers' save_pretrained writes it.
 * The configuration is options->config when set, else as described there.
 * Every tensor is checked against the configuration first (missing keys,
 * wrong shapes and, with options->strict, unexpected keys are listed in the
 * message; a checkpoint of another built-in size is named). */
enum upernet_status upernet_model_open(const char *source, const upernet_model_options *options,
                                       upernet_model **out, upernet_error *err);

/* The same from an opened weights file (NULL config: the built-in size its
 * shapes match). The weights may be freed once this returns. */
enum upernet_status upernet_model_from_weights(const upernet_weights *weights,
                                               const upernet_model_options *options,
                                               upernet_model **out, upernet_error *err);

/* The same from a tensor store (options->config is required). The store's
 * tensors are consumed while packing, so free it afterwards. */
enum upernet_status upernet_model_from_tensors(upernet_tensors *tensors,
                                               const upernet_model_options *options,
                                               upernet_model **out, upernet_error *err);

void upernet_model_free(upernet_model *model);

int upernet_model_num_labels(const upernet_model *model);

/* The model's classes: names from its config.json's id2label (as
 * transformers' model.config.id2label), else ADE20K's for the built-in
 * sizes; colours from ADE20K's palette for 150 classes, generated otherwise
 * (upernet_labels_generic). Owned by the model. */
const upernet_labels *upernet_model_labels(const upernet_model *model);

/* How many keys of the weights the model was loaded from its configuration
 * does not use (0 for synthetic weights); *names (may be NULL) gets them
 * comma-separated, cut with ", ..." past a few hundred characters, or "". */
size_t upernet_model_unused_keys(const upernet_model *model, const char **names);
/* Bytes of the packed weights. */
size_t upernet_model_weight_bytes(const upernet_model *model);
/* The tier the weights were packed for (never UPERNET_ISA_AUTO). */
enum upernet_isa upernet_model_isa(const upernet_model *model);
enum upernet_conv3x3 upernet_model_conv3x3(const upernet_model *model);

/* A workspace for forwards of `model` (which must outlive it). Nothing is
 * planned yet: upernet_workspace_plan, or the first forward, does it. */
enum upernet_status upernet_workspace_create(const upernet_model *model, upernet_workspace **out,
                                             upernet_error *err);

/* Plans (and allocates) the activation arena for height x width inputs
 * (each >= 32). A no-op when already planned for that size. */
enum upernet_status upernet_workspace_plan(upernet_workspace *ws, size_t height, size_t width,
                                           upernet_error *err);

/* Bytes of the planned arena (0 before any plan). */
size_t upernet_workspace_bytes(const upernet_workspace *ws);

void upernet_workspace_free(upernet_workspace *ws);

/* Runs `model` on `batch` images of one size: pixels float32 NCHW
 * (batch, 3, height, width), normalised like transformers' pixel_values;
 * writes logits float32 NCHW (batch, num_labels, height, width). Each
 * image's logits are bitwise those of a batch of one. `ws` must have been
 * created for `model`; it is (re)planned when its size differs (the only
 * allocation: a forward at the planned size allocates nothing). */
enum upernet_status upernet_model_forward(const upernet_model *model, upernet_workspace *ws,
                                          const float *pixels, size_t batch, size_t height,
                                          size_t width, float *logits, upernet_error *err);

/* Tensor stores (for weights that come from elsewhere than a file). */
enum upernet_tensor_ownership {
    UPERNET_TENSOR_COPY = 0, /* the store copies the data */
    UPERNET_TENSOR_TAKE,     /* the store takes a malloc'ed buffer and frees it */
    UPERNET_TENSOR_BORROW    /* the caller keeps the data alive until the model exists */
};

enum upernet_status upernet_tensors_create(upernet_tensors **out, upernet_error *err);
/* Adds tensor `name` with shape[0..ndim) (ndim <= 4; 0 = scalar). A name
 * already present fails with UPERNET_ERR_ARGUMENT (on failure a TAKE buffer
 * is still freed). */
enum upernet_status upernet_tensors_add(upernet_tensors *tensors, const char *name,
                                        const int64_t *shape, size_t ndim, float *data,
                                        enum upernet_tensor_ownership ownership,
                                        upernet_error *err);
size_t upernet_tensors_count(const upernet_tensors *tensors);
void upernet_tensors_free(upernet_tensors *tensors);

/* The built-in size ("tiny", ...) whose every expected tensor the weights
 * hold with the expected shape and nothing else, or NULL. */
const char *upernet_weights_detect_size(const upernet_weights *weights);

/* Checks the weights against a configuration (a built-in size or a
 * config.json path): every expected key with its shape, nothing unexpected;
 * UPERNET_ERR_MISMATCH lists the problems. */
enum upernet_status upernet_weights_check(const upernet_weights *weights, const char *config,
                                          upernet_error *err);

/* The deterministic synthetic weights of a configuration (a built-in size or
 * a config.json path), as an in-memory set: what upernet_model_open loads
 * for a size, ready to be saved (upernet_weights_save_pretrained) as a
 * checkpoint file for tests and examples without a download. */
enum upernet_status upernet_weights_synthetic(const char *config, upernet_weights **out,
                                              upernet_error *err);

/* Writes what transformers' save_pretrained writes for these weights into
 * directory `dir` (created if missing): model.safetensors (HF names),
 * config.json (`config` re-serialised when it is a config.json, else the
 * built-in size's; NULL: the size the shapes match) and
 * preprocessor_config.json (SegformerImageProcessor's defaults). The weights
 * are checked against the configuration first. Each file is written through
 * a temporary file renamed into place. */
enum upernet_status upernet_weights_save_pretrained(const upernet_weights *weights,
                                                    const char *config, const char *dir,
                                                    upernet_error *err);

/* ------------------------------------------------------------ .npy arrays */

/* A float32 array read from a NumPy .npy file. */
#define UPERNET_NPY_MAX_DIMS 8
typedef struct upernet_array {
    size_t ndim;
    size_t shape[UPERNET_NPY_MAX_DIMS];
    size_t numel;
    float *data; /* numel floats, C order, owned (upernet_array_free) */
} upernet_array;

/* Reads a little-endian float32 ('<f4'), C-order .npy file (format versions
 * 1 to 3). Anything else (other dtypes, Fortran order, object arrays,
 * truncated or trailing data) is refused with a message naming the file. */
enum upernet_status upernet_npy_read(const char *path, upernet_array *out, upernet_error *err);

/* Writes a float32 C-order array as .npy through a temporary file renamed
 * into place. */
enum upernet_status upernet_npy_write(const char *path, const size_t *shape, size_t ndim,
                                      const float *data, upernet_error *err);

void upernet_array_free(upernet_array *array);

/* ------------------------------------------------------ dataset evaluation */

/* Resizes to height x width like OpenCV 4.6's cv2.resize(image, (width,
 * height), interpolation=INTER_LINEAR) on an 8-bit image, bit for bit: the
 * resize of mmseg's test pipeline (no antialiasing when shrinking, 11-bit
 * fixed-point weights; exactly half the size is OpenCV's 2x2 average). */
enum upernet_status upernet_image_resize_opencv(const upernet_image *src, int height, int width,
                                                upernet_image *dst, upernet_error *err);

/* An 8-bit single-channel segmentation annotation (class index per pixel). */
typedef struct upernet_annotation {
    int height;
    int width;
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

/* How one image is turned into a class map at its own size. */
enum upernet_eval_mode {
    UPERNET_EVAL_WHOLE = 0, /* transformers: resize to the model size, forward,
                               resize the logits back, argmax */
    UPERNET_EVAL_SLIDE      /* mmseg: keep-ratio rescale, overlapping crops
                               averaged, resize back, argmax */
};

enum upernet_eval_resize {
    UPERNET_EVAL_RESIZE_PILLOW = 0, /* upernet_image_resize */
    UPERNET_EVAL_RESIZE_OPENCV      /* upernet_image_resize_opencv */
};

/* mmseg's slide parameters: crop and stride (rows, columns) and the
 * keep-ratio rescale scale (long side, short side). */
typedef struct upernet_slide_params {
    int crop_height, crop_width;
    int stride_height, stride_width;
    int scale_long, scale_short;
} upernet_slide_params;

/* The parameters of the mmseg config a built-in size was converted from:
 * tiny/small/base 512 crop, 341 stride, (2048, 512); large/xlarge 640, 426,
 * (2560, 640). `size` as upernet_model_create takes it; an unknown size
 * fails with UPERNET_ERR_ARGUMENT. */
enum upernet_status upernet_slide_params_for_size(const char *size, upernet_slide_params *out,
                                                  upernet_error *err);

typedef struct upernet_eval_config {
    enum upernet_eval_mode mode;
    enum upernet_eval_resize resize;
    int ms_flip;                   /* mmseg's multi-scale (x0.5..1.75) + flip, slide only */
    int whole_height, whole_width; /* whole: the model input size (512x512) */
    enum upernet_resize_compat pillow_order; /* whole with Pillow: its pass order */
    /* whole with Pillow: a preprocessor_config.json's settings (its size
     * replaces whole_height x whole_width; without resize the image's own
     * size is the model input), or NULL for SegformerImageProcessor()'s */
    const upernet_preprocessing *preprocessing;
    upernet_slide_params slide;    /* slide */
} upernet_eval_config;

/* One image's prediction, in three steps a pipeline can overlap: prepare
 * (resize and normalise; no model), infer (the forwards; one at a time per
 * model), finish (resize to the image size and argmax; no model). */
typedef struct upernet_prediction upernet_prediction;

upernet_prediction *upernet_prediction_create(const upernet_eval_config *config,
                                              upernet_error *err);
void upernet_prediction_free(upernet_prediction *p);

/* `image` must stay alive and unchanged until finish. */
enum upernet_status upernet_prediction_prepare(upernet_prediction *p, const upernet_image *image,
                                               upernet_error *err);
/* The forwards of `model` in `ws` (a workspace of that model). */
enum upernet_status upernet_prediction_infer(upernet_prediction *p, const upernet_model *model,
                                             upernet_workspace *ws, upernet_error *err);
/* class_map: image height * width entries. */
enum upernet_status upernet_prediction_finish(upernet_prediction *p, uint16_t *class_map,
                                              upernet_error *err);

/* The raw scores infer produced: `classes` planes of *height x *width
 * (whole: logits at the model size; slide: averaged logits at the rescaled
 * size; ms-flip: averaged probabilities at the image size). */
const float *upernet_prediction_scores(const upernet_prediction *p, int *classes, int *height,
                                       int *width);

/* The evaluation report as JSON: images, mode, model, aAcc, mIoU, mAcc
 * (fractions), classes (index, name, IoU, Acc -- null when NaN --,
 * area_intersect, area_union, area_pred, area_label), out_of_range_labels,
 * and shard ("K/N") when shard_count > 0. Written atomically. */
typedef struct upernet_eval_report {
    const char *model;
    const char *mode;
    int shard_index; /* 1..shard_count */
    int shard_count; /* 0: not sharded */
} upernet_eval_report;

enum upernet_status upernet_eval_report_write(const char *path, const upernet_eval_report *report,
                                              const upernet_iou_counts *counts,
                                              const upernet_labels *labels, upernet_error *err);

/* Reads a report written by upernet_eval_report_write: its counts (with
 * num_classes and images), class names, and model, mode and shard (model
 * and mode malloc'ed, freed by the caller). Any missing key, wrong type or
 * inconsistent count fails with a message naming the file and the key. */
enum upernet_status upernet_eval_report_read(const char *path, upernet_eval_report *report,
                                             upernet_iou_counts *counts, upernet_labels *labels,
                                             upernet_error *err);

#ifdef __cplusplus
}
#endif

#endif /* UPERNET_H */
