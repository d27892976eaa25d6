#!/bin/sh
# mpirun -n 2 upernet evaluate gives the single-process report byte for byte
# (same counts, same JSON), in slide and whole mode, and refuses --shard
# under mpirun. SKIP (77) unless configured --with-mpi and mpirun exists;
# FAIL instead when UPERNET_TEST_REQUIRE_MPI is set (CI's mpi step).
set -u
bin=${UPERNET_BIN:-./upernet}
data=${UPERNET_DATA_DIR:-data}
cannot_run() {
    if [ -n "${UPERNET_TEST_REQUIRE_MPI:-}" ]; then
        echo "FAIL: UPERNET_TEST_REQUIRE_MPI is set but $1"
        exit 1
    fi
    echo "SKIP: $1"
    exit 77
}
[ "${UPERNET_WITH_MPI:-no}" = yes ] || cannot_run "upernet was built without --with-mpi"
command -v mpirun >/dev/null 2>&1 || cannot_run "no mpirun (Debian openmpi-bin)"
work=$(mktemp -d "${TMPDIR:-/tmp}/upernet-mpi-XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
failures=0
. "$(dirname "$0")/cli-expect.sh"

# libtool's wrapper script runs the real binary; mpirun starts it per rank.
mpi() { mpirun --allow-run-as-root --oversubscribe -n 2 "$bin" "$@"; }
args="--model $data/fixtures/small_config.json --images $data/eval/images --annotations $data/eval/annotations --quiet --threads 1"
slide="--mode slide --scale 256x64 --crop 64 --stride 43"

expect 0 "one process, slide" "$bin" evaluate $args $slide --json "$work/one.json"
expect 0 "mpirun -n 2, slide" mpi evaluate $args $slide --json "$work/two.json"
check "mpirun -n 2 = one process (slide)" "cmp -s '$work/one.json' '$work/two.json'"
check "one table, from rank 0" "[ \$(grep -c 'aAcc *mIoU *mAcc' '$work/stdout') -eq 1 ]"
expect 0 "one process, whole" "$bin" evaluate $args --size 64x64 --limit 7 --json "$work/one-whole.json"
expect 0 "mpirun -n 2, whole" mpi evaluate $args --size 64x64 --limit 7 --json "$work/two-whole.json"
check "mpirun -n 2 = one process (whole, 7 images)" "cmp -s '$work/one-whole.json' '$work/two-whole.json'"
expect 2 "--shard under mpirun" mpi evaluate $args --shard 1/2

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
