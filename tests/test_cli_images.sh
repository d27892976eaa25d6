#!/bin/sh
# The image verbs of the CLI on the committed fixtures: preprocess output
# bytes, segment outputs for a folder, bad input and unwritable outputs
# (exit 1, no partial files), usage errors (exit 2), thread-count
# independence, and verify with the synthetic weights.
# Most runs use the small custom config of data/fixtures (synthetic weights,
# fast even under qemu); UPERNET_TEST_QUICK=1 skips the one 512x512 tiny run.
set -u
# The byte-exact output checks hash with coreutils' sha256sum; without it
# they cannot run, and the test says so instead of passing without them.
if ! command -v sha256sum >/dev/null 2>&1; then
    echo "SKIP: sha256sum (coreutils) is not installed: the byte-exact output checks cannot run"
    exit 77
fi
bin=${UPERNET_BIN:-./upernet}
data=${UPERNET_DATA_DIR:-data}
work=$(mktemp -d "${TMPDIR:-/tmp}/upernet-cli-XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
failures=0
small="$data/fixtures/small_config.json"
UPERNET_CACHE="$work/no-cache" # never the user's real downloads
export UPERNET_CACHE

# The tool, through the test emulator of a cross build (qemu-user).
upernet() { ${TEST_EMULATOR:-} "$bin" "$@"; }

. "$(dirname "$0")/cli-expect.sh"

# preprocess: the float32 data equals the Pillow golden (images.json,
# jpeg-683x512.jpg at 512x512) byte for byte.
golden=c57644888b008801c3cd66219d4068d0e1ba27893ecfb5a0f7e59ef3af182cb0
expect 0 "preprocess 683x512 JPEG" upernet preprocess "$data/images/jpeg-683x512.jpg" --output "$work/pv.npy"
got=$(tail -c $((3 * 512 * 512 * 4)) "$work/pv.npy" | sha256sum | cut -d' ' -f1)
check "preprocess output equals the transformers golden" "[ '$got' = '$golden' ]"
expect 0 "preprocess --size 48x64" upernet preprocess "$data/images/png-palette4-30x22.png" --size 48x64 -o "$work/small.npy"
check "preprocess 48x64 size" "[ \$(wc -c < '$work/small.npy') -ge $((3 * 48 * 64 * 4)) ]"
# Pillow 13's pass order (golden: images-pillow13.json, png-rgb8-41x37.png at 37x10).
expect 0 "preprocess --resize-order pillow13" upernet preprocess "$data/images/png-rgb8-41x37.png" --size 10x37 --resize-order pillow13 -o "$work/p13.npy"
got=$(tail -c $((3 * 10 * 37 * 4)) "$work/p13.npy" | sha256sum | cut -d' ' -f1)
check "pillow13 output equals transformers on Pillow 13" "[ '$got' = 'e78bb436f9c24343b18f77f01bbb9ef9d70b2213434dfe3964ecf7ca3e71be59' ]"
# --processor: a non-default preprocessor_config.json (40x56, mean/std 0.5,
# 1/127.5) gives transformers' pixel_values (data/golden/processor-configs.json).
expect 0 "preprocess --processor" upernet preprocess "$data/images/png-rgb8-41x37.png" --processor "$data/golden/processor-half.json" -o "$work/half.npy"
got=$(tail -c $((3 * 40 * 56 * 4)) "$work/half.npy" | sha256sum | cut -d' ' -f1)
check "preprocess --processor equals SegformerImageProcessorPil with it" "[ '$got' = '$(sed -n 's/.*"sha256": "\([0-9a-f]*\)".*/\1/p' "$data/golden/processor-configs.json" | head -1)' ]"
expect 0 "preprocess --processor --size" upernet preprocess "$data/images/png-rgb8-41x37.png" --processor "$data/golden/processor-half.json" --size 24x32 -o "$work/half-sized.npy"
check "--size wins over the processor's 40x56" "grep -q '(1, 3, 24, 32)' '$work/half-sized.npy'"
printf '{"resample": 3}' > "$work/bicubic.json"
expect 1 "preprocess with a BICUBIC processor" upernet preprocess "$data/images/png-rgb8-41x37.png" --processor "$work/bicubic.json" -o "$work/bicubic.npy"
check "the resample error names the key" "grep -q 'resample = 3 (BICUBIC)' '$work/stderr'"
expect 0 "segment --processor without resize" upernet segment "$data/images/png-rgb8-41x37.png" --model "$small" --processor "$data/golden/processor-noresize.json" --logits -o "$work/noresize"
check "no resize: logits at the image's size" "grep -q '(1, 3, 37, 41)' '$work/noresize/png-rgb8-41x37.logits.npy'"
expect 2 "preprocess with a bad --resize-order" upernet preprocess "$data/images/png-1x1.png" --resize-order pillow9 -o "$work/x.npy"
expect 2 "preprocess without --output" upernet preprocess "$data/images/png-1x1.png"
expect 2 "preprocess with a bad --size" upernet preprocess "$data/images/png-1x1.png" --size 0x5 -o "$work/x.npy"
expect 1 "preprocess of a missing file" upernet preprocess "$work/none.png" -o "$work/x.npy"
head -c 700 "$data/images/jpeg-422-64x48.jpg" > "$work/truncated.jpg"
expect 1 "preprocess of a truncated JPEG" upernet preprocess "$work/truncated.jpg" -o "$work/x.npy"
check "no output after a failure" "[ ! -e '$work/x.npy' ]"
expect 0 "preprocess --help" upernet preprocess --help

# segment: a folder of images, results per image.
mkdir "$work/in"
cp "$data/images/jpeg-420-37x23.jpg" "$data/images/png-rgba16-21x26.png" "$data/images/jpeg-cmyk-24x20.jpg" "$work/in/"
expect 0 "segment a folder" upernet segment "$work/in" --model "$small" --size 64x64 -o "$work/out" --threads 2
for stem in jpeg-420-37x23 png-rgba16-21x26 jpeg-cmyk-24x20; do
    for suffix in classes.png overlay.png json; do
        check "segment wrote $stem.$suffix" "[ -s '$work/out/$stem.$suffix' ]"
    done
done
check "no progress line when stderr is not a terminal" "! grep -q 'images/s' '$work/stderr'"
expect 0 "segment the same images one by one" upernet segment "$work/in"/* --model "$small" --size 64x64 -o "$work/out-files" --threads 2
for stem in jpeg-420-37x23 png-rgba16-21x26 jpeg-cmyk-24x20; do
    check "folder and files give the same $stem.classes.png" "cmp -s '$work/out/$stem.classes.png' '$work/out-files/$stem.classes.png'"
done
check "summary lists classes" "grep -q '\"classes\"' '$work/out/jpeg-420-37x23.json'"
# PNG width and height are the big-endian words at bytes 16..23.
check "overlay has the original size (21x26)" "[ \"\$(od -An -tu1 -j16 -N8 '$work/out/png-rgba16-21x26.overlay.png' | tr -s ' ')\" = ' 0 0 0 21 0 0 0 26' ]"
check "class map has the image's size (21x26)" "[ \"\$(od -An -tu1 -j16 -N8 '$work/out/png-rgba16-21x26.classes.png' | tr -s ' ')\" = ' 0 0 0 21 0 0 0 26' ]"
check "summary has the image's size" "grep -q '\"width\": 21' '$work/out/png-rgba16-21x26.json' && grep -q '\"height\": 26' '$work/out/png-rgba16-21x26.json'"
expect 0 "segment --at-model-size" upernet segment "$work/in/png-rgba16-21x26.png" --model "$small" --size 64x64 --at-model-size -o "$work/model-size"
check "--at-model-size: class map at the model size (64x64)" "[ \"\$(od -An -tu1 -j16 -N8 '$work/model-size/png-rgba16-21x26.classes.png' | tr -s ' ')\" = ' 0 0 0 64 0 0 0 64' ]"
check "--at-model-size: summary at the model size" "grep -q '\"width\": 64' '$work/model-size/png-rgba16-21x26.json'"

# Thread count does not change the logits.
expect 0 "segment, 1 thread" upernet segment "$data/images/jpeg-444-33x31.jpg" --model "$small" --size 40x56 --logits --threads 1 -o "$work/t1"
expect 0 "segment, 2 threads" upernet segment "$data/images/jpeg-444-33x31.jpg" --model "$small" --size 40x56 --logits --threads 2 -o "$work/t2"
check "logits identical for 1 and 2 threads" "cmp -s '$work/t1/jpeg-444-33x31.logits.npy' '$work/t2/jpeg-444-33x31.logits.npy'"

# --weights in every checkpoint format (the small custom config of
# data/fixtures, 3 labels, so the generated palette): identical logits.
for w in hf.safetensors mmseg.pth hf_zip_path.pt hf_legacy.bin; do
    expect 0 "segment with --weights $w" upernet segment "$data/images/jpeg-444-33x31.jpg" --model "$small" --weights "$data/fixtures/$w" --size 32x48 --logits -o "$work/w/$w/nested"
done
for w in mmseg.pth hf_zip_path.pt hf_legacy.bin; do
    check "logits from $w equal those from hf.safetensors" "cmp -s '$work/w/$w/nested/jpeg-444-33x31.logits.npy' '$work/w/hf.safetensors/nested/jpeg-444-33x31.logits.npy'"
done
check "class names from the config's id2label" "grep -q '\"name\": \"LABEL_' '$work/w/hf.safetensors/nested/jpeg-444-33x31.json'"
# A config.json with its own id2label: its names in the JSON summary.
sed 's/"LABEL_0"/"sky"/; s/"LABEL_1"/"road"/; s/"LABEL_2"/"tree"/' "$small" > "$work/named.json"
expect 0 "segment with a config naming its classes" upernet segment "$data/images/jpeg-683x512.jpg" --model "$work/named.json" --size 64x64 -o "$work/named"
check "id2label names in the summary" "grep -q '\"name\": \"\(sky\|road\|tree\)\"' '$work/named/jpeg-683x512.json' && ! grep -q LABEL_ '$work/named/jpeg-683x512.json'"
printf '{"model_type": "upernet", "use_auxiliary_head": false, "num_labels": 3, "id2label": {"0": "a", "1": "b", "5": "c"}, "backbone_config": {"hidden_sizes": [4, 4, 8, 8], "depths": [1, 1, 1, 1]}}' > "$work/badnames.json"
expect 1 "segment with an id2label missing a class" upernet segment "$data/images/jpeg-683x512.jpg" --model "$work/badnames.json" --size 64x64 -o "$work/badnames"
check "the id2label error names the key" "grep -q 'id2label\[\"2\"\]' '$work/stderr'"
expect 1 "segment with a weights file that is not one" upernet segment "$data/images/jpeg-444-33x31.jpg" --model "$small" --weights "$data/fixtures/not_weights.txt" -o "$work/bad-w"

# Bad input among good: the others are done, exit 1, nothing partial.
printf 'not an image' > "$work/in/bogus.png"
expect 1 "segment with a bogus image" upernet segment "$work/in/bogus.png" "$work/in/jpeg-420-37x23.jpg" --model "$small" --size 32x32 -o "$work/mixed"
check "bogus image named in the message" "grep -q 'bogus.png' '$work/stderr'"
check "good image still segmented" "[ -s '$work/mixed/jpeg-420-37x23.json' ]"
check "no results for the bogus image" "[ -z \"\$(ls '$work/mixed' | grep bogus)\" ]"
check "no temporary files left" "[ -z \"\$(ls -a '$work/mixed' '$work/out' | grep '\\.tmp')\" ]"
: > "$work/plainfile"
expect 1 "segment into an unusable output directory" upernet segment "$work/in/jpeg-420-37x23.jpg" --model "$small" --size 32x32 -o "$work/plainfile/sub"
expect 2 "segment without --model" upernet segment "$work/in/jpeg-420-37x23.jpg"
# --resize-order is an option of segment too: pillow13 changes the logits
# of a photo squeezed to a flat strip (the height loses more than twice what
# the width loses), pillow12 is the default.
expect 0 "segment --resize-order pillow13" upernet segment "$data/images/jpeg-683x512.jpg" --model "$small" --size 32x640 --logits --resize-order pillow13 -o "$work/r13"
expect 0 "segment --resize-order pillow12" upernet segment "$data/images/jpeg-683x512.jpg" --model "$small" --size 32x640 --logits --resize-order pillow12 -o "$work/r12"
expect 0 "segment without --resize-order" upernet segment "$data/images/jpeg-683x512.jpg" --model "$small" --size 32x640 --logits -o "$work/r00"
check "pillow12 is the default order" "cmp -s '$work/r12/jpeg-683x512.logits.npy' '$work/r00/jpeg-683x512.logits.npy'"
check "pillow13 changes the logits" "! cmp -s '$work/r12/jpeg-683x512.logits.npy' '$work/r13/jpeg-683x512.logits.npy'"
expect 2 "segment with a bad --resize-order" upernet segment "$data/images/png-rgb8-41x37.png" --model "$small" --resize-order pillow9 -o "$work/r99"
expect 2 "segment with --size below 32" upernet segment "$work/in/jpeg-420-37x23.jpg" --model tiny --size 16x16
expect 2 "segment with colliding names" upernet segment "$work/in/jpeg-420-37x23.jpg" "$work/in/../in/jpeg-420-37x23.jpg" --model tiny
expect 1 "segment with an unknown model" upernet segment "$work/in/jpeg-420-37x23.jpg" --model huge -o "$work/o2"

# verify with the synthetic weights (their slice is known for this image).
if [ "${UPERNET_TEST_QUICK:-0}" = 1 ]; then
    echo "skip: verify tiny at 512x512 (UPERNET_TEST_QUICK=1)"
else
    expect 0 "verify tiny, synthetic weights" upernet verify --model tiny --image "$data/images/jpeg-683x512.jpg"
    check "verify says Looks ok!" "grep -q 'Looks ok!' '$work/stdout'"
    check "verify prints the largest difference and the margin to atol" \
        "grep -Eq '^Largest \\|diff\\|: .* \\(atol 0.0001, margin .* of atol\\)' '$work/stdout'"
fi
expect 1 "segment with an unknown synthetic recipe" upernet segment "$work/in/jpeg-420-37x23.jpg" --model "$small" --size 32x32 --weights synthetic:fancy -o "$work/o3"
check "the unknown recipe is named" "grep -q 'synthetic:fancy' '$work/stderr'"
expect 0 "segment with the trained-like synthetic weights" upernet segment "$work/in/jpeg-420-37x23.jpg" --model "$small" --size 32x32 --weights synthetic:trained -o "$work/o4"
expect 1 "verify without the cached image" upernet verify --model tiny
expect 2 "verify with an unknown size" upernet verify --model huge

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
