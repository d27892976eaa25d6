#!/usr/bin/env python3
"""Peers side by side: upernet against PyTorch eager (channels_last) on the
same synthetic weights, the same input and the same thread count, measured
alternately in one session, so both see the same machine load.

    /work/venv/bin/python tools/bench_peers.py --upernet BUILD/upernet \
        [--model tiny] [--size 512] [--threads N] [--rounds 3] [--repeat 2] \
        [--isa avx2] [--db BUILD/bench-history.sqlite]

Each round runs `upernet forward --repeat R` (its forward_ms lines; model
creation is not timed) and then R timed torch forwards. Printed: median ms per
engine, its ratio to upernet (> 1: slower than upernet) and max |logit
difference| against upernet's logits. The result is stored in the benchmark
history (run kind "peers"; benchmarks peers/ENGINE/MODEL/HxW/threads:N), so
make bench-report charts it next to the kernels. onnxruntime and openvino are
not run here (not installed in this environment).

Needs torch and transformers (and numpy); not part of make check or CI.
"""
import argparse
import datetime
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs(
 id INTEGER PRIMARY KEY, kind TEXT NOT NULL DEFAULT 'bench', started TEXT,
 commit_hash TEXT, dirty INTEGER, compiler TEXT, cflags TEXT, cpu_model TEXT,
 cpu_features TEXT, best_tier TEXT, threads INTEGER, num_cpus INTEGER, host TEXT,
 machine TEXT, filter TEXT, context_json TEXT);
CREATE TABLE IF NOT EXISTS results(
 run_id INTEGER NOT NULL REFERENCES runs(id), name TEXT NOT NULL,
 repetition INTEGER NOT NULL, tier TEXT, threads INTEGER, real_time_ns REAL,
 cpu_time_ns REAL, iterations INTEGER, error TEXT, counters_json TEXT,
 PRIMARY KEY(run_id, name, repetition));
CREATE INDEX IF NOT EXISTS results_by_name ON results(name);
"""


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
    cmd = [exe, "forward", "--model", model, "--input", inp, "--logits", out,
           "--threads", str(threads), "--repeat", str(repeat)]
    if isa:
        cmd += ["--isa", isa]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("bench_peers: %s failed (exit %d): %s" % (" ".join(cmd), p.returncode,
                                                           p.stderr.strip()[-500:]))
    ms = [float(line.split("=", 1)[1]) for line in p.stderr.splitlines()
          if line.startswith("forward_ms=")]
    if len(ms) != repeat:
        sys.exit("bench_peers: expected %d forward_ms lines from upernet, got %d" % (repeat, len(ms)))
    return ms


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--upernet", required=True, help="path of the built upernet binary")
    ap.add_argument("--model", default="tiny")
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=2, help="forwards per engine per round")
    ap.add_argument("--isa", default="", help="upernet kernel tier (default: best)")
    ap.add_argument("--db", default="bench-history.sqlite", help="history database ('' = none)")
    args = ap.parse_args()

    import torch
    from make_goldens import build_model, make_config
    from synthetic import synthetic_input

    torch.set_num_threads(args.threads)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    h = w = args.size
    pixels = synthetic_input(h, w)
    tmp = tempfile.mkdtemp(prefix="bench-peers.")
    inp, out = os.path.join(tmp, "pixels.npy"), os.path.join(tmp, "logits.npy")
    np.save(inp, pixels)

    print("building torch %s (synthetic weights)..." % args.model, flush=True)
    model = build_model(make_config(args.model)).to(memory_format=torch.channels_last)
    x = torch.from_numpy(pixels).contiguous(memory_format=torch.channels_last)

    def torch_forward():
        with torch.inference_mode():
            return model(pixel_values=x).logits

    torch_logits = torch_forward().float().numpy()  # warm-up, and the logits to compare
    times = {"upernet": [], "torch": []}
    for r in range(args.rounds):
        times["upernet"] += run_upernet(args.upernet, args.model, inp, out, args.threads,
                                        args.repeat, args.isa)
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            torch_forward()
            times["torch"].append(1e3 * (time.perf_counter() - t0))
        print("round %d/%d: upernet %s ms, torch %s ms" % (
            r + 1, args.rounds, " ".join("%.0f" % t for t in times["upernet"][-args.repeat:]),
            " ".join("%.0f" % t for t in times["torch"][-args.repeat:])), flush=True)
    up_logits = np.load(out)
    max_diff = float(np.max(np.abs(up_logits.astype(np.float64) - torch_logits.astype(np.float64))))

    med = {k: float(np.median(v)) for k, v in times.items()}
    label = "%s %dx%d, %d thread%s" % (args.model, h, w, args.threads, "" if args.threads == 1 else "s")
    print()
    print("peers: %s, %d rounds x %d forwards, alternating" % (label, args.rounds, args.repeat))
    print("%-36s %10s %14s %16s" % ("engine", "median ms", "ratio/upernet", "max |dlogit|"))
    print("%-36s %10.1f %14s %16s" % ("upernet (%s)" % (args.isa or "best tier"), med["upernet"],
                                       "1.00", "-"))
    print("%-36s %10.1f %14.2f %16.3g" % ("torch %s eager channels_last" % torch.__version__,
                                           med["torch"], med["torch"] / med["upernet"], max_diff))

    if not args.db:
        return
    commit, dirty = git_state()
    host, cpus, model_name = socket.gethostname(), os.cpu_count(), cpu_model()
    db = sqlite3.connect(args.db)
    db.executescript(SCHEMA)
    ctx = ('{"torch":"%s","model":"%s","input":"%dx%d","threads":%d,"rounds":%d,"repeat":%d}'
           % (torch.__version__, args.model, h, w, args.threads, args.rounds, args.repeat))
    cur = db.execute(
        "INSERT INTO runs(kind, started, commit_hash, dirty, compiler, cflags, cpu_model,"
        " cpu_features, best_tier, threads, num_cpus, host, machine, filter, context_json)"
        " VALUES('peers', ?, ?, ?, '', '', ?, '', ?, ?, ?, ?, ?, '', ?)",
        (datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), commit, dirty,
         model_name, args.isa, args.threads, cpus, host, "%s | %s | %d cpus" % (host, model_name, cpus),
         ctx))
    run_id = cur.lastrowid
    for engine, ts in times.items():
        name = "peers/%s/%s/%dx%d/threads:%d" % (engine, args.model, h, w, args.threads)
        counters = ('{"ms":%.6g,"ratio_to_upernet":%.6g,"max_abs_dlogit":%.6g}'
                    % (med[engine], med[engine] / med["upernet"], 0.0 if engine == "upernet" else max_diff))
        for i, t in enumerate(ts):
            db.execute("INSERT INTO results(run_id, name, repetition, tier, threads, real_time_ns,"
                       " cpu_time_ns, iterations, error, counters_json)"
                       " VALUES(?, ?, ?, ?, ?, ?, NULL, 1, NULL, ?)",
                       (run_id, name, i, args.isa, args.threads, t * 1e6, counters))
    db.commit()
    db.close()
    print("recorded peers run %d in %s" % (run_id, args.db))


if __name__ == "__main__":
    main()
