/* upernet: the command-line tool. Dispatches to one verb per file. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "upernet.h"

static const struct upernet_command commands[] = {
    {"info", "show CPU features, the kernel tier and each kernel slot", cmd_info},
    {"forward", "run the model on a pixel tensor (.npy) and write the logits (.npy)", cmd_forward},
    {"convert", "convert a weights file (mmseg .pth, .bin, safetensors) for transformers", cmd_convert},
    {"preprocess", "decode and preprocess an image into pixel values (.npy), as transformers", cmd_preprocess},
    {"segment", "segment images: class map, overlay and summary per image", cmd_segment},
    {"evaluate", "mIoU of a model on a dataset folder (mmseg counts; whole or slide mode)", cmd_evaluate},
    {"verify", "check logits[0,0,:3,:3] against the expected slice of a model size", cmd_verify},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out, "usage: upernet <command> [options]   (upernet <command> --help for details)\n\n"
                 "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nenvironment (read by this tool; the library reads none):\n"
                 "  UPERNET_ISA=scalar|avx2|avx512|neon   lower the kernel tier (as --isa)\n"
                 "  UPERNET_CONV3X3=winograd|direct       algorithm of the head's 3x3 convs\n"
                 "                                        (default winograd)\n");
}

int cli_parse_positive(const char *verb, const char *option, const char *s, long max, long *out)
{
    char *end;
    const long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 1 || v > max) {
        fprintf(stderr, "upernet %s: %s must be an integer in 1..%ld, got '%s'\n", verb, option, max,
                s);
        return -1;
    }
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("upernet %s (library %s)\n", PACKAGE_VERSION, upernet_version());
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "upernet: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
