# Hardening (issue 8): libFuzzer targets, hostile-input regressions, the
# allocation-failure test.
#
# make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="npy png"]: builds the fuzzers
# with clang (their own ASan+UBSan build of the readers, in fuzz-out/) and
# runs each for FUZZ_SECONDS, two at a time, seeded with the fixtures;
# fuzz-out/summary.tsv lists the execs. Not part of `make check`.
FUZZ_SECONDS = 60
FUZZ_TARGETS =
fuzz: config.h
	$(SHELL) $(top_srcdir)/fuzz/build-and-run.sh $(top_srcdir) $(top_builddir) \
	  $(top_builddir)/fuzz-out $(FUZZ_SECONDS) $(FUZZ_TARGETS)
.PHONY: fuzz
clean-local: clean-fuzz
clean-fuzz:
	-rm -rf $(top_builddir)/fuzz-out
.PHONY: clean-fuzz

EXTRA_DIST += fuzz/build-and-run.sh fuzz/fuzz_main.c fuzz/make_regressions.py fuzz/seeds \
	data/regressions

# Every saved hostile input, replayed through the fuzz entry that found it.
if HAVE_CHECK
check_PROGRAMS += tests/test_regressions
tests_test_regressions_SOURCES = tests/test_regressions.c fuzz/fuzz_entries.c fuzz/fuzz_entries.h \
	tests/testutil.c tests/testutil.h
tests_test_regressions_CFLAGS = $(UPERNET_TEST_CFLAGS)
tests_test_regressions_LDADD = $(UPERNET_TEST_LIBS)
TESTS += tests/test_regressions
endif

# Exit statuses of every verb on hostile input (0 / 1 with one line / 2, no
# signal, no partial output).
TESTS += tests/test_exit_status.sh
EXTRA_DIST += tests/test_exit_status.sh

# Every allocation of a full load -> preprocess -> forward -> write run made
# to fail in turn (src/core/alloc.c): each must end in UPERNET_ERR_NOMEM.
if HAVE_CHECK
check_PROGRAMS += tests/test_alloc_failure
tests_test_alloc_failure_SOURCES = tests/test_alloc_failure.c tests/testutil.c tests/testutil.h
tests_test_alloc_failure_CFLAGS = $(UPERNET_TEST_CFLAGS)
tests_test_alloc_failure_LDADD = $(UPERNET_TEST_LIBS)
TESTS += tests/test_alloc_failure
endif

# The valgrind CI leg's test wrapper (.ci/run step valgrind).
EXTRA_DIST += tests/valgrind-test.sh
