#!/bin/sh
# Exit statuses of every upernet verb on hostile input: 0 on success, 1 with
# exactly one line on stderr naming the file at fault, 2 on a usage error,
# never a signal (a status >= 128 fails the test). A failed run must leave no
# output file and no temporary file behind.
set -u
U="${TEST_EMULATOR:+$TEST_EMULATOR }./upernet"  # through qemu when cross-built
DATA=${UPERNET_DATA_DIR:-data}
F=$DATA/fixtures
R=$DATA/regressions
I=$DATA/images
T=$(mktemp -d) || exit 99
trap 'rm -rf "$T"' EXIT
failures=0
checks=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# run WANT NAME cmd...: exit status WANT; for 1, one stderr line containing NAME.
run() {
    want=$1 name=$2
    shift 2
    checks=$((checks + 1))
    "$@" > "$T/out" 2> "$T/err"
    got=$?
    if [ "$got" -ge 128 ]; then
        fail "$* died of signal $((got - 128))"
        sed 's/^/    /' "$T/err" | head -n 5
        return
    fi
    [ "$got" -eq "$want" ] || { fail "$* exited $got, expected $want: $(head -n 3 "$T/err")"; return; }
    if [ "$want" -eq 1 ]; then
        lines=$(wc -l < "$T/err")
        [ "$lines" -eq 1 ] || fail "$*: $lines lines on stderr, expected one: $(cat "$T/err")"
        grep -qF -- "$name" "$T/err" || fail "$*: the message does not name $name: $(cat "$T/err")"
    fi
}

# No file named like the output and no temporary file left in $T/o.
no_outputs() {
    left=$(ls -A "$T/o" 2>/dev/null)
    [ -z "$left" ] || fail "$1: left files behind: $left"
    rm -rf "$T/o"
    mkdir -p "$T/o"
}
mkdir -p "$T/o"

# ---- usage errors: 2
run 2 - $U
run 2 - $U no-such-verb
for verb in info forward convert preprocess segment verify; do
    run 0 - $U $verb --help
    run 2 - $U $verb --no-such-option
done
run 2 - $U forward --model tiny
run 2 - $U forward --model tiny --input x.npy --logits y.npy --threads 0
run 2 - $U preprocess
run 2 - $U convert only-one-argument

# ---- weights files: every hostile fixture and saved regression
for f in "$F"/*.pt "$F"/*.pth "$F"/*.bin "$F"/*.safetensors "$F"/*.tar "$F"/not_weights.txt \
         "$R"/safetensors-* "$R"/torch_zip-* "$R"/pickle-*; do
    [ -f "$f" ] || continue
    checks=$((checks + 1))
    $U info "$f" > "$T/out" 2> "$T/err"
    got=$?
    case $got in
    0) ;;
    1) [ "$(wc -l < "$T/err")" -eq 1 ] && grep -qF -- "$f" "$T/err" ||
           fail "info $f: expected one line naming the file: $(cat "$T/err")" ;;
    *) fail "info $f exited $got: $(head -n 3 "$T/err")" ;;
    esac
    case $f in
    *hf.safetensors|*mmseg.pth|*hf_legacy.bin) ;; # valid but not of a model size
    *)
        checks=$((checks + 1))
        $U convert "$f" "$T/o" --model "$F/small_config.json" > "$T/out" 2> "$T/err"
        got=$?
        [ "$got" -lt 128 ] || fail "convert $f died of signal $((got - 128))"
        [ "$got" -eq 0 ] || no_outputs "convert $f"
        rm -rf "$T/o"; mkdir -p "$T/o" ;;
    esac
done
run 1 "$T/missing.pt" $U info "$T/missing.pt"

# ---- images: preprocess and segment on hostile images
printf 'not an image' > "$T/text.png"
: > "$T/empty.jpg"
head -c 200 "$I/jpeg-444-33x31.jpg" > "$T/cut.jpg"
head -c 100 "$I/png-200x3.png" > "$T/cut.png"
for f in "$T/text.png" "$T/empty.jpg" "$T/cut.jpg" "$T/cut.png" "$R"/png-* "$R"/jpeg-* "$T/missing.png"; do
    run 1 "$f" $U preprocess "$f" --size 32 --output "$T/o/pixels.npy"
    no_outputs "preprocess $f"
    run 1 "$f" $U segment "$f" --model "$DATA/golden/small-config.json" --size 32 -o "$T/o"
    no_outputs "segment $f"
done
run 0 - $U preprocess "$I/png-1x1.png" --size 32 --output "$T/o/pixels.npy"
[ -s "$T/o/pixels.npy" ] || fail "preprocess wrote no pixels.npy"

# ---- forward on hostile .npy and configs
cp "$T/o/pixels.npy" "$T/pixels.npy"
rm -f "$T/o/pixels.npy"
head -c 100 "$T/pixels.npy" > "$T/cut.npy"
for f in "$R"/npy-* "$T/cut.npy" "$T/text.png" "$T/missing.npy"; do
    run 1 "$f" $U forward --model "$DATA/golden/small-config.json" --input "$f" --logits "$T/o/logits.npy"
    no_outputs "forward $f"
done
for f in "$R"/config-* "$F/not_weights.txt" "$T/missing.json"; do
    cp "$f" "$T/bad-config.json" 2>/dev/null || rm -f "$T/bad-config.json"
    run 1 "bad-config.json" $U forward --model "$T/bad-config.json" --input "$T/pixels.npy" --logits "$T/o/logits.npy"
    no_outputs "forward --model $f"
done
run 1 "no-such-size" $U forward --model no-such-size --input "$T/pixels.npy" --logits "$T/o/logits.npy"
# an output directory that does not exist: the output path is named
run 1 "$T/nodir/logits.npy" $U forward --model "$DATA/golden/small-config.json" --input "$T/pixels.npy" \
    --logits "$T/nodir/logits.npy"
run 0 - $U forward --model "$DATA/golden/small-config.json" --input "$T/pixels.npy" --logits "$T/o/logits.npy"
[ -s "$T/o/logits.npy" ] || fail "forward wrote no logits.npy"
[ "$(ls -A "$T/o")" = "logits.npy" ] || fail "forward left other files: $(ls -A "$T/o")"

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
