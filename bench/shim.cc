// Forwards the C benchmark API of bench/shim.h to Google Benchmark.
#include <benchmark/benchmark.h>

#include "bench/shim.h"

struct upernet_bench_state {
    benchmark::State *state;
};

extern "C" {

void upernet_bench_register(const char *name, upernet_bench_fn fn, const void *arg)
{
    benchmark::RegisterBenchmark(name, [fn, arg](benchmark::State &st) {
        upernet_bench_state s{&st};
        fn(&s, arg);
    })->UseRealTime();
}

bool upernet_bench_keep_running(upernet_bench_state *s)
{
    return s->state->KeepRunning();
}

void upernet_bench_skip(upernet_bench_state *s, const char *reason)
{
    s->state->SkipWithError(reason);
}

void upernet_bench_set_bytes_per_iteration(upernet_bench_state *s, double bytes)
{
    s->state->SetBytesProcessed(static_cast<int64_t>(bytes * static_cast<double>(s->state->iterations())));
}

void upernet_bench_counter(upernet_bench_state *s, const char *name, double value, bool per_second)
{
    s->state->counters[name] = benchmark::Counter(
        per_second ? value * static_cast<double>(s->state->iterations()) : value,
        per_second ? benchmark::Counter::kIsRate : benchmark::Counter::kDefaults);
}

}  // extern "C"

int main(int argc, char **argv)
{
    upernet_bench_register_all();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
