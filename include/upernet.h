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

#ifdef __cplusplus
}
#endif

#endif /* UPERNET_H */
