#!/bin/sh
# Builds the libFuzzer targets with clang (their own ASan+UBSan+coverage
# build of the reader sources, independent of the autotools build) and runs
# each for SECONDS, seeded with the committed fixtures.
#
#   fuzz/build-and-run.sh SRCDIR CONFIG_H_DIR OUTDIR SECONDS [TARGET...]
#
# SECONDS = 0 only builds. Targets: see fuzz/fuzz_entries.c (default: all).
# Environment: CLANG (default clang), FUZZ_JOBS (targets run at once,
# default 2), FUZZ_RSS_MB (default 2560), FUZZ_FLAGS (more libFuzzer flags,
# e.g. -max_len=2048 for many more execs of the unpickler on short inputs).
# Results in OUTDIR: bin/fuzz_TARGET, corpus/TARGET (grows across runs),
# artifacts/ (crash, leak, timeout and OOM inputs), logs/TARGET.log and
# summary.tsv (target, seconds, execs, execs/s, new corpus files, artifacts).
# Exit status: 0 when no target left an artifact. A crash input, once the
# reader is fixed, goes to data/regressions/TARGET-WHAT.bin, where
# tests/test_regressions replays it through the same entry point.
set -eu

[ $# -ge 4 ] || { sed -n '2,17p' "$0" >&2; exit 2; }
SRC=$(cd "$1" && pwd)
CONFIG_DIR=$(cd "$2" && pwd)
mkdir -p "$3"
OUT=$(cd "$3" && pwd)
SECONDS_EACH=$4
shift 4
TARGETS=${*:-safetensors torch_zip pickle config npy jpeg png resize}
CLANG=${CLANG:-clang}
JOBS=${FUZZ_JOBS:-2}
RSS_MB=${FUZZ_RSS_MB:-2560}

command -v "$CLANG" >/dev/null || { echo "fuzz: $CLANG not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 77; }

# The readers and what they call; nothing from the kernels or the model.
LIB_SOURCES="src/core/error.c src/core/alloc.c src/core/atomic_file.c
src/io/dtype.c src/io/tensor_map.c src/io/pickle.c src/io/torch_common.c src/io/torch_zip.c
src/io/torch_legacy.c src/io/safetensors.c src/io/key_naming.c src/io/weights.c src/io/npy.c
src/model/model_config.c src/io/config_json.c
src/image/decode.c src/image/jpeg.c src/image/png_read.c src/image/resize.c src/image/preprocess.c
fuzz/fuzz_entries.c"

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CFLAGS_FUZZ="-std=gnu11 -O1 -g -DUPERNET_FUZZING $SAN -fsanitize=fuzzer-no-link -I$CONFIG_DIR -I$SRC/include -I$SRC/src -I$SRC"
LIBS="$(pkg-config --libs libzip jansson spng libturbojpeg zlib 2>/dev/null || echo -lzip -ljansson -lspng -lturbojpeg -lz) -lm"

mkdir -p "$OUT/obj" "$OUT/bin" "$OUT/corpus" "$OUT/artifacts" "$OUT/logs" "$OUT/seeds"
objects=""
for s in $LIB_SOURCES; do
    o="$OUT/obj/$(echo "$s" | tr / _ | sed 's/\.c$/.o/')"
    # Comparison tracing helps the fuzzer through parsers but dominates the
    # time of pixel loops, where it finds nothing: off for those files.
    extra=""
    case $s in src/image/resize.c|src/image/preprocess.c) extra=-fno-sanitize-coverage=trace-cmp ;; esac
    if [ ! -f "$o" ] || [ "$SRC/$s" -nt "$o" ] || [ "$0" -nt "$o" ]; then
        $CLANG $CFLAGS_FUZZ $extra $(pkg-config --cflags libzip jansson spng libturbojpeg 2>/dev/null) -c "$SRC/$s" -o "$o"
    fi
    objects="$objects $o"
done
for t in $TARGETS; do
    $CLANG $CFLAGS_FUZZ -DFUZZ_TARGET="$t" -c "$SRC/fuzz/fuzz_main.c" -o "$OUT/obj/main_$t.o"
    $CLANG $SAN -fsanitize=fuzzer "$OUT/obj/main_$t.o" $objects $LIBS -o "$OUT/bin/fuzz_$t"
done
echo "fuzz: built $(echo $TARGETS | wc -w) targets in $OUT/bin"
[ "$SECONDS_EACH" -gt 0 ] || exit 0

# Seeds: the committed fixtures each reader is meant for.
seed_dir() {
    d="$OUT/seeds/$1"
    rm -rf "$d" && mkdir -p "$d"
    shift
    for f in "$@"; do [ -f "$f" ] && cp "$f" "$d/"; done
    return 0
}
F=$SRC/data/fixtures
R=$SRC/data/regressions
for t in $TARGETS; do
    case $t in
    safetensors) seed_dir $t "$F"/*.safetensors "$R"/safetensors-* ;;
    torch_zip) seed_dir $t "$F"/*.pt "$F"/*.bin "$F"/*.pth "$SRC"/fuzz/seeds/torch_zip/* "$R"/torch_zip-* ;;
    pickle)
        seed_dir $t "$F"/*legacy* "$R"/pickle-*
        # the data.pkl of each zip checkpoint
        for z in "$F"/*.pt "$F"/*.pth "$F"/hf_zip*.bin; do
            n=$(unzip -Z1 "$z" 2>/dev/null | grep '/data.pkl$' | head -n 1) || true
            [ -n "$n" ] && unzip -p "$z" "$n" > "$OUT/seeds/pickle/$(basename "$z").pkl" 2>/dev/null || true
        done ;;
    config) seed_dir $t "$SRC"/data/golden/small-config.json "$F"/small_config.json "$R"/config-* ;;
    npy) seed_dir $t "$SRC"/fuzz/seeds/npy/*.npy "$R"/npy-* ;;
    jpeg) seed_dir $t "$SRC"/data/images/*.jpg "$R"/jpeg-* ;;
    png) seed_dir $t "$SRC"/data/images/*.png "$R"/png-* ;;
    resize) seed_dir $t "$SRC"/fuzz/seeds/resize/* "$R"/resize-* ;;
    esac
done

run_one() {
    t=$1
    mkdir -p "$OUT/corpus/$t"
    before=$(ls "$OUT/corpus/$t" | wc -l)
    # -timeout: one input may take at most 25 s (a decode of the largest
    # allowed image is far below that); -rss_limit_mb bounds any one run.
    # shorter allocation stacks and quarantine: the unpickler allocates per object
    ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=8:quarantine_size_mb=64} \
    "$OUT/bin/fuzz_$t" -max_total_time="$SECONDS_EACH" -timeout=25 -rss_limit_mb="$RSS_MB" \
        -malloc_limit_mb="$RSS_MB" ${FUZZ_FLAGS:-} -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$t-" \
        "$OUT/corpus/$t" "$OUT/seeds/$t" > "$OUT/logs/$t.log" 2>&1 || true
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/logs/$t.log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$OUT/logs/$t.log" | tail -n 1)
    after=$(ls "$OUT/corpus/$t" | wc -l)
    arts=$(ls "$OUT/artifacts" | grep -c "^$t-" || true)
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$SECONDS_EACH" "${execs:-?}" "${rate:-?}" $((after - before)) "$arts"
}

printf 'target\tseconds\texecs\texecs_per_s\tnew_corpus\tartifacts\n' > "$OUT/summary.tsv"
running=0
for t in $TARGETS; do
    run_one "$t" > "$OUT/logs/$t.row" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then
        wait
        running=0
    fi
done
wait
for t in $TARGETS; do cat "$OUT/logs/$t.row"; done >> "$OUT/summary.tsv"
cat "$OUT/summary.tsv"
if [ -n "$(ls "$OUT/artifacts")" ]; then
    echo "fuzz: artifacts in $OUT/artifacts:" >&2
    ls "$OUT/artifacts" >&2
    exit 1
fi
