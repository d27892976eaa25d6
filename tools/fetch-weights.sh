#!/bin/sh
# Downloads one UperNet-ConvNeXt checkpoint from the Hugging Face Hub, with
# the ADE20K image the conversion script checks, into the cache that
# `upernet verify` and tests/test_real_weights read:
#   ${UPERNET_CACHE:-$HOME/.cache/upernet}/upernet-convnext-SIZE/
#     config.json preprocessor_config.json model.safetensors (or
#     pytorch_model.bin where the repository has no safetensors) ADE_val_00000001.jpg
# Usage: tools/fetch-weights.sh upernet-convnext-SIZE   (or just SIZE)
# Files already present are kept. Each download goes to a temporary name and
# is renamed when complete. Without network access it fails within seconds.
set -eu

model=${1:-}
size=${model#openmmlab/}
size=${size#upernet-convnext-}
case $size in
    tiny|small|base|large|xlarge) ;;
    *) echo "usage: $0 upernet-convnext-{tiny,small,base,large,xlarge}" >&2; exit 2 ;;
esac
repo="openmmlab/upernet-convnext-$size"
hub=${UPERNET_HUB:-https://huggingface.co}
root=${UPERNET_CACHE:-}
if [ -z "$root" ]; then
    [ -n "${HOME:-}" ] || { echo "fetch-weights: set HOME or UPERNET_CACHE" >&2; exit 1; }
    root="$HOME/.cache/upernet"
fi
dest="$root/upernet-convnext-$size"

if command -v curl >/dev/null 2>&1; then
    fetch() { curl --fail --location --silent --show-error --connect-timeout 10 --retry 2 -o "$2" "$1"; }
    probe() { curl --silent --head --output /dev/null --connect-timeout 5 --max-time 15 "$1"; }
elif command -v wget >/dev/null 2>&1; then
    fetch() { wget --quiet --timeout=30 --tries=2 -O "$2" "$1"; }
    probe() { wget --quiet --spider --timeout=5 --tries=1 "$1"; }
else
    echo "fetch-weights: needs curl or wget" >&2
    exit 1
fi

if ! probe "$hub/"; then
    echo "fetch-weights: cannot reach $hub (offline?). On a machine with internet access run" >&2
    echo "  make fetch-weights MODEL=upernet-convnext-$size" >&2
    echo "or download $hub/$repo/resolve/main/{config.json,preprocessor_config.json,model.safetensors}" >&2
    echo "and $hub/datasets/hf-internal-testing/fixtures_ade20k/resolve/main/ADE_val_00000001.jpg" >&2
    echo "into $dest/" >&2
    exit 1
fi

mkdir -p "$dest"

# get URL FILE: downloads unless present; returns nonzero on failure.
get() {
    if [ -s "$dest/$2" ]; then
        echo "fetch-weights: $dest/$2 already present"
        return 0
    fi
    echo "fetch-weights: $1"
    tmp="$dest/.$2.part.$$"
    if fetch "$1" "$tmp"; then
        mv "$tmp" "$dest/$2"
    else
        rm -f "$tmp"
        return 1
    fi
}

base="$hub/$repo/resolve/main"
get "$base/config.json" config.json
get "$base/preprocessor_config.json" preprocessor_config.json
# model.safetensors is on main for tiny, base and xlarge; the others have
# pytorch_model.bin only (docs/SPECIFICATION.md §7).
if [ ! -s "$dest/model.safetensors" ] && [ ! -s "$dest/pytorch_model.bin" ]; then
    get "$base/model.safetensors" model.safetensors 2>/dev/null ||
        get "$base/pytorch_model.bin" pytorch_model.bin
fi
get "$hub/datasets/hf-internal-testing/fixtures_ade20k/resolve/main/ADE_val_00000001.jpg" \
    ADE_val_00000001.jpg
echo "fetch-weights: done; check with: upernet verify --model $size"
