#!/bin/sh
# The noise-free performance gate: instruction counts of fixed kernel
# workloads (bench/upernet-icount) on the scalar and AVX2 tiers, measured with
# callgrind (single thread; only the kernel calls inside icount_workload() are
# counted), against the committed baseline bench/icount-baseline.tsv.
#
#   icount-gate.sh PROGRAM BASELINE.tsv            compare; exit 1 if a count moved
#                                                  by more than ICOUNT_TOLERANCE % (2)
#   icount-gate.sh --update PROGRAM BASELINE.tsv   rewrite the baseline (make icount-baseline)
#
# Counts are exact for one toolchain; a new compiler or flags shift them, and
# so does any change to a kernel: both are reasons to look, then refresh the
# baseline with `make icount-baseline` and commit it. A workload without a
# baseline line (a new kernel) is reported but does not fail. AVX-512 cannot
# run under valgrind 3.19 (SIGILL), so that tier is not gated. Exits 77 (skip)
# when valgrind is missing.
set -u
update=0
if [ "${1:-}" = --update ]; then
    update=1
    shift
fi
if [ $# -ne 2 ]; then
    echo "usage: $0 [--update] PROGRAM BASELINE.tsv" >&2
    exit 2
fi
prog=$1
baseline=$2
tolerance=${ICOUNT_TOLERANCE:-2}
tiers=${ICOUNT_TIERS:-scalar avx2}

if ! command -v valgrind >/dev/null 2>&1; then
    echo "icount-gate: SKIP: valgrind is not installed"
    exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/icount.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

tier_pattern=$(echo $tiers | sed 's/ /|/g')
OMP_NUM_THREADS=1 "$prog" --list | grep -E "^[^/]+/($tier_pattern)/" > "$tmp/names" || true
if [ ! -s "$tmp/names" ]; then
    echo "icount-gate: $prog lists no workload for tiers: $tiers" >&2
    exit 1
fi

# name<TAB>count for every workload.
: > "$tmp/measured"
while read -r name; do
    OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive valgrind --tool=callgrind \
        --callgrind-out-file="$tmp/cg.out" --toggle-collect=icount_workload \
        "$prog" "$name" > "$tmp/log" 2>&1
    rc=$?
    count=$(awk '/^(summary|totals):/ { print $2; exit }' "$tmp/cg.out" 2>/dev/null)
    if [ $rc -ne 0 ] || [ -z "$count" ]; then
        echo "icount-gate: callgrind failed on $name (exit $rc):" >&2
        tail -5 "$tmp/log" >&2
        exit 1
    fi
    printf '%s\t%s\n' "$name" "$count" >> "$tmp/measured"
done < "$tmp/names"

if [ $update = 1 ]; then
    {
        echo "# Instruction counts of bench/upernet-icount workloads under callgrind"
        echo "# (--toggle-collect=icount_workload, OMP_NUM_THREADS=1). Refresh: make icount-baseline"
        echo "# valgrind: $(valgrind --version)"
        echo "# compiler: ${ICOUNT_CC:-unknown} ${ICOUNT_CFLAGS:-}"
        sort "$tmp/measured"
    } > "$baseline.tmp" && mv "$baseline.tmp" "$baseline"
    echo "icount-gate: wrote $(wc -l < "$tmp/measured") counts to $baseline"
    exit 0
fi

if [ ! -f "$baseline" ]; then
    echo "icount-gate: no baseline $baseline; create it with make icount-baseline" >&2
    exit 1
fi
awk -F '\t' -v tol="$tolerance" '
    FNR == NR { if ($0 !~ /^#/ && NF == 2) base[$1] = $2; next }
    {
        name = $1; count = $2
        if (!(name in base)) {
            printf "%-72s %12d %12s %8s  NEW (no baseline: make icount-baseline)\n", name, count, "-", "-"
            next
        }
        d = 100.0 * (count - base[name]) / base[name]
        verdict = (d > tol || d < -tol) ? "FAIL" : "ok"
        if (verdict == "FAIL") failed++
        printf "%-72s %12d %12d %+7.2f%%  %s\n", name, count, base[name], d, verdict
        seen[name] = 1
    }
    END {
        for (n in base) if (!(n in seen)) printf "%-72s %12s %12d %8s  not run on this host\n", n, "-", base[n], "-"
        if (failed) {
            printf "icount-gate: %d workload(s) moved by more than %s%%; if intended, run make icount-baseline and commit bench/icount-baseline.tsv\n", failed, tol
            exit 1
        }
        printf "icount-gate: all counts within %s%% of the baseline\n", tol
    }' "$baseline" "$tmp/measured"
