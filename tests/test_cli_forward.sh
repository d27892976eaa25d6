#!/bin/sh
# upernet forward end to end through the CLI on the small custom config:
# writes a (1,3,40,36) pixel .npy by hand, checks the logits file's header and
# size, --repeat's forward_ms lines, --concurrent, a batch of two, the environment variables
# the CLI reads, and the exit codes of bad inputs (1) and usage errors (2).
set -u
data=${UPERNET_DATA_DIR:-data}
config=$data/golden/small-config.json
upernet=./upernet
tmp=$(mktemp -d "${TMPDIR:-/tmp}/upernet-cli-forward.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# A v1.0 .npy: magic, version, header length 118 (10 + 118 = 128), the
# header padded with spaces to end in '\n', then zeros.
npy() { # npy FILE SHAPE FLOATS
    header="{'descr': '<f4', 'fortran_order': False, 'shape': $2, }"
    pad=$((117 - ${#header}))
    { printf '\223NUMPY\001\000\166\000'
      printf '%s' "$header"
      printf "%${pad}s" ''
      printf '\n'
      head -c $(($3 * 4)) /dev/zero; } > "$1"
}

npy "$tmp/pixels.npy" "(1, 3, 40, 36)" $((3 * 40 * 36))
$TEST_EMULATOR $upernet forward --model "$config" --input "$tmp/pixels.npy" \
    --logits "$tmp/logits.npy" --repeat 2 2> "$tmp/stderr" || fail "forward failed: $(cat "$tmp/stderr")"
[ "$(grep -c '^forward_ms=[0-9.]*$' "$tmp/stderr")" = 2 ] || fail "expected 2 forward_ms lines: $(cat "$tmp/stderr")"
labels=$(head -c 128 "$tmp/logits.npy" | LC_ALL=C sed -n "s/.*'shape': (1, \([0-9]*\), 40, 36).*/\1/p")
[ -n "$labels" ] && [ "$labels" -gt 0 ] || fail "logits header: $(head -c 80 "$tmp/logits.npy")"
size=$(wc -c < "$tmp/logits.npy")
[ "$size" = $((128 + labels * 40 * 36 * 4)) ] || fail "logits file has $size bytes"
ls "$tmp" | grep -q tmp && fail "temporary file left behind"

# --concurrent: two forwards at once on the one model, a thread each, twice
# each: the logits are bitwise those of the serial run above.
$TEST_EMULATOR $upernet forward --model "$config" --input "$tmp/pixels.npy" \
    --logits "$tmp/concurrent.npy" --threads 2 --concurrent 2 --repeat 2 2> "$tmp/stderr" ||
    fail "concurrent forward failed: $(cat "$tmp/stderr")"
cmp -s "$tmp/logits.npy" "$tmp/concurrent.npy" || fail "concurrent logits differ from serial ones"
[ "$(grep -c '^forward_ms=[0-9.]*$' "$tmp/stderr")" = 4 ] || fail "expected 4 forward_ms lines: $(cat "$tmp/stderr")"
grep -q '^images_per_s=[0-9.]*$' "$tmp/stderr" || fail "no images_per_s line: $(cat "$tmp/stderr")"
$TEST_EMULATOR $upernet forward --model "$config" --input "$tmp/pixels.npy" \
    --logits "$tmp/x.npy" --threads 1 --concurrent 2 2> "$tmp/stderr"
[ $? = 2 ] && grep -q -- '--concurrent 2 needs at least 2 threads' "$tmp/stderr" ||
    fail "--concurrent above --threads: $(cat "$tmp/stderr")"

# A batch of two images: (2, C, 40, 36) logits.
npy "$tmp/batch.npy" "(2, 3, 40, 36)" $((2 * 3 * 40 * 36))
$TEST_EMULATOR $upernet forward --model "$config" --input "$tmp/batch.npy" \
    --logits "$tmp/batch-logits.npy" 2> "$tmp/stderr" || fail "batch forward failed: $(cat "$tmp/stderr")"
head -c 128 "$tmp/batch-logits.npy" | grep -q "'shape': (2, $labels, 40, 36)" ||
    fail "batch logits header: $(head -c 80 "$tmp/batch-logits.npy")"

# The environment the CLI (not the library) reads: UPERNET_CONV3X3 and UPERNET_ISA.
UPERNET_CONV3X3=direct $TEST_EMULATOR $upernet forward --model "$config" --input "$tmp/pixels.npy" \
    --logits "$tmp/direct.npy" --verbose 2> "$tmp/stderr" || fail "UPERNET_CONV3X3=direct failed"
grep -q "conv3x3=direct" "$tmp/stderr" || fail "UPERNET_CONV3X3=direct not applied: $(cat "$tmp/stderr")"
UPERNET_CONV3X3=fft $TEST_EMULATOR $upernet forward --model "$config" --input "$tmp/pixels.npy" \
    --logits "$tmp/x.npy" 2> "$tmp/stderr"
[ $? = 1 ] || fail "UPERNET_CONV3X3=fft should exit 1"
grep -q "UPERNET_CONV3X3 'fft'" "$tmp/stderr" || fail "message does not name the value: $(cat "$tmp/stderr")"
UPERNET_ISA=scalar $TEST_EMULATOR $upernet forward --model "$config" --input "$tmp/pixels.npy" \
    --logits "$tmp/scalar.npy" --verbose 2> "$tmp/stderr" || fail "UPERNET_ISA=scalar failed"
grep -q "tier=scalar" "$tmp/stderr" || fail "UPERNET_ISA=scalar not applied: $(cat "$tmp/stderr")"
UPERNET_ISA=bogus $TEST_EMULATOR $upernet forward --model "$config" --input "$tmp/pixels.npy" \
    --logits "$tmp/x.npy" 2> "$tmp/stderr"
[ $? = 1 ] || fail "UPERNET_ISA=bogus should exit 1"
grep -q "UPERNET_ISA.*bogus" "$tmp/stderr" || fail "message does not name the value: $(cat "$tmp/stderr")"

# Bad inputs: exit 1 with the file named.
npy "$tmp/small.npy" "(1, 3, 16, 16)" $((3 * 16 * 16))
$TEST_EMULATOR $upernet forward --model "$config" --input "$tmp/small.npy" --logits "$tmp/x.npy" 2> "$tmp/stderr"
[ $? = 1 ] || fail "a 16x16 input should exit 1"
grep -q "small.npy" "$tmp/stderr" || fail "message does not name the file: $(cat "$tmp/stderr")"
$TEST_EMULATOR $upernet forward --model nano --input "$tmp/pixels.npy" --logits "$tmp/x.npy" 2> "$tmp/stderr"
[ $? = 1 ] || fail "an unknown model should exit 1"
$TEST_EMULATOR $upernet forward --model tiny --input "$tmp/missing.npy" --logits "$tmp/x.npy" 2> "$tmp/stderr"
[ $? = 1 ] || fail "a missing input should exit 1"
[ -e "$tmp/x.npy" ] && fail "a failed run wrote its output"

# Usage errors: exit 2.
$TEST_EMULATOR $upernet forward --model tiny --input "$tmp/pixels.npy" 2> /dev/null
[ $? = 2 ] || fail "missing --logits should exit 2"
$TEST_EMULATOR $upernet forward --model tiny --input a --logits b --threads 0 2> /dev/null
[ $? = 2 ] || fail "--threads 0 should exit 2"
$TEST_EMULATOR $upernet forward --help | grep -q "usage: upernet forward" || fail "--help"
echo "PASS: upernet forward CLI"
exit 0
