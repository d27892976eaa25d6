# Benchmarks: Google Benchmark through bench/shim.cc; bodies in C.
#   make bench                          all benchmarks, console table
#   make bench BENCH_FILTER=regex       only those whose name matches
#   make bench BENCH_OUT=file.json      also write Google Benchmark's JSON
noinst_PROGRAMS += bench/upernet_bench
bench_upernet_bench_SOURCES = bench/shim.cc bench/shim.h \
	bench/bench_common.c bench/bench_common.h \
	bench/bench_layernorm.c
bench_upernet_bench_CFLAGS = $(AM_CFLAGS)
bench_upernet_bench_CXXFLAGS = $(AM_CXXFLAGS) $(BENCHMARK_CFLAGS)
bench_upernet_bench_LDADD = libupernet.la $(BENCHMARK_LIBS)

BENCH_FILTER ?=
BENCH_OUT ?=
BENCH_ARGS ?=
.PHONY: bench
bench: bench/upernet_bench$(EXEEXT)
	./bench/upernet_bench$(EXEEXT) \
	  $(if $(BENCH_FILTER),--benchmark_filter='$(BENCH_FILTER)') \
	  $(if $(BENCH_OUT),--benchmark_out='$(BENCH_OUT)' --benchmark_out_format=json) \
	  $(BENCH_ARGS)
