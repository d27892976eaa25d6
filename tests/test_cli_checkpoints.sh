#!/bin/sh
# upernet convert / info WEIGHTS / forward --weights on the checkpoint
# fixtures: outputs and exit statuses (0 ok, 1 bad input, 2 usage), no
# partial output on failure, unused keys warned about (--strict refuses).
set -u
U="${TEST_EMULATOR:+$TEST_EMULATOR }./upernet"  # through qemu when cross-built
D="${UPERNET_DATA_DIR:-data}/fixtures"
T=$(mktemp -d) || exit 99
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
expect() { # expect STATUS command...
    want=$1; shift
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    [ "$got" -eq "$want" ] || { cat "$T/out" "$T/err"; fail "$* exited $got, expected $want"; }
}

expect 0 $U info "$D/mmseg.pth"
grep -q '^format: *torch zip' "$T/out" || fail "info: format"
grep -q '^naming: *mmseg' "$T/out" || fail "info: naming"
grep -q '^tensors: *142' "$T/out" || fail "info: tensor count"
grep -q '^levels: *stage1 stage2 stage3 stage4$' "$T/out" || fail "info: levels"
grep -q '^layer scale: *yes' "$T/out" || fail "info: layer scale"
expect 0 $U info "$D/views_legacy.pt"
grep -q 'F16 x2 BF16 x1 F64 x1' "$T/out" || fail "info: dtypes"
expect 1 $U info "$D/torchscript.pt"
grep -q 'TorchScript' "$T/err" || fail "info: TorchScript message"
expect 1 $U info "$D/not_weights.txt"
grep -q 'not_weights.txt: not a weights file' "$T/err" || fail "info: not a weights file"

expect 0 $U convert "$D/mmseg.pth" "$T/hf" --model "$D/small_config.json"
for f in model.safetensors config.json preprocessor_config.json; do
    [ -s "$T/hf/$f" ] || fail "convert: no $f"
done
ls "$T/hf" | grep -q tmp && fail "convert: temporary file left behind"
expect 0 $U info "$T/hf/model.safetensors"
grep -q '^naming: *hf' "$T/out" || fail "converted file: naming"
grep -q '^tensors: *142' "$T/out" || fail "converted file: tensor count"
grep -q 'SegformerImageProcessor' "$T/hf/preprocessor_config.json" || fail "preprocessor_config.json"
expect 0 $U info "$T/hf" # a directory: its model.safetensors

# forward --weights DIR: the converted directory, its config.json standing in for --model
h="{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 32, 32), }"
# (a version 1.0 header of 118 bytes: 10 + 118 = 128, a multiple of 64)
{ printf '\223NUMPY\001\000\166\000%s%*s\n' "$h" $((117 - ${#h})) ""; head -c 12288 /dev/zero; } >"$T/zeros.npy"
expect 0 $U forward --weights "$T/hf" --input "$T/zeros.npy" --logits "$T/logits.npy"
[ -s "$T/logits.npy" ] || fail "forward --weights DIR: no logits"
expect 1 $U forward --model "$D/small_config.json" --weights "$D/views.pt" --input "$T/zeros.npy" \
    --logits "$T/bad.npy"
[ -e "$T/bad.npy" ] && fail "forward: logits written for invalid weights"

# Keys the configuration does not use: loaded with one warning line naming
# them (as from_pretrained warns); --strict refuses the file, naming them.
expect 0 $U forward --model "$D/small_config.json" --weights "$D/extra_keys.safetensors" \
    --input "$T/zeros.npy" --logits "$T/extra.npy"
[ "$(grep -c . "$T/err")" -eq 1 ] || { cat "$T/err"; fail "forward: not one warning line"; }
grep -q 'warning: .*extra_keys.safetensors: 3 keys the configuration does not use' "$T/err" ||
    fail "forward: warning text"
for k in decode_head.extra_proj.weight backbone.encoder.extra_norm.weight \
    decode_head.extra_proj.num_batches_tracked; do
    grep -q "$k" "$T/err" || fail "forward: the warning does not name $k"
done
expect 1 $U forward --strict --model "$D/small_config.json" --weights "$D/extra_keys.safetensors" \
    --input "$T/zeros.npy" --logits "$T/strict.npy"
grep -q 'unexpected decode_head.extra_proj' "$T/err" || fail "forward --strict: message"
[ -e "$T/strict.npy" ] && fail "forward --strict: logits written"
expect 0 $U forward --strict --weights "$T/hf" --input "$T/zeros.npy" --logits "$T/clean.npy"
[ -s "$T/err" ] && { cat "$T/err"; fail "forward --strict: output on stderr for a clean file"; }

# A three-level configuration (transformers' UperNetModelTester) through
# convert, info and forward: the converted directory computes what the
# synthetic model of its config.json computes, bit for bit.
G="${UPERNET_DATA_DIR:-data}/golden"
expect 0 $U convert "$G/tester-config.json" "$T/tester"
expect 0 $U info "$T/tester"
grep -q '^tensors: *128' "$T/out" || fail "info of the three-level checkpoint: tensor count"
grep -q '^levels: *stage2 stage3 stage4$' "$T/out" || fail "info of the three-level checkpoint: levels"
expect 0 $U forward --weights "$T/tester" --input "$T/zeros.npy" --logits "$T/tester-a.npy"
expect 0 $U forward --model "$G/tester-config.json" --input "$T/zeros.npy" --logits "$T/tester-b.npy"
cmp -s "$T/tester-a.npy" "$T/tester-b.npy" || fail "three levels: converted weights differ from the synthetic model"
expect 1 $U convert "$D/mmseg.pth" "$T/none" # no --model, no built-in size matches
grep -q 'none of the built-in sizes' "$T/err" || fail "convert: size message"
expect 1 $U convert "$D/views.pt" "$T/bad" --model "$D/small_config.json"
grep -q 'missing' "$T/err" || fail "convert: validation message"
[ -e "$T/bad/model.safetensors" ] && fail "convert: output written for invalid weights"
expect 1 $U convert "$D/truncated_zip.pt" "$T/trunc" --model tiny
expect 2 $U convert "$D/mmseg.pth"
expect 0 $U convert --help
exit 0
