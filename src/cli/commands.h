/* The upernet command-line verbs. Each verb lives in its own cmd_<verb>.c and
 * returns the process exit status: 0 success, 1 bad input or failed work (one
 * line on stderr naming the file and the problem), 2 usage error. */
#ifndef UPERNET_CLI_COMMANDS_H
#define UPERNET_CLI_COMMANDS_H

#include <stddef.h>

#include "upernet.h"

enum { EXIT_USAGE = 2 };

struct upernet_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the verb */
};

int cmd_info(int argc, char **argv);
int cmd_forward(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_preprocess(int argc, char **argv);
int cmd_segment(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);

/* Parses --size "HxW" (or "N" for NxN), each side 1..8192; prints the error
 * (naming `verb`) and returns -1 if malformed. */
int cli_parse_size(const char *verb, const char *text, int *height, int *width);

/* Parses --resize-order pillow12|pillow13 into an enum upernet_resize_compat;
 * prints the error and returns -1 if unknown. */
int cli_parse_resize_order(const char *verb, const char *text, int *compat);

/* The model options of a computing verb: the kernel tier from --isa (`isa`,
 * else $UPERNET_ISA; unset: the best), the 3x3 algorithm from
 * $UPERNET_CONV3X3 (winograd or direct), `threads` OpenMP threads (0: all).
 * Prints the error (naming `verb`) and returns nonzero on a bad value. */
int cli_model_options(const char *verb, const char *isa, long threads,
                      upernet_model_options *options);

/* A model of `spec` (size or config.json) with the weights of `weights_path`
 * (a file or a model directory; spec may then be NULL: the directory's
 * config.json or the size the shapes match), or the synthetic weights of
 * `spec` when weights_path is NULL. Prints the error and returns NULL on
 * failure. */
upernet_model *cli_load_model(const char *verb, const char *spec, const char *weights_path,
                              const upernet_model_options *options);

/* The preprocessing of a verb: `processor` (--processor FILE) when given,
 * else the preprocessor_config.json next to `weights_path` (in it when it is
 * a directory, else beside the file) when there is one, else
 * SegformerImageProcessor()'s defaults; a `height` > 0 (--size) replaces
 * its size with height x width. Prints the error (naming `verb`) and
 * returns nonzero when the file given or found is refused. */
int cli_preprocessing(const char *verb, const char *processor, const char *weights_path,
                      int height, int width, upernet_preprocessing *out);

/* The download cache of one model size: $UPERNET_CACHE/upernet-convnext-SIZE,
 * else $HOME/.cache/upernet/upernet-convnext-SIZE. -1 if neither is set. */
int cli_cache_dir(const char *size, char *out, size_t out_size);

/* Parses option `option`'s value s as an integer in 1..max into *out; prints
 * "upernet VERB: ..." and returns -1 otherwise. */
int cli_parse_positive(const char *verb, const char *option, const char *s, long max, long *out);

/* `upernet info WEIGHTS`: prints format, naming, detected size, parameter
 * count and dtypes; returns the exit status. */
int cli_info_weights(const char *path);

#endif
