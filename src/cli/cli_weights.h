/* The CLI's bridge between weights files (src/io) and models (src/model):
 * open a file (or a save_pretrained directory), hand its tensors to the
 * model, and say which built-in size a checkpoint's shapes match. */
#ifndef UPERNET_CLI_CLI_WEIGHTS_H
#define UPERNET_CLI_CLI_WEIGHTS_H

#include <stddef.h>

#include "upernet.h"

/* `path` itself, or for a directory its model.safetensors, else its
 * pytorch_model.bin (as transformers looks them up). */
enum upernet_status cli_weights_resolve(const char *path, char *out, size_t size, upernet_error *err);

/* When `path` is a directory holding config.json (a save_pretrained
 * directory), writes that file's path to `out` and returns 1; else 0. */
int cli_weights_dir_config(const char *path, char *out, size_t size);

/* The built-in size ("tiny", ...) whose every expected tensor the set holds
 * with the expected shape, or NULL. */
const char *cli_weights_detect_size(const upernet_weights *weights);

/* Opens `path` (file or directory) and creates a model of `model_spec` from
 * it. When the shapes do not fit `model_spec` but fit a built-in size, the
 * message names that size. NULL on failure, with *err filled. */
upernet_model *cli_model_from_weights(const char *model_spec, const char *path, upernet_error *err);

struct upernet_config;

/* Checks the set against a configuration's weight table (every expected key
 * with its shape, nothing unexpected); UPERNET_ERR_MISMATCH lists problems. */
enum upernet_status cli_weights_validate(const upernet_weights *weights, const struct upernet_config *cfg,
                                         upernet_error *err);

/* `upernet info WEIGHTS`: prints format, naming, detected size, parameter
 * count and dtypes; returns the exit status. */
int cli_info_weights(const char *path);

#endif
