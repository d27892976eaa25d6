#!/bin/sh
# The library as a user installs and links it: `make install` into a
# temporary DESTDIR, then examples/segment.c built against the installed copy
# with `$CC prog.c $(pkg-config --cflags --libs upernet)`, run on a checkpoint
# file (the small test configuration's synthetic weights, written by
# `upernet convert`) and a photo; its class map must hold several classes and
# equal `upernet segment`'s byte for byte. Also:
# the shared library exports exactly the functions of include/upernet.h, and
# no test hook (src/core/alloc.c) is in either installed library.
# Environment (tests/local.mk): UPERNET_MAKE, UPERNET_SRCDIR, UPERNET_BUILDDIR,
# CC, CFLAGS, LDFLAGS, PKG_CONFIG, NM, TEST_EMULATOR.
set -u
src=$UPERNET_SRCDIR
build=$UPERNET_BUILDDIR
data=${UPERNET_DATA_DIR:-$src/data}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/upernet-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

MAKEFLAGS= $UPERNET_MAKE -C "$build" install DESTDIR="$tmp/root" > "$tmp/install.log" 2>&1 ||
    { tail -n 30 "$tmp/install.log"; fail "make install DESTDIR=$tmp/root"; }
pc=$(find "$tmp/root" -name upernet.pc | head -n 1)
[ -n "$pc" ] || fail "upernet.pc was not installed"
export PKG_CONFIG_PATH="${pc%/upernet.pc}" PKG_CONFIG_SYSROOT_DIR="$tmp/root"
[ "$($PKG_CONFIG --modversion upernet)" = "$(sed -n 's/^#define UPERNET_VERSION_STRING "\(.*\)"$/\1/p' "$src/include/upernet.h")" ] ||
    fail "upernet.pc's version differs from UPERNET_VERSION_STRING"
flags=$($PKG_CONFIG --cflags --libs upernet) || fail "pkg-config --cflags --libs upernet"
libdir=$tmp/root$(PKG_CONFIG_SYSROOT_DIR= $PKG_CONFIG --variable=libdir upernet)
[ -f "$libdir/libupernet.a" ] || fail "no static library in $libdir"
[ -f "$tmp/root$(PKG_CONFIG_SYSROOT_DIR= $PKG_CONFIG --variable=includedir upernet)/upernet.h" ] ||
    fail "upernet.h was not installed"

# shellcheck disable=SC2086 # the flags are words
$CC $CFLAGS "$src/examples/segment.c" $flags $LDFLAGS -o "$tmp/segment" 2> "$tmp/cc.log" ||
    { cat "$tmp/cc.log"; fail "examples/segment.c does not build against the installed library"; }

# Exports: the header's functions, nothing else; no test hook anywhere.
so=$(ls "$libdir"/libupernet.so.* 2>/dev/null | head -n 1)
[ -n "$so" ] || fail "no shared library in $libdir"
sed -n 's/^[a-z][a-z0-9_ ]*[ *]\(upernet_[a-z0-9_]*\)(.*/\1/p' "$src/include/upernet.h" | LC_ALL=C sort -u > "$tmp/header"
$NM -D --defined-only "$so" | awk '$2 == "T" { print $3 }' | LC_ALL=C sort -u > "$tmp/exported"
cmp -s "$tmp/header" "$tmp/exported" ||
    fail "the shared library's exports differ from include/upernet.h: $(diff "$tmp/header" "$tmp/exported" | grep '^[<>]' | head -n 5 | tr '\n' ' ')"
for lib in "$so" "$libdir/libupernet.a"; do
    $NM "$lib" 2>/dev/null | grep -q 'upernet_alloc_fail_at' && fail "$lib contains the allocation test hook"
done

image=$data/images/jpeg-683x512.jpg
$TEST_EMULATOR "$build/upernet" convert "$data/golden/small-config.json" "$tmp/model" > /dev/null 2>&1 ||
    fail "upernet convert could not write the checkpoint"
LD_LIBRARY_PATH="$libdir" $TEST_EMULATOR "$tmp/segment" "$tmp/model/model.safetensors" "$image" \
    "$tmp/example.png" "$tmp/model/config.json" > "$tmp/out" 2>&1 ||
    { cat "$tmp/out"; fail "the example program failed"; }
grep -q "^upernet " "$tmp/out" || fail "the example did not print the version: $(cat "$tmp/out")"
# the second most frequent class covers some pixels: a real segmentation
sed -n 3p "$tmp/out" | grep -qv ' 0\.0 %$' || fail "a class map of one class: $(cat "$tmp/out")"
mkdir "$tmp/cli"
$TEST_EMULATOR "$build/upernet" segment --at-model-size "$image" --weights "$tmp/model/model.safetensors" \
    --model "$tmp/model/config.json" -o "$tmp/cli" > /dev/null 2>&1 || fail "upernet segment failed"
cmp -s "$tmp/example.png" "$tmp/cli/jpeg-683x512.classes.png" ||
    fail "the example's class map differs from upernet segment's"
echo "PASS: installed library, pkg-config, examples/segment.c"
exit 0
