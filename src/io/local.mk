# Readers and writers of weight files (safetensors, torch zip / legacy via a
# restricted unpickler) and the tensor map they fill.
libupernet_core_la_SOURCES += \
	src/io/dtype.c src/io/dtype.h \
	src/io/tensor_map.c src/io/tensor_map.h \
	src/io/pickle.c src/io/pickle.h \
	src/io/torch_common.c src/io/torch_common.h \
	src/io/torch_zip.c src/io/torch_zip.h \
	src/io/torch_legacy.c src/io/torch_legacy.h \
	src/io/safetensors.c src/io/safetensors.h \
	src/io/key_naming.c src/io/key_naming.h \
	src/io/weights_format.h \
	src/io/weights.c \
	src/io/config_json.c src/io/config_json.h \
	src/io/processor_config.c \
	src/io/npy.c src/io/npy.h
AM_CPPFLAGS += $(LIBZIP_CFLAGS) $(JANSSON_CFLAGS)

# Tests of the readers (tier-independent) and their fixtures.
if HAVE_CHECK
check_PROGRAMS += tests/test_checkpoints
tests_test_checkpoints_SOURCES = tests/test_checkpoints.c tests/testutil.c tests/testutil.h
tests_test_checkpoints_CFLAGS = $(UPERNET_TEST_CFLAGS) $(JANSSON_CFLAGS)
tests_test_checkpoints_LDADD = $(UPERNET_TEST_LIBS) $(JANSSON_LIBS) -lm
TESTS += tests/test_checkpoints
endif
EXTRA_DIST += data/fixtures tools/make_checkpoint_fixtures.py

TESTS += tests/test_cli_checkpoints.sh
EXTRA_DIST += tests/test_cli_checkpoints.sh tools/check_convert_roundtrip.py
