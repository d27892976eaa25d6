/* The upernet command-line verbs. Each verb lives in its own cmd_<verb>.c and
 * returns the process exit status: 0 success, 1 bad input or failed work (one
 * line on stderr naming the file and the problem), 2 usage error. */
#ifndef UPERNET_CLI_COMMANDS_H
#define UPERNET_CLI_COMMANDS_H

#include <stddef.h>

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

/* Parses --size "HxW" (or "N" for NxN), each side 1..8192; prints the error
 * (naming `verb`) and returns -1 if malformed. */
int cli_parse_size(const char *verb, const char *text, int *height, int *width);

/* Parses --resize-order pillow12|pillow13 into an enum upernet_resize_compat;
 * prints the error and returns -1 if unknown. */
int cli_parse_resize_order(const char *verb, const char *text, int *compat);

/* A model of `spec` (size or config.json) with the weights of `weights_path`,
 * or the synthetic weights when it is NULL. Prints the error and returns NULL
 * on failure. */
struct upernet_model *cli_load_model(const char *verb, const char *spec, const char *weights_path);

/* The download cache of one model size: $UPERNET_CACHE/upernet-convnext-SIZE,
 * else $HOME/.cache/upernet/upernet-convnext-SIZE. -1 if neither is set. */
int cli_cache_dir(const char *size, char *out, size_t out_size);

/* Applies --isa (or $UPERNET_ISA when isa is NULL); prints the error and
 * returns nonzero if the tier cannot be used. */
int cli_select_isa(const char *isa);

/* Parses option `option`'s value s as an integer in 1..max into *out; prints
 * "upernet VERB: ..." and returns -1 otherwise. */
int cli_parse_positive(const char *verb, const char *option, const char *s, long max, long *out);

/* The run-time settings every computing verb shares: the kernel tier (as
 * cli_select_isa) and, when threads > 0, the OpenMP thread count. Nonzero
 * (error printed) if the tier cannot be used. */
int cli_configure_runtime(const char *isa, long threads);

#endif
