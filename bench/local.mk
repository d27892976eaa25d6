# Benchmarks: Google Benchmark through bench/shim.cc; bodies in C. The
# history (SQLite, or PostgreSQL through libpq) and its comparison, report
# and sync live in bench/upernet-benchdb,
# the CI instruction-count gate in bench/upernet-icount + bench/icount-gate.sh.
#   make bench                          all benchmarks: console table, recorded in $(BENCH_DB)
#   make bench BENCH_FILTER=regex       only those whose name matches
#   make bench BENCH_OUT=file.json      keep Google Benchmark's JSON (compare.py reads it)
#   make bench-compare [BASELINE=previous|COMMIT|run:ID]   exit 1 on a significant regression
#   make bench-report                   bench-report.html: a chart per benchmark over the history
#   make bench-scaling [SCALING_ARGS=...] per-layer work units, barriers, a 16-thread model
#   BENCH_DB=FILE|postgresql://...      the history (default: bench-history.sqlite here)
#   make bench-aa [BENCH_AA_PAIRS=10]   A/A experiment: false alarms of bench-compare here
#   make icount-gate / icount-baseline  instruction counts under callgrind vs bench/icount-baseline.tsv
# upernet_bench needs Google Benchmark and upernet-benchdb SQLite: without
# them they are not built and make bench says what is missing.
noinst_PROGRAMS += bench/upernet-icount bench/upernet-scaling
if HAVE_BENCHMARK
noinst_PROGRAMS += bench/upernet_bench
else
EXTRA_PROGRAMS += bench/upernet_bench
endif
if HAVE_SQLITE3
noinst_PROGRAMS += bench/upernet-benchdb
else
EXTRA_PROGRAMS += bench/upernet-benchdb
endif
bench_upernet_bench_SOURCES = bench/shim.cc bench/shim.h \
	bench/bench_common.c bench/bench_common.h \
	bench/bench_memory.c \
	bench/bench_model.c \
	bench/bench_layernorm.c \
	bench/bench_peak.c bench/bench_igemm.c bench/bench_dwconv7x7.c \
	bench/bench_conv3x3.c bench/bench_layers.c bench/bench_resize.c \
	bench/bench_evaluate.c \
	src/cli/image_loop.c src/cli/image_loop.h src/cli/eval_dataset.c src/cli/eval_dataset.h
bench_upernet_bench_CPPFLAGS = $(AM_CPPFLAGS) -DBENCH_BUILD_CFLAGS='"$(CFLAGS)"'
bench_upernet_bench_CFLAGS = $(AM_CFLAGS)
bench_upernet_bench_CXXFLAGS = $(AM_CXXFLAGS) $(BENCHMARK_CFLAGS)
bench_upernet_bench_LDADD = libupernet.la $(BENCHMARK_LIBS)
# static: the benchmarks time internal kernels the shared library does not export
bench_upernet_bench_LDFLAGS = -static
if HAVE_DNNL
bench_upernet_bench_SOURCES += bench/bench_onednn.c
bench_upernet_bench_LDADD += $(DNNL_LIBS)
else
EXTRA_DIST += bench/bench_onednn.c
endif

bench_upernet_benchdb_SOURCES = bench/upernet-benchdb.c bench/benchdb.h \
	bench/benchdb-conn.c bench/benchdb-conn.h bench/benchdb-schema.c \
	bench/benchdb-compare.c bench/benchdb-report.c bench/benchdb-sync.c \
	bench/mann-whitney.c bench/mann-whitney.h
bench_upernet_benchdb_CFLAGS = $(AM_CFLAGS) $(SQLITE3_CFLAGS) $(JANSSON_CFLAGS) $(LIBPQ_CFLAGS)
bench_upernet_benchdb_LDADD = $(SQLITE3_LIBS) $(JANSSON_LIBS) $(LIBPQ_LIBS) -lm
# PostgreSQL histories (postgresql:// URIs) when configure found libpq
# (automake distributes conditional sources either way).
if HAVE_LIBPQ
bench_upernet_benchdb_SOURCES += bench/benchdb-pg.c bench/benchdb-pg.h
endif

# Per-layer work units, barriers and a many-thread efficiency model of one
# forward (make bench-scaling).
bench_upernet_scaling_SOURCES = bench/upernet-scaling.c
bench_upernet_scaling_CFLAGS = $(AM_CFLAGS)
bench_upernet_scaling_LDADD = libupernet.la
bench_upernet_scaling_LDFLAGS = -static

