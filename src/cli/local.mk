# The command-line tool, written only against include/upernet.h. It links
# the static library: one self-contained binary (no libtool wrapper script in
# the build tree, so tests can run it under qemu and valgrind).
bin_PROGRAMS += upernet
upernet_SOURCES = src/cli/main.c src/cli/commands.h \
	src/cli/cli_model.c src/cli/cmd_info.c \
	src/cli/cmd_forward.c src/cli/cmd_convert.c \
	src/cli/cmd_preprocess.c src/cli/cmd_segment.c src/cli/cmd_verify.c \
	src/cli/verify_synthetic_slices.inc \
	src/cli/cmd_evaluate.c src/cli/eval_dataset.c src/cli/eval_dataset.h \
	src/cli/image_loop.c src/cli/image_loop.h src/cli/eval_mpi.c src/cli/eval_mpi.h
# ./configure --with-mpi: MPI reaches only the upernet program.
upernet_CFLAGS = $(AM_CFLAGS) $(MPI_CFLAGS)
upernet_LDADD = libupernet.la $(MPI_LIBS)
upernet_LDFLAGS = -static
