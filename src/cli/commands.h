/* The upernet command-line verbs. Each verb lives in its own cmd_<verb>.c and
 * returns the process exit status: 0 success, 1 bad input or failed work (one
 * line on stderr naming the file and the problem), 2 usage error. */
#ifndef UPERNET_CLI_COMMANDS_H
#define UPERNET_CLI_COMMANDS_H

enum { EXIT_USAGE = 2 };

struct upernet_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the verb */
};

int cmd_info(int argc, char **argv);
int cmd_forward(int argc, char **argv);

/* Applies --isa (or $UPERNET_ISA when isa is NULL); prints the error and
 * returns nonzero if the tier cannot be used. */
int cli_select_isa(const char *isa);

#endif
