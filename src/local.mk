# The library (core, model, readers/writers, images) and the command-line tool.
libupernet_la_SOURCES += \
	src/core/error.c src/core/error.h \
	src/core/alloc.c src/core/alloc.h \
	src/core/atomic_file.c src/core/atomic_file.h \
	src/model/synthetic.c src/model/synthetic.h \
	src/api/model_open.c src/api/save_pretrained.c src/api/tiers.c

libupernet_la_LIBADD += $(ZLIB_LIBS) $(TURBOJPEG_LIBS) $(SPNG_LIBS) $(LIBZIP_LIBS) $(JANSSON_LIBS) -lm

bin_PROGRAMS += upernet
upernet_SOURCES = src/cli/main.c src/cli/commands.h \
	src/cli/cli_model.c src/cli/cmd_info.c
upernet_LDADD = libupernet.la
