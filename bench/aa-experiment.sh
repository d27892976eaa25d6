#!/bin/sh
# The A/A experiment behind make bench-aa: how often does bench-compare cry
# wolf on this machine, and does it still catch a real slowdown?
#
#   aa-experiment.sh BENCHDB DB PAIRS THRESHOLD MAKE [MAKE-ARGS...]
#
# Into a fresh history DB, PAIRS times: `MAKE bench` twice on the same
# commit (A, then A'), then `upernet-benchdb compare` of A' against A with
# the rule make bench-compare applies (--threshold THRESHOLD): any
# REGRESSION is a false alarm. Then the same A' with one code benchmark made
# 25% slower (every repetition, real and CPU time; a different benchmark in
# each pair) is recorded under its own commit label and compared against A:
# it must be that benchmark's REGRESSION. The history keeps every rerun, as
# a machine's history does, so the rule learns this machine's between-run
# noise as it goes.
#
# Prints one line per pair and a summary; exit status 1 if any compare
# raised a false alarm or missed the slowdown.
set -u
[ $# -ge 5 ] || { echo "usage: $0 BENCHDB DB PAIRS THRESHOLD MAKE [MAKE-ARGS...]" >&2; exit 2; }
benchdb=$1 db=$2 pairs=$3 threshold=$4
shift 4
tmp=$(mktemp -d "${TMPDIR:-/tmp}/upernet-bench-aa.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
case $db in
    postgresql://* | postgres://*) echo "bench-aa: BENCH_AA_DB must be a scratch SQLite file" >&2; exit 2 ;;
esac
rm -f "$db"

# bench OUT MAKE...: one make bench into the scratch history, its merged
# JSON in OUT; prints the run id.
bench() {
    out=$1
    shift
    "$@" bench BENCH_DB="$db" BENCH_OUT="$out" > "$tmp/bench.log" 2>&1 ||
        { tail -n 30 "$tmp/bench.log" >&2; echo "bench-aa: make bench failed" >&2; exit 1; }
    sed -n 's/^recorded run \([0-9]*\) .*/\1/p' "$tmp/bench.log" | tail -n 1
}
# slow_down IN OUT NAME: IN with every repetition of benchmark NAME 25% slower.
slow_down() {
    awk -v target="$3" '
        /"name": "/ { line = $0; sub(/.*"name": "/, "", line); sub(/".*/, "", line)
                      hit = (line == target || index(line, target "/") == 1) }
        hit && /"(real_time|cpu_time)": / {
            match($0, /-?[0-9.]+([eE][-+]?[0-9]+)?/)
            $0 = substr($0, 1, RSTART - 1) sprintf("%.17g", 1.25 * substr($0, RSTART, RLENGTH)) substr($0, RSTART + RLENGTH)
        }
        { print }' "$1" > "$2"
}
make_cmd="$*"
false_alarms=0 missed=0 flagged_total=0
echo "A/A experiment: $pairs pairs of make bench on one commit, compared with --threshold $threshold"
echo "(make: $make_cmd; history: $db)"
i=1
while [ "$i" -le "$pairs" ]; do
    load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
    a=$(bench "$tmp/a.json" "$@")
    b=$(bench "$tmp/b.json" "$@")
    "$benchdb" compare --db "$db" --current "run:$b" --baseline "run:$a" --threshold "$threshold" \
        > "$tmp/aa.out" 2>&1
    n=$(grep -c ' REGRESSION$' "$tmp/aa.out")
    flagged_total=$((flagged_total + n))
    [ "$n" -gt 0 ] && false_alarms=$((false_alarms + 1))
    # The pair's slowed benchmark: the i-th code benchmark of the run.
    victim=$(sed -n 's/.*"run_name": "\([^"]*\)".*/\1/p' "$tmp/b.json" | sed 's|/real_time$||' |
             grep -v -E '^(memory|peak|fmapeak)/' | sort -u | awk -v i="$i" '
             { names[NR] = $0 } END { print names[(i * 7 - 1) % NR + 1] }')
    slow_down "$tmp/b.json" "$tmp/slow.json" "$victim"
    slow=$("$benchdb" record --db "$db" --json "$tmp/slow.json" --commit "aa-slowed-$i" --quiet |
           sed -n 's/^recorded run \([0-9]*\) .*/\1/p')
    [ -n "$slow" ] || { echo "bench-aa: recording the slowed run failed" >&2; exit 1; }
    "$benchdb" compare --db "$db" --current "run:$slow" --baseline "run:$a" --threshold "$threshold" \
        > "$tmp/slow.out" 2>&1
    if grep -q "^$victim .* REGRESSION\$" "$tmp/slow.out"; then caught=caught; else caught=MISSED; missed=$((missed + 1)); fi
    printf 'pair %2d: runs %s/%s, load %s: %d false alarm%s%s; %s slowed 25%%: %s\n' "$i" "$a" "$b" "$load" "$n" \
        "$([ "$n" = 1 ] || echo s)" "$([ "$n" -gt 0 ] && grep ' REGRESSION$' "$tmp/aa.out" | awk '{ printf " (%s %s)", $1, $6 }')" \
        "$victim" "$caught"
    i=$((i + 1))
done
echo "A/A false alarms: $false_alarms of $pairs compares ($flagged_total benchmark verdicts);" \
     "25% slowdown of one kernel caught in $((pairs - missed)) of $pairs"
[ "$false_alarms" = 0 ] && [ "$missed" = 0 ]
