# Tests (Check). Tier-independent programs run directly (through
# $(TEST_EMULATOR) when cross-built); tier-dependent ones run once per kernel
# tier through tests/run-tier.sh, which forces UPERNET_ISA and reports SKIP
# (exit 77) for a tier this host or build cannot run.
TEST_EXTENSIONS = .test .sh
LOG_COMPILER = $(TEST_EMULATOR)
TEST_LOG_COMPILER = $(SHELL) $(top_srcdir)/tests/run-tier.sh
SH_LOG_COMPILER = $(SHELL)
AM_TESTS_ENVIRONMENT = \
	TEST_EMULATOR='$(TEST_EMULATOR)'; export TEST_EMULATOR; \
	UPERNET_TIER_TESTS='$(UPERNET_TIER_TESTS)'; export UPERNET_TIER_TESTS; \
	UPERNET_DATA_DIR='$(abs_top_srcdir)/data'; export UPERNET_DATA_DIR; \
	UPERNET_WITH_MPI='$(UPERNET_WITH_MPI)'; export UPERNET_WITH_MPI; \
	UPERNET_MAKE='$(MAKE)' UPERNET_SRCDIR='$(abs_top_srcdir)' UPERNET_BUILDDIR='$(abs_top_builddir)' \
	CC='$(CC)' CFLAGS='$(CFLAGS)' LDFLAGS='$(LDFLAGS)' PKG_CONFIG='$(PKG_CONFIG)' NM='$(NM)'; \
	export UPERNET_MAKE UPERNET_SRCDIR UPERNET_BUILDDIR CC CFLAGS LDFLAGS PKG_CONFIG NM;

UPERNET_TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -DUPERNET_ALLOC_TEST_HOOKS
UPERNET_TEST_LIBS = libupernet_test.la $(CHECK_LIBS)

# Programs run once per tier by tests/run-tier.sh (in this order).
UPERNET_TIER_TESTS = tests/test_kernels

if HAVE_CHECK
check_PROGRAMS += tests/test_kernels tests/test_dispatch
endif

# The operator layer against torch goldens (tools/make_op_goldens.py).
UPERNET_TIER_TESTS += tests/test_ops
if HAVE_CHECK
check_PROGRAMS += tests/test_ops
endif
tests_test_ops_SOURCES = tests/test_ops.c tests/testutil.c tests/testutil.h
tests_test_ops_CFLAGS = $(UPERNET_TEST_CFLAGS) $(ZLIB_CFLAGS) $(JANSSON_CFLAGS)
tests_test_ops_LDADD = $(UPERNET_TEST_LIBS) $(ZLIB_LIBS) $(JANSSON_LIBS) -lm
EXTRA_DIST += data/golden/ops.json.z tools/make_op_goldens.py

# The Winograd F(2x2,3x3) conv path against naive and direct convs.
UPERNET_TIER_TESTS += tests/test_winograd
if HAVE_CHECK
check_PROGRAMS += tests/test_winograd
endif
tests_test_winograd_SOURCES = tests/test_winograd.c tests/testutil.c tests/testutil.h
tests_test_winograd_CFLAGS = $(UPERNET_TEST_CFLAGS)
tests_test_winograd_LDADD = $(UPERNET_TEST_LIBS) -lm

tests_test_dispatch_SOURCES = tests/test_dispatch.c
tests_test_dispatch_CFLAGS = $(UPERNET_TEST_CFLAGS)
tests_test_dispatch_LDADD = $(UPERNET_TEST_LIBS)

if HAVE_CHECK
TESTS += tests/test_dispatch \
	tests/tier-scalar.test tests/tier-avx2.test tests/tier-avx512.test tests/tier-neon.test
else
# Without Check only the command-line tests run; this one says why.
TESTS += tests/check-missing.sh
endif
EXTRA_DIST += tests/check-missing.sh
EXTRA_DIST += tests/run-tier.sh tests/cli-expect.sh \
	tests/tier-scalar.test tests/tier-avx2.test tests/tier-avx512.test tests/tier-neon.test

# The model layer: end to end against transformers goldens (per tier), the
# configurations and weight table, the .npy reader/writer.
UPERNET_TIER_TESTS += tests/test_model
if HAVE_CHECK
check_PROGRAMS += tests/test_model tests/test_config tests/test_npy
TESTS += tests/test_config tests/test_npy
endif
tests_test_model_SOURCES = tests/test_model.c tests/golden.c tests/golden.h tests/golden_json.h \
	tests/taps.c tests/taps.h tests/testutil.c tests/testutil.h
tests_test_model_CFLAGS = $(UPERNET_TEST_CFLAGS) $(ZLIB_CFLAGS) $(JANSSON_CFLAGS)
tests_test_model_LDADD = $(UPERNET_TEST_LIBS) $(ZLIB_LIBS) $(JANSSON_LIBS) -lm
# Accuracy against float64 on the trained-like weights (per tier).
UPERNET_TIER_TESTS += tests/test_accuracy
if HAVE_CHECK
check_PROGRAMS += tests/test_accuracy
endif
tests_test_accuracy_SOURCES = tests/test_accuracy.c tests/golden.c tests/golden.h \
	tests/golden_json.h tests/golden_f64.c tests/golden_f64.h tests/taps.c tests/taps.h \
	tests/testutil.c tests/testutil.h
tests_test_accuracy_CFLAGS = $(UPERNET_TEST_CFLAGS) $(ZLIB_CFLAGS) $(JANSSON_CFLAGS)
tests_test_accuracy_LDADD = $(UPERNET_TEST_LIBS) $(ZLIB_LIBS) $(JANSSON_LIBS) -lm
tests_test_config_SOURCES = tests/test_config.c tests/testutil.c tests/testutil.h
tests_test_config_CFLAGS = $(UPERNET_TEST_CFLAGS)
tests_test_config_LDADD = $(UPERNET_TEST_LIBS)
tests_test_npy_SOURCES = tests/test_npy.c tests/testutil.c tests/testutil.h
tests_test_npy_CFLAGS = $(UPERNET_TEST_CFLAGS)
tests_test_npy_LDADD = $(UPERNET_TEST_LIBS)
TESTS += tests/test_cli_forward.sh

# make install into a temporary DESTDIR, and a program built against the
# installed copy through pkg-config (examples/segment.c).
TESTS += tests/test_install.sh
EXTRA_DIST += tests/test_install.sh
EXTRA_DIST += data/state_dict_keys.tsv tests/test_cli_forward.sh
