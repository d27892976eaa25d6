// Forwards the C benchmark API of bench/shim.h to Google Benchmark.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>

#include "bench/shim.h"

struct upernet_bench_state {
    benchmark::State *state;
    // Our own clock around the timing loop: benchmark::State does not expose
    // its elapsed time, and counters such as % of peak need it.
    std::chrono::steady_clock::time_point start, stop;
    bool started, stopped;
};

extern "C" {

static benchmark::internal::Benchmark *register_one(const char *name, upernet_bench_fn fn,
                                                    const void *arg)
{
    return benchmark::RegisterBenchmark(name, [fn, arg](benchmark::State &st) {
        upernet_bench_state s{&st, {}, {}, false, false};
        fn(&s, arg);
    })->UseRealTime();
}

void upernet_bench_register(const char *name, upernet_bench_fn fn, const void *arg)
{
    register_one(name, fn, arg);
}

void upernet_bench_register_with(const char *name, upernet_bench_fn fn, const void *arg,
                                 const struct upernet_bench_options *options)
{
    benchmark::internal::Benchmark *b = register_one(name, fn, arg);
    if (options != nullptr && options->iterations > 0)
        b->Iterations(options->iterations);
    else if (options != nullptr && options->min_time_s > 0)
        b->MinTime(options->min_time_s);
}

void upernet_bench_add_context(const char *key, const char *value)
{
    benchmark::AddCustomContext(key, value);
}

bool upernet_bench_keep_running(upernet_bench_state *s)
{
    if (!s->started) {
        s->started = true;
        s->start = std::chrono::steady_clock::now();
    }
    const bool more = s->state->KeepRunning();
    if (!more && !s->stopped) {
        s->stopped = true;
        s->stop = std::chrono::steady_clock::now();
    }
    return more;
}

double upernet_bench_elapsed_seconds(const upernet_bench_state *s)
{
    if (!s->started)
        return 0.0;
    const auto end = s->stopped ? s->stop : std::chrono::steady_clock::now();
    return std::chrono::duration<double>(end - s->start).count();
}

double upernet_bench_iterations(const upernet_bench_state *s)
{
    return static_cast<double>(s->state->iterations());
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
    // Our own flag, removed before Google Benchmark parses the rest.
    static const char group_flag[] = "--upernet_group=";
    int kept = 1;
    for (int i = 1; i < argc; i++) {
        if (std::strncmp(argv[i], group_flag, sizeof group_flag - 1) == 0)
            upernet_bench_select_group(argv[i] + sizeof group_flag - 1);
        else
            argv[kept++] = argv[i];
    }
    argc = kept;
    upernet_bench_register_all();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
