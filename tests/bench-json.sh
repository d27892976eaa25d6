# Synthetic Google Benchmark JSON for the history tests (sourced by
# tests/test_bench_compare.sh and tests/test_benchdb.sh).
#
# bench_json FILE F0 F1 ... F9: benchmark i ("$BENCH_JSON_PREFIX$i", default
# prefix demo/avx2/case) takes (i+1) ms * Fi, repetition r another r %;
# single-threaded, three repetitions each, with a %peak counter; plus an
# FMA-peak and a DRAM-triad benchmark that give the run its machine figures
# (61 GFLOP/s, 11 GB/s).
bench_json() {
    out=$1
    shift
    prefix=${BENCH_JSON_PREFIX:-demo/avx2/case}
    {
        printf '{"context": {"date": "2026-01-01T00:00:00+00:00", "host_name": "testhost",'
        printf ' "num_cpus": 2, "upernet_cpu_model": "test cpu", "upernet_cpu_features": "fma avx2",'
        printf ' "load_avg": [0.5, 0.5, 0.5]},\n "benchmarks": [\n'
        i=0
        sep=''
        for f in "$@"; do
            for r in 0 1 2; do
                t=$(awk -v i=$i -v f="$f" -v r=$r 'BEGIN { printf "%.1f", (i + 1) * 1e6 * f * (1 + r / 100) }')
                printf '%s  {"name": "%s%d", "run_name": "%s%d", "run_type": "iteration",' "$sep" "$prefix" $i "$prefix" $i
                printf ' "repetitions": 3, "repetition_index": %d, "threads": 1, "iterations": 10,' $r
                printf ' "real_time": %s, "cpu_time": %s, "time_unit": "ns", "%%peak": %d}' "$t" "$t" $((50 + i))
                sep=',
'
            done
            i=$((i + 1))
        done
        for r in 0 1 2; do
            printf ',\n  {"name": "peak/fma/avx2/threads:2", "run_name": "peak/fma/avx2/threads:2",'
            printf ' "run_type": "iteration", "repetitions": 3, "repetition_index": %d, "threads": 1,' $r
            printf ' "iterations": 100, "real_time": 1000, "cpu_time": 1000, "time_unit": "ns", "GFLOP/s": %d}' $((60 + r))
            printf ',\n  {"name": "memory/triad/DRAM/threads:2", "run_name": "memory/triad/DRAM/threads:2",'
            printf ' "run_type": "iteration", "repetitions": 3, "repetition_index": %d, "threads": 1,' $r
            printf ' "iterations": 100, "real_time": 1000, "cpu_time": 1000, "time_unit": "ns", "GB/s": %d}' $((10 + r))
        done
        printf '\n]}\n'
    } > "$out"
}