bench_upernet_icount_SOURCES = bench/upernet-icount.c
bench_upernet_icount_CFLAGS = $(AM_CFLAGS)
bench_upernet_icount_LDADD = libupernet.la
bench_upernet_icount_LDFLAGS = -static

# The rank test of bench-compare, checked against scipy's values.
if HAVE_CHECK
check_PROGRAMS += tests/test_bench_stats
TESTS += tests/test_bench_stats
endif
tests_test_bench_stats_SOURCES = tests/test_bench_stats.c bench/mann-whitney.c bench/mann-whitney.h
tests_test_bench_stats_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_test_bench_stats_LDADD = $(CHECK_LIBS) -lm
# bench-compare's verdicts on synthetic runs (faster machine, one slowed
# benchmark, busier machine).
if HAVE_SQLITE3
TESTS += tests/test_bench_compare.sh
endif
EXTRA_DIST += tests/test_bench_compare.sh tests/bench-json.sh
# The history on each backend (tests/benchdb-tests.sh): schema and migration,
# every verb, sync, concurrent and killed writers, hostile names, password
# masking; PostgreSQL against a throwaway server, SKIP without one.
if HAVE_SQLITE3
TESTS += tests/test_benchdb_sqlite.sh tests/test_benchdb_postgresql.sh
endif
EXTRA_DIST += tests/test_benchdb_sqlite.sh tests/test_benchdb_postgresql.sh \
	tests/benchdb-tests.sh tests/data/benchdb-v1.sqlite

EXTRA_DIST += bench/icount-gate.sh bench/icount-baseline.tsv tools/bench_peers.py \
	tools/peers-venv.sh
CLEANFILES += bench-last.json

BENCH_FILTER ?=
BENCH_OUT ?=
BENCH_ARGS ?=
BENCH_DB ?= $(abs_top_builddir)/bench-history.sqlite
BENCH_MIN_TIME ?= 0.05
BENCH_REPETITIONS ?= 3
BENCH_THRESHOLD ?= 10
BASELINE ?= previous
BENCH_REPORT ?= bench-report.html

# Two groups: "kernels" (kernels, memory, FMA peak) and "models"
# (end-to-end). The kernels run as BENCH_REPETITIONS separate processes of one
# repetition each, in random order: a process's own luck (where its buffers
# landed, which other job shared its core) then shows up as spread between
# repetitions instead of shifting all of them, which bench-compare would take
# for a change (the A/A experiment, make bench-aa, halved its false alarms so).
# The models run in one process, in order, BENCH_REPETITIONS repetitions, so
# each model is built once. Google Benchmark prints mean, median, stddev and
# cv: the console keeps the medians (the JSON keeps everything), then the
# recorder prints one compact table and stores the run. BENCH_OUT gets all
# processes merged into one JSON.
.PHONY: bench bench-compare bench-report bench-scaling bench-aa icount-gate icount-baseline
if HAVE_BENCHMARK
bench: bench/upernet_bench$(EXEEXT) bench/upernet-benchdb$(EXEEXT)
	@json='$(BENCH_OUT)'; [ -n "$$json" ] || json=bench-last.json; \
	rm -f "$$json" "$$json".kernels.* "$$json".models.*; \
	commit=`git -C '$(top_srcdir)' rev-parse HEAD 2>/dev/null || echo unknown`; \
	dirty=0; git -C '$(top_srcdir)' status --porcelain --untracked-files=no 2>/dev/null | grep -q . && dirty=1; \
	files=; \
	for group in kernels models; do \
	  procs=$(BENCH_REPETITIONS); reps=1; interleave=true; \
	  [ $$group = models ] && procs=1 reps=$(BENCH_REPETITIONS) interleave=false; \
	  p=1; while [ $$p -le $$procs ]; do \
	    [ $$procs -gt 1 ] && echo "== $$group: process $$p of $$procs"; \
	    ./bench/upernet_bench$(EXEEXT) --upernet_group=$$group \
	      --benchmark_repetitions=$$reps \
	      --benchmark_enable_random_interleaving=$$interleave \
	      --benchmark_display_aggregates_only=true --benchmark_min_time=$(BENCH_MIN_TIME) \
	      $(if $(BENCH_FILTER),--benchmark_filter='$(BENCH_FILTER)') \
	      --benchmark_out="$$json.$$group.$$p" --benchmark_out_format=json $(BENCH_ARGS) 2>&1 \
	      | grep --line-buffered -v -E '_(mean|stddev|cv) |^Failed to match any benchmarks'; \
	    files="$$files $$json.$$group.$$p"; p=$$((p + 1)); \
	  done; \
	done; \
	./bench/upernet-benchdb$(EXEEXT) record --db '$(BENCH_DB)' \
	  `for f in $$files; do printf ' --json %s' "$$f"; done` --merged-out "$$json" \
	  --commit "$$commit" --dirty $$dirty --cc '$(CC)' --cflags '$(CFLAGS)' \
	  --filter '$(BENCH_FILTER)'; rc=$$?; rm -f $$files; exit $$rc
