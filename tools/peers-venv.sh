#!/bin/sh
# Creates (or refreshes) a Python virtual environment with the newest PyPI
# releases of everything the developer tools need: torch, transformers and
# safetensors for the goldens (tools/make_goldens.py), onnxruntime, openvino,
# onnx and onnxscript for the peers (tools/bench_peers.py), numpy and Pillow.
# Never needed by make check or CI.
#
#   tools/peers-venv.sh [DIR]        (default DIR: ./venv)
#   DIR/bin/python tools/bench_peers.py --upernet BUILD/upernet ...
set -eu
dir=${1:-venv}
command -v python3 >/dev/null || { echo "peers-venv: python3 not found (apt-get install python3-venv)" >&2; exit 1; }
python3 -m venv "$dir"
"$dir/bin/pip" install --upgrade pip
"$dir/bin/pip" install --upgrade torch transformers safetensors numpy pillow \
    onnxruntime openvino onnx onnxscript
"$dir/bin/python" - <<'PY'
import importlib
for name in ("torch", "transformers", "onnxruntime", "openvino", "onnxscript", "numpy", "PIL"):
    m = importlib.import_module(name)
    print("%-13s %s" % (name, getattr(m, "__version__", "?")))
PY
