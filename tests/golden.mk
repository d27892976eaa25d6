# Synthetic weights (C twin of tools/synthetic.py), the golden loader the
# model tests share (tests/golden.{c,h}), and the golden data of
# tools/make_goldens.py. A test that uses the goldens adds tests/golden.c to
# its sources and $(UPERNET_GOLDEN_CFLAGS) / $(UPERNET_GOLDEN_LIBS).
UPERNET_GOLDEN_CFLAGS = $(ZLIB_CFLAGS) $(JANSSON_CFLAGS)
UPERNET_GOLDEN_LIBS = $(ZLIB_LIBS) $(JANSSON_LIBS)

if HAVE_CHECK
check_PROGRAMS += tests/test_synthetic
tests_test_synthetic_SOURCES = tests/test_synthetic.c tests/golden.c tests/golden.h tests/golden_json.h \
	tests/testutil.c tests/testutil.h
tests_test_synthetic_CFLAGS = $(UPERNET_TEST_CFLAGS) $(UPERNET_GOLDEN_CFLAGS)
tests_test_synthetic_LDADD = $(UPERNET_TEST_LIBS) $(UPERNET_GOLDEN_LIBS)
TESTS += tests/test_synthetic
endif

UPERNET_GOLDEN_FILES = \
	data/golden/synthetic-table.tsv \
	data/golden/small-config.json \
	data/golden/tiny-75x103.json.z data/golden/small-75x103.json.z \
	data/golden/base-75x103.json.z data/golden/large-75x103.json.z \
	data/golden/xlarge-75x103.json.z data/golden/tiny-512x512.json.z \
	data/golden/tiny-32x32.json.z data/golden/tiny-96x64.json.z \
	data/golden/tiny-130x47.json.z \
	data/golden/small-config-75x103.json.z data/golden/small-config-33x61.json.z \
	data/golden/tester-config.json data/golden/tester-config-32x32.json.z \
	data/golden/tester-config-75x103.json.z \
	data/golden/one-level-config.json data/golden/one-level-config-160x224.json.z \
	data/golden/two-level-config.json data/golden/two-level-config-75x103.json.z \
	data/golden/no-layer-scale-config.json data/golden/no-layer-scale-config-75x103.json.z \
	data/golden/postprocess.json.z \
	data/golden/tiny-trained-75x103.f64.json.z data/golden/tiny-trained-256x320.f64.json.z \
	data/golden/base-trained-75x103.f64.json.z data/golden/base-trained-128x160.f64.json.z
EXTRA_DIST += $(UPERNET_GOLDEN_FILES) \
	tools/synthetic.py tools/make_goldens.py tools/SYNTHETIC.md

# Regenerates data/golden/ (except the ops goldens) with transformers; the
# committed files come back byte for byte. Never run by make check or CI.
# PYTHON: an interpreter with torch and transformers, e.g.
#   make goldens PYTHON=venv/bin/python
PYTHON = python3
goldens:
	$(PYTHON) $(top_srcdir)/tools/make_goldens.py --out $(top_srcdir)/data/golden
.PHONY: goldens

# transformers' post_process_semantic_segmentation(target_sizes=...) vs
# upernet_postprocess_semantic (goldens: data/golden/postprocess.json.z).
check_PROGRAMS += tests/test_postprocess
tests_test_postprocess_SOURCES = tests/test_postprocess.c tests/golden.c tests/golden.h \
	tests/testutil.c tests/testutil.h
tests_test_postprocess_CFLAGS = $(UPERNET_TEST_CFLAGS) $(UPERNET_GOLDEN_CFLAGS)
tests_test_postprocess_LDADD = $(UPERNET_TEST_LIBS) $(UPERNET_GOLDEN_LIBS)
TESTS += tests/test_postprocess
