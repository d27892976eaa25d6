#!/bin/sh
# upernet evaluate on the fixture dataset (data/eval, tools/make_eval_fixtures.py)
# with the small custom config (synthetic weights, fast): the JSON report's
# keys, whole and slide modes, shards + --merge equal to one process byte
# for byte, --merge refusals, bad datasets (exit 1, the file named, nothing
# written) and usage errors (exit 2).
set -u
bin=${UPERNET_BIN:-./upernet}
data=${UPERNET_DATA_DIR:-data}
work=$(mktemp -d "${TMPDIR:-/tmp}/upernet-eval-XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
failures=0
small="$data/fixtures/small_config.json"
images="$data/eval/images"
annotations="$data/eval/annotations"

upernet() { ${TEST_EMULATOR:-} "$bin" "$@"; }

. "$(dirname "$0")/cli-expect.sh"

slide="--mode slide --scale 256x64 --crop 64 --stride 43"
run() { upernet evaluate --model "$small" --images "$images" --annotations "$annotations" --quiet "$@"; }

# Whole mode at a small model size; the report has exactly the issue's keys.
expect 0 "whole mode" run --size 64x64 --json "$work/whole.json"
check "table ends with aAcc mIoU mAcc" "grep -q 'aAcc *mIoU *mAcc' '$work/stdout'"
check "12 images counted" "grep -q '\"images\": 12' '$work/whole.json'"
keys=$(grep -o '^ "[A-Za-z_]*"' "$work/whole.json" | tr -d ' "' | tr '\n' ' ')
check "top-level keys" "[ '$keys' = 'images mode model aAcc mIoU mAcc classes out_of_range_labels ' ]"
class_keys=$(grep -o '"[A-Za-z_]*":' "$work/whole.json" | sort -u | tr -d '":' | tr '\n' ' ')
check "class keys" "[ '$class_keys' = 'Acc IoU aAcc area_intersect area_label area_pred area_union classes images index mAcc mIoU mode model name out_of_range_labels ' ]"
check "out-of-range labels reported" "grep -q '\"out_of_range_labels\": [1-9]' '$work/whole.json'"

# Slide mode, then three shards merged: the same report, byte for byte.
expect 0 "slide mode" run $slide --json "$work/slide.json"
check "slide mode recorded" "grep -q '\"mode\": \"slide\"' '$work/slide.json'"
for k in 1 2 3; do
    expect 0 "shard $k/3" run $slide --shard $k/3 --json "$work/part$k.json"
done
check "shard recorded" "grep -q '\"shard\": \"2/3\"' '$work/part2.json'"
check "shard 1/3 has images 1, 4, 7, 10" "grep -q '\"images\": 4' '$work/part1.json'"
expect 0 "merge" upernet evaluate --merge "$work/part3.json" "$work/part1.json" "$work/part2.json" \
    --json "$work/merged.json"
check "merged = one process" "cmp -s '$work/merged.json' '$work/slide.json'"
expect 1 "merge: duplicate shard" upernet evaluate --merge "$work/part1.json" "$work/part1.json" \
    "$work/part2.json" "$work/part3.json"
check "duplicate named" "grep -q 'shard 1/3 given twice' '$work/stderr'"
expect 1 "merge: missing shard" upernet evaluate --merge "$work/part1.json" "$work/part3.json"
check "gap named" "grep -q 'shard 2/3 is missing' '$work/stderr'"
expect 0 "whole shard" run --size 64x64 --shard 2/3 --json "$work/whole2.json"
expect 1 "merge: another mode" upernet evaluate --merge "$work/part1.json" "$work/whole2.json" \
    "$work/part3.json"
check "mode mismatch named" "grep -q 'whole2.json: model .*, mode whole' '$work/stderr'"
expect 1 "merge: not a shard" upernet evaluate --merge "$work/slide.json"

# Whole mode predicts what segment predicts: every fixture image scored
# against segment's class map (at the image size) as its annotation is
# right everywhere.
mkdir -p "$work/same/ann"
expect 0 "segment the fixture folder" upernet segment "$images" --model "$small" --size 64x64 \
    -o "$work/same/seg"
for f in "$work/same/seg"/*.classes.png; do
    stem=$(basename "$f" .classes.png)
    cp "$f" "$work/same/ann/$stem.png"
done
expect 0 "evaluate against segment's class maps" upernet evaluate --model "$small" \
    --images "$images" --annotations "$work/same/ann" --size 64x64 \
    --no-reduce-zero-label --quiet --json "$work/same.json"
check "whole mode = segment: 12 images" "grep -q '\"images\": 12' '$work/same.json'"
check "whole mode = segment: aAcc 1" "grep -q '\"aAcc\": 1.0,' '$work/same.json'"
check "whole mode = segment: mIoU 1" "grep -q '\"mIoU\": 1.0,' '$work/same.json'"

# Multi-scale + flip: 12 slide views per image, its own mode in the report.
expect 0 "slide + ms-flip" run $slide --aug ms-flip --limit 2 --json "$work/msflip.json"
check "ms-flip recorded" "grep -q '\"mode\": \"slide+ms-flip\"' '$work/msflip.json'"
check "ms-flip counted 2 images" "grep -q '\"images\": 2' '$work/msflip.json'"

# Bad datasets: exit 1 before any inference, the file named, no report.
bad() {
    what=$1
    pattern=$2
    rm -f "$work/bad.json"
    expect 1 "$what" upernet evaluate --model "$small" --images "$work/img" \
        --annotations "$work/ann" --quiet --json "$work/bad.json"
    check "$what: message names $pattern" "grep -q '$pattern' '$work/stderr'"
    check "$what: nothing written" "[ ! -e '$work/bad.json' ] && [ ! -s '$work/stdout' ]"
}
fresh() {
    rm -rf "$work/img" "$work/ann"
    mkdir "$work/img" "$work/ann"
    cp "$images"/ADE_fixture_0[1-3].* "$work/img/"
    cp "$annotations"/ADE_fixture_0[1-3].png "$work/ann/"
}
fresh; rm "$work/ann/ADE_fixture_02.png"
bad "missing annotation" "img/ADE_fixture_02.png: no annotation .*ann/ADE_fixture_02.png"
fresh; cp "$annotations/ADE_fixture_04.png" "$work/ann/"
bad "extra annotation" "ann/ADE_fixture_04.png: annotation without an image"
fresh; cp "$annotations/ADE_fixture_04.png" "$work/ann/ADE_fixture_02.png"
bad "size mismatch" "img/ADE_fixture_02.png is 48x32 but its annotation .*ADE_fixture_02.png is 33x75"
fresh; cp "$data/images/png-gray16-29x19.png" "$work/ann/ADE_fixture_03.png"
bad "16-bit annotation" "ann/ADE_fixture_03.png: annotation is a 16-bit grayscale PNG"
fresh; cp "$data/images/png-rgb8-41x37.png" "$work/ann/ADE_fixture_03.png"
bad "RGB annotation" "ann/ADE_fixture_03.png: annotation is a 8-bit RGB PNG"
fresh; head -c 300 "$images/ADE_fixture_03.jpg" >"$work/img/ADE_fixture_03.jpg"
bad "corrupt image" "img/ADE_fixture_03.jpg"
fresh; rm "$work/img"/*
bad "no images" "no \*.jpg, \*.jpeg or \*.png images"

# The report names the classes as the config.json's id2label does, and a
# preprocessor_config.json (--processor) sets whole mode's preprocessing:
# at its default settings the report is the same as without it.
check "class names from id2label" "grep -q '\"name\": \"LABEL_0\"' '$work/whole.json'"
printf '{"size": {"height": 64, "width": 64}}' > "$work/processor.json"
expect 0 "whole mode with --processor" run --processor "$work/processor.json" --json "$work/processor-report.json"
check "--processor at the default settings changes nothing" "cmp -s '$work/whole.json' '$work/processor-report.json'"
printf '{"size": {"height": 64, "width": 64}, "image_mean": [0.2, 0.2, 0.2]}' > "$work/processor-mean.json"
expect 0 "whole mode with another mean" run --processor "$work/processor-mean.json" --json "$work/mean-report.json"
check "another image_mean changes the counts" "! cmp -s '$work/whole.json' '$work/mean-report.json'"
printf '{"resample": 0}' > "$work/nearest.json"
expect 1 "a NEAREST processor is refused" run --processor "$work/nearest.json"
check "the refusal names resample" "grep -q 'resample = 0 (NEAREST)' '$work/stderr'"

# A checkpoint with keys the configuration does not use: one warning line
# naming them; --strict refuses it.
fixtures="$data/fixtures"
expect 0 "evaluate with unused keys" upernet evaluate --model "$fixtures/small_config.json" --weights "$fixtures/extra_keys.safetensors" --images "$images" --annotations "$annotations" --quiet --size 64x64 --limit 1
check "one warning line naming the unused keys" "[ \$(grep -c . '$work/stderr') -eq 1 ] && grep -q 'decode_head.extra_proj.weight' '$work/stderr'"
expect 1 "evaluate --strict refuses them" upernet evaluate --model "$fixtures/small_config.json" --weights "$fixtures/extra_keys.safetensors" --images "$images" --annotations "$annotations" --quiet --size 64x64 --limit 1 --strict
check "the refusal names them" "grep -q 'unexpected decode_head.extra_proj' '$work/stderr'"

# Usage errors.
expect 2 "bad --shard" run --shard 4/3
expect 2 "bad --mode" run --mode tiles
expect 2 "ms-flip needs slide" run --aug ms-flip
expect 2 "no slide defaults for a config" run --mode slide
expect 0 "--help" upernet evaluate --help
check "--help names every option" "grep -q -- '--no-reduce-zero-label' '$work/stdout' && grep -q -- '--merge' '$work/stdout'"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
