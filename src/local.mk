# The library (core, model, readers/writers, images) and the command-line tool.
libupernet_core_la_SOURCES += \
	src/core/error.c src/core/error.h \
	src/core/atomic_file.c src/core/atomic_file.h \
	src/model/synthetic.c src/model/synthetic.h \
	src/api/model_open.c src/api/save_pretrained.c src/api/tiers.c

libupernet_core_la_LIBADD += $(ZLIB_LIBS) $(TURBOJPEG_LIBS) $(SPNG_LIBS) $(LIBZIP_LIBS) $(JANSSON_LIBS) -lm

bin_PROGRAMS += upernet
upernet_SOURCES = src/cli/main.c src/cli/commands.h \
	src/cli/cli_model.c src/cli/cmd_info.c
upernet_LDADD = libupernet.la
# static: one self-contained binary (no libtool wrapper script in the build
# tree, so tests can run it under qemu and valgrind)
upernet_LDFLAGS = -static
