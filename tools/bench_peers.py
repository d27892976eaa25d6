#!/usr/bin/env python3
"""Peers side by side: upernet against PyTorch eager (channels_last),
onnxruntime and OpenVINO on the same synthetic weights, the same input and the
same thread count, measured alternately in one session, so all see the same
machine load.

    python3 tools/bench_peers.py --upernet BUILD/upernet \
        [--model tiny] [--size 512] [--threads N] [--rounds 3] [--repeat 2] \
        [--peers torch,onnxruntime,openvino] [--isa avx2] \
        [--db BUILD/bench-history.sqlite | --db postgresql://USER@HOST/DB]

Each round runs `upernet forward --repeat R+1` (its forward_ms lines; model
creation is not timed, and the first forward of the fresh process is a
warm-up, as every peer's first forward in this process is) and then R timed
forwards of each peer. Printed: median
ms per engine, its ratio to upernet (> 1: slower than upernet) and max |logit
difference| against upernet's logits. The result is stored in the benchmark
history (run kind "peers"; benchmarks peers/ENGINE/MODEL/HxW/threads:N) by
bench/upernet-benchdb record, so make bench-report charts it next to the
kernels, on SQLite or PostgreSQL alike.

The torch model is exported once per run to ONNX (torch.onnx.export, the
torch.export-based exporter, opset 18, into the run's temporary directory;
the TorchScript exporter cannot express the pyramid pooling's 3x3 and 6x6
adaptive average pools) and that file is what onnxruntime (CPU execution
provider, intra-op threads = --threads, inter-op 1, all graph optimizations)
and OpenVINO (CPU, INFERENCE_NUM_THREADS = --threads, LATENCY hint, f32
inference precision, so it does not drop to bf16 where the CPU has it) run.

--peers defaults to every peer whose package imports; a peer that cannot be
imported, exported or loaded is skipped with a printed line, never an error.
Needs torch and transformers (and numpy) to build the model; onnxruntime,
openvino and onnxscript (for the export) are optional. tools/peers-venv.sh
DIR installs the newest release of each from PyPI into a virtual environment.
Not part of make check or CI.
"""
import argparse
import atexit
import datetime
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def git_state():
    root = os.path.dirname(HERE)
    try:
        commit = subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True,
                               text=True).stdout.strip() != ""
        return commit, int(dirty)
    except (OSError, subprocess.CalledProcessError):
        return "unknown", 0


def run_upernet(exe, model, inp, out, threads, repeat, isa):
    """R timed forwards of a fresh upernet process, after one untimed warm-up
    (first-touch page faults of the activation arena and the logits)."""
    cmd = [exe, "forward", "--model", model, "--input", inp, "--logits", out,
           "--threads", str(threads), "--repeat", str(repeat + 1)]
    if isa:
        cmd += ["--isa", isa]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("bench_peers: %s failed (exit %d): %s" % (" ".join(cmd), p.returncode,
                                                           p.stderr.strip()[-500:]))
    ms = [float(line.split("=", 1)[1]) for line in p.stderr.splitlines()
          if line.startswith("forward_ms=")]
    if len(ms) != repeat + 1:
        sys.exit("bench_peers: expected %d forward_ms lines from upernet, got %d"
                 % (repeat + 1, len(ms)))
    return ms[1:]


PEERS = ("torch", "onnxruntime", "openvino")


class Skip(Exception):
    """A peer that cannot run here; its message says why."""


def export_onnx(model, x, path):
    """Export the logits of `model` at the input shape of `x` to `path` (once per run)."""
    import torch

    class Logits(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, pixel_values):
            return self.inner(pixel_values=pixel_values).logits

    wrapper = Logits(model).eval()
    try:
        import onnxscript  # noqa: F401  (the torch.export-based exporter needs it)
    except ImportError as e:
        raise Skip("the ONNX export needs onnxscript (%s)" % e)
    # The exporter logs a warning per torchvision op it cannot register; noise here.
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    try:
        with torch.no_grad():
            torch.onnx.export(wrapper, (x,), path, opset_version=18, dynamo=True,
                              input_names=["pixel_values"], output_names=["logits"],
                              external_data=True, verbose=False)
    except Exception as e:  # the exporter raises many kinds; any of them only skips the peers
        raise Skip("torch.onnx.export failed: %s: %s" % (type(e).__name__, str(e).splitlines()[0][:300]
                                                         if str(e) else ""))


