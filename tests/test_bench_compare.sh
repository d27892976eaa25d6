#!/bin/sh
# upernet-benchdb compare's verdicts on synthetic Google Benchmark JSON (ten
# single-threaded benchmarks, three repetitions each, 1% apart):
#   1. a rerun on a machine that got faster unevenly (half the benchmarks
#      25% faster, half 8%) flags nothing and exits 0: the drift is not
#      corrected for when it is a speed-up;
#   2. one benchmark 25% slower, the rest unchanged: exactly that one is a
#      REGRESSION and the exit status is 1 (the smallest slowdown of one
#      kernel the rule must catch);
#   3. a machine 30% slower overall with one benchmark 2.4x slower: only
#      that one is flagged (the drift correction keeps the others clean).
set -u
benchdb=./bench/upernet-benchdb
tmp=$(mktemp -d "${TMPDIR:-/tmp}/upernet-bench-compare.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

. "$(dirname "$0")/bench-json.sh"

# scenario NAME BASELINE_FACTORS... -- CURRENT_FACTORS...: records both runs
# in a fresh database and compares; leaves the output in $tmp/NAME.out and
# returns compare's exit status.
scenario() {
    name=$1
    shift
    base=''
    while [ "$1" != -- ]; do base="$base $1"; shift; done
    shift
    bench_json "$tmp/$name-base.json" $base
    bench_json "$tmp/$name-cur.json" "$@"
    db=$tmp/$name.sqlite
    $TEST_EMULATOR $benchdb record --db "$db" --json "$tmp/$name-base.json" --commit aaaa \
        --dirty 0 --quiet > /dev/null || fail "$name: record baseline"
    $TEST_EMULATOR $benchdb record --db "$db" --json "$tmp/$name-cur.json" --commit bbbb \
        --dirty 0 --quiet > /dev/null || fail "$name: record current"
    $TEST_EMULATOR $benchdb compare --db "$db" --baseline previous > "$tmp/$name.out" 2>&1
}

ones='1 1 1 1 1 1 1 1 1 1'

scenario faster $ones -- 0.75 0.75 0.75 0.75 0.75 0.92 0.92 0.92 0.92 0.92
rc=$?
[ $rc -eq 0 ] || { cat "$tmp/faster.out"; fail "an unevenly faster rerun exits $rc"; }
grep -q REGRESSION "$tmp/faster.out" && { cat "$tmp/faster.out"; fail "an unevenly faster rerun flags a regression"; }

scenario slowed $ones -- 1 1 1 1.25 1 1 1 1 1 1
rc=$?
[ $rc -eq 1 ] || { cat "$tmp/slowed.out"; fail "a 25% slower benchmark exits $rc, not 1"; }
[ "$(grep -c REGRESSION "$tmp/slowed.out")" -eq 1 ] && grep -q 'demo/avx2/case3 .*REGRESSION' "$tmp/slowed.out" \
    || { cat "$tmp/slowed.out"; fail "the slowed benchmark is not the one regression"; }

scenario busy $ones -- 1.3 1.3 1.3 1.3 1.3 1.3 3.12 1.3 1.3 1.3
rc=$?
[ $rc -eq 1 ] || { cat "$tmp/busy.out"; fail "2.4x slower on a 30% slower machine exits $rc, not 1"; }
[ "$(grep -c REGRESSION "$tmp/busy.out")" -eq 1 ] && grep -q 'demo/avx2/case6 .*REGRESSION' "$tmp/busy.out" \
    || { cat "$tmp/busy.out"; fail "a 30% slower machine flags more than the slowed benchmark"; }
echo "bench-compare verdicts: 3 scenarios as expected"
