# Images in (JPEG/PNG decoding, Pillow-exact resize and preprocessing) and
# results out (class-map/overlay PNGs, JSON summary, argmax).
libupernet_core_la_SOURCES += \
	src/image/image_internal.h \
	src/image/decode.c \
	src/image/jpeg.c \
	src/image/png_read.c \
	src/image/resize.c \
	src/image/resize_opencv.c \
	src/image/annotation.c \
	src/image/preprocess.c \
	src/image/argmax.c \
	src/image/postprocess.c \
	src/image/labels.c src/image/labels_internal.h \
	src/image/ade20k_labels.c \
	src/image/png_write.c \
	src/image/summary.c
AM_CPPFLAGS += $(TURBOJPEG_CFLAGS) $(SPNG_CFLAGS) $(JANSSON_CFLAGS)

# Pillow-parity fixtures and goldens (tools/make_image_fixtures.py).
EXTRA_DIST += data/images data/golden/images.json data/golden/images-pillow13.json \
	data/golden/processor-configs.json data/golden/processor-half.json \
	data/golden/processor-noresize.json data/golden/processor-norescale.json \
	data/golden/processor-rescale-only.json \
	data/ade20k_labels.tsv \
	tools/make_image_fixtures.py tools/gen-ade20k-table.sh

if HAVE_CHECK
check_PROGRAMS += tests/test_images
tests_test_images_SOURCES = tests/test_images.c tests/sha256.c tests/sha256.h \
	tests/testutil.c tests/testutil.h
tests_test_images_CFLAGS = $(UPERNET_TEST_CFLAGS) $(JANSSON_CFLAGS) $(ZLIB_CFLAGS)
tests_test_images_LDADD = $(UPERNET_TEST_LIBS) $(JANSSON_LIBS) $(ZLIB_LIBS)
TESTS += tests/test_images
endif


# The real checkpoints: SKIP (77) unless `make fetch-weights` put some in the cache.
if HAVE_CHECK
check_PROGRAMS += tests/test_real_weights
TESTS += tests/test_real_weights
endif
tests_test_real_weights_SOURCES = tests/test_real_weights.c
tests_test_real_weights_CFLAGS = $(UPERNET_TEST_CFLAGS)
tests_test_real_weights_LDADD = $(CHECK_LIBS)
TESTS += tests/test_cli_images.sh
EXTRA_DIST += tools/fetch-weights.sh tools/make_verify_slices.py tests/test_cli_images.sh

# make fetch-weights MODEL=upernet-convnext-SIZE: downloads a checkpoint and
# the ADE20K check image into the cache (see tools/fetch-weights.sh).
fetch-weights:
	@test -n "$(MODEL)" || { echo "usage: make fetch-weights MODEL=upernet-convnext-{tiny,small,base,large,xlarge}" >&2; exit 2; }
	$(SHELL) $(top_srcdir)/tools/fetch-weights.sh $(MODEL)
.PHONY: fetch-weights