def make_onnxruntime(onnx_path, pixels, threads):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3
    session = ort.InferenceSession(onnx_path, sess_options=opts, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    feed = {name: pixels}

    def forward():
        return session.run(None, feed)[0]
    return "onnxruntime %s CPU EP" % ort.__version__, forward


def make_openvino(onnx_path, pixels, threads):
    import openvino as ov
    core = ov.Core()
    compiled = core.compile_model(core.read_model(onnx_path), "CPU", {
        "INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY",
        "INFERENCE_PRECISION_HINT": "f32"})
    precision = compiled.get_property("INFERENCE_PRECISION_HINT")
    if precision != ov.Type.f32:
        raise Skip("OpenVINO compiled for %s, not f32" % precision)
    request = compiled.create_infer_request()

    def forward():
        request.infer({0: pixels})
        return request.get_output_tensor(0).data
    return "openvino %s CPU f32" % ov.__version__.split("-")[0], forward


def importable(peer):
    try:
        __import__(peer)
        return None
    except Exception as e:  # ImportError, or a broken install raising something else
        return "%s: %s" % (type(e).__name__, e)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--upernet", required=True, help="path of the built upernet binary")
    ap.add_argument("--model", default="tiny")
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=2, help="forwards per engine per round")
    ap.add_argument("--peers", default=",".join(PEERS),
                    help="comma-separated peers to run (default: %(default)s; "
                         "those that cannot be imported are skipped)")
    ap.add_argument("--isa", default="", help="upernet kernel tier (default: best)")
    ap.add_argument("--db", default="bench-history.sqlite",
                    help="history: SQLite file or postgresql:// URI ('' = none)")
    ap.add_argument("--benchdb", default="",
                    help="upernet-benchdb to record with (default: bench/upernet-benchdb "
                         "beside --upernet)")
    args = ap.parse_args()
    wanted = [p.strip() for p in args.peers.split(",") if p.strip()]
    unknown = [p for p in wanted if p not in PEERS]
    if unknown:
        ap.error("unknown peer %s (known: %s)" % (", ".join(unknown), ", ".join(PEERS)))

    missing = importable("torch") or importable("transformers")
    if missing:
        sys.exit("bench_peers: torch and transformers build the synthetic model and are needed (%s)"
                 % missing)
    import torch
    from make_goldens import build_model, make_config
    from synthetic import synthetic_input

    torch.set_num_threads(args.threads)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    h = w = args.size
    pixels = synthetic_input(h, w)
    tmp = tempfile.mkdtemp(prefix="bench-peers.")
    atexit.register(shutil.rmtree, tmp, True)  # the ONNX export is 1.5 GB for xlarge
    inp, out = os.path.join(tmp, "pixels.npy"), os.path.join(tmp, "logits.npy")
    np.save(inp, pixels)

    print("building torch %s (synthetic weights)..." % args.model, flush=True)
    model = build_model(make_config(args.model)).to(memory_format=torch.channels_last)
    x = torch.from_numpy(pixels).contiguous(memory_format=torch.channels_last)

    # Each peer: label and a forward() returning its logits; a peer that cannot
    # run prints why and drops out.
    engines = {}
    if "torch" in wanted:
        def torch_forward():
            with torch.inference_mode():
                return model(pixel_values=x).logits.numpy()
        engines["torch"] = ("torch %s eager channels_last" % torch.__version__, torch_forward)

    onnx_peers = [p for p in wanted if p in ("onnxruntime", "openvino")]
    for peer in list(onnx_peers):
        why = importable(peer)
        if why:
            print("skipping %s: cannot import it (%s)" % (peer, why), flush=True)
            onnx_peers.remove(peer)
    onnx_path = os.path.join(tmp, "upernet-%s-%dx%d.onnx" % (args.model, h, w))
    if onnx_peers:
        print("exporting %s to ONNX for %s..." % (args.model, ", ".join(onnx_peers)), flush=True)
        try:
            export_onnx(model, torch.from_numpy(pixels), onnx_path)
        except Skip as e:
            for peer in onnx_peers:
                print("skipping %s: %s" % (peer, e), flush=True)
            onnx_peers = []
    makers = {"onnxruntime": make_onnxruntime, "openvino": make_openvino}
    for peer in onnx_peers:
        try:
            engines[peer] = makers[peer](onnx_path, pixels, args.threads)
        except Exception as e:  # Skip, or the runtime refusing the model
            print("skipping %s: %s" % (peer, e if isinstance(e, Skip) else
                                        "%s: %s" % (type(e).__name__, str(e)[:300])), flush=True)

    logits = {}
    for engine, (_, forward) in list(engines.items()):  # warm-up, and the logits to compare
        try:
            logits[engine] = np.array(forward(), dtype=np.float32)  # a copy: OpenVINO reuses its buffer
        except Exception as e:
            print("skipping %s: its first forward failed: %s: %s" % (engine, type(e).__name__,
                                                                     str(e)[:300]), flush=True)
            del engines[engine]
    if not engines:
        print("no peer runs here; timing upernet alone", flush=True)

    times = {"upernet": []}
    times.update({engine: [] for engine in engines})
    for r in range(args.rounds):
        times["upernet"] += run_upernet(args.upernet, args.model, inp, out, args.threads,
                                        args.repeat, args.isa)
        for engine, (_, forward) in engines.items():
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                forward()
                times[engine].append(1e3 * (time.perf_counter() - t0))
        print("round %d/%d: %s" % (r + 1, args.rounds, ", ".join(
            "%s %s ms" % (engine, " ".join("%.0f" % t for t in ts[-args.repeat:]))
            for engine, ts in times.items())), flush=True)
    up_logits = np.load(out).astype(np.float64)
    max_diff = {"upernet": 0.0}
    for engine, lg in logits.items():
        if lg.shape != up_logits.shape:
            sys.exit("bench_peers: %s logits have shape %s, upernet's %s" % (engine, lg.shape,
                                                                             up_logits.shape))
        max_diff[engine] = float(np.max(np.abs(up_logits - lg.astype(np.float64))))

    med = {k: float(np.median(v)) for k, v in times.items()}
    label = "%s %dx%d, %d thread%s" % (args.model, h, w, args.threads, "" if args.threads == 1 else "s")
    print()
    print("peers: %s, %d rounds x %d forwards, alternating" % (label, args.rounds, args.repeat))
    print("%-40s %10s %14s %16s" % ("engine", "median ms", "ratio/upernet", "max |dlogit|"))
    print("%-40s %10.1f %14s %16s" % ("upernet (%s)" % (args.isa or "best tier"), med["upernet"],
                                       "1.00", "-"))
    for engine, (engine_label, _) in engines.items():
        print("%-40s %10.1f %14.2f %16.3g" % (engine_label, med[engine], med[engine] / med["upernet"],
                                               max_diff[engine]))

    if not args.db:
        return
    record(args, times, med, max_diff, engines, tmp)