else
bench bench-aa:
	@echo "make $@ needs Google Benchmark (Debian: libbenchmark-dev) and SQLite (libsqlite3-dev); configure did not find them" >&2; exit 1
endif

# BASELINE may be any git revision (resolved here) besides previous / run:ID.
if HAVE_SQLITE3
bench-compare: bench/upernet-benchdb$(EXEEXT)
	@b='$(BASELINE)'; case "$$b" in previous|run:*|'') ;; \
	  *) h=`git -C '$(top_srcdir)' rev-parse --verify -q "$$b^{commit}" 2>/dev/null` && b=$$h ;; esac; \
	./bench/upernet-benchdb$(EXEEXT) compare --db '$(BENCH_DB)' --baseline "$$b" \
	  --threshold '$(BENCH_THRESHOLD)'
else
bench-compare bench-report:
	@echo "make $@ needs SQLite (Debian: libsqlite3-dev); configure did not find it" >&2; exit 1
endif

# The A/A experiment (bench/aa-experiment.sh): BENCH_AA_PAIRS pairs of
# make bench on one commit, restricted to the kernel benchmarks, compared
# with the bench-compare rule into a scratch history; counts false alarms
# and checks that a 25% slowdown of one kernel is still caught.
BENCH_AA_PAIRS ?= 10
BENCH_AA_FILTER ?= ^(memory|peak|layernorm|igemm|dwconv7x7)/
BENCH_AA_DB ?= $(abs_top_builddir)/bench-aa.sqlite
CLEANFILES += bench-aa.sqlite
EXTRA_DIST += bench/aa-experiment.sh
if HAVE_BENCHMARK
bench-aa: bench/upernet_bench$(EXEEXT) bench/upernet-benchdb$(EXEEXT)
	@$(SHELL) '$(top_srcdir)/bench/aa-experiment.sh' ./bench/upernet-benchdb$(EXEEXT) \
	  '$(BENCH_AA_DB)' '$(BENCH_AA_PAIRS)' '$(BENCH_THRESHOLD)' \
	  $(MAKE) --no-print-directory BENCH_FILTER='$(BENCH_AA_FILTER)'
endif

# (Not echoed: BENCH_DB may be a URI; the tool prints it masked.)
if HAVE_SQLITE3
bench-report: bench/upernet-benchdb$(EXEEXT)
	@./bench/upernet-benchdb$(EXEEXT) report --db '$(BENCH_DB)' --out '$(BENCH_REPORT)'
endif

# SCALING_ARGS: e.g. --model small --threads 32 --repeat 9 (upernet-scaling --help).
SCALING_ARGS ?=
bench-scaling: bench/upernet-scaling$(EXEEXT)
	./bench/upernet-scaling$(EXEEXT) $(SCALING_ARGS)

icount-gate: bench/upernet-icount$(EXEEXT)
	$(SHELL) '$(top_srcdir)/bench/icount-gate.sh' ./bench/upernet-icount$(EXEEXT) \
	  '$(top_srcdir)/bench/icount-baseline.tsv'

icount-baseline: bench/upernet-icount$(EXEEXT)
	ICOUNT_CC='$(CC)' ICOUNT_CFLAGS='$(CFLAGS)' $(SHELL) '$(top_srcdir)/bench/icount-gate.sh' --update ./bench/upernet-icount$(EXEEXT) \
	  '$(top_srcdir)/bench/icount-baseline.tsv'