def record(args, times, med, max_diff, engines, tmp):
    """Stores the result through upernet-benchdb record (run kind "peers"), so
    SQLite and PostgreSQL histories, the schema, the run's UUID and its
    machine identity (BENCH_MACHINE) are handled in one place: the timings go
    in as Google Benchmark JSON, one entry per timed forward."""
    benchdb = args.benchdb or os.path.join(os.path.dirname(os.path.abspath(args.upernet)),
                                           "bench", "upernet-benchdb")
    if not os.access(benchdb, os.X_OK):
        sys.exit("bench_peers: %s is not built (make bench/upernet-benchdb, or pass --benchdb)"
                 % benchdb)
    commit, dirty = git_state()
    h = w = args.size
    context = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "host_name": socket.gethostname(), "num_cpus": os.cpu_count(),
               "upernet_cpu_model": cpu_model(), "upernet_best_tier": args.isa,
               "upernet_threads": str(args.threads), "model": args.model,
               "input": "%dx%d" % (h, w), "rounds": args.rounds, "repeat": args.repeat}
    context.update({engine: engine_label for engine, (engine_label, _) in engines.items()})
    benchmarks = []
    for engine, ts in times.items():
        name = "peers/%s/%s/%dx%d/threads:%d" % (engine, args.model, h, w, args.threads)
        for i, t in enumerate(ts):
            benchmarks.append({"name": name, "run_name": name, "run_type": "iteration",
                               "repetition_index": i, "iterations": 1, "real_time": t,
                               "time_unit": "ms", "ms": med[engine],
                               "ratio_to_upernet": med[engine] / med["upernet"],
                               "max_abs_dlogit": max_diff[engine]})
    path = os.path.join(tmp, "peers.json")
    with open(path, "w") as f:
        json.dump({"context": context, "benchmarks": benchmarks}, f)
    p = subprocess.run([benchdb, "record", "--db", args.db, "--json", path, "--kind", "peers",
                        "--commit", commit, "--dirty", str(dirty), "--quiet"])
    if p.returncode != 0:
        sys.exit("bench_peers: recording the result failed (exit %d)" % p.returncode)


if __name__ == "__main__":
    main()
