"""Throughput of `diffdrr generate` in views per second, for 1 and 2 ranks (torchrun, gloo) at several detector sizes.

Each configuration is a fresh launch of `diffdrr generate` into an empty temporary folder; the rate is the one the command
reports (views rendered and written, between the barriers that start and end rendering: CT loading and start-up
excluded, their wall time shown separately), beside the processor time per view summed over ranks, which depends far
less on the machine's other load. Prints one markdown table.

    python scripts/benchmark_generate.py [--ct example] [--sizes 128 256] [--views 96 48] [--repeats 1]
"""
import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

import torch

CONFIGS = [(1, 1), (2, 1), (1, 2)]  # (ranks, threads per rank)


def launch(ct: str, size: int, n: int, ranks: int, threads: int, shard_size: int) -> tuple:
    "One `diffdrr generate` run; (views/s, CPU ms per view summed over ranks, as reported; wall seconds of the whole launch)."
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), NUMBA_NUM_THREADS=str(threads))
    env.pop("DIFFDRR_GENERATE_STOP_AFTER", None)
    with tempfile.TemporaryDirectory(prefix="diffdrr-bench-") as d:
        if ranks == 1:
            cmd = [sys.executable, "-m", "diffdrr.cli"]
        else:
            cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(ranks), "-m", "diffdrr.cli"]
        cmd += ["generate", ct, "--num-views", str(n), "--height", str(size), "--shard-size", str(shard_size), "--out", os.path.join(d, "ds")]
        t0 = time.perf_counter()
        p = subprocess.run(cmd, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{p.stdout}\n{p.stderr}")
    m = re.search(r"rendered (\d+) views in ([\d.]+) s \(([\d.]+) views/s, ([\d.]+) CPU ms per view\)", p.stdout)
    if m is None or int(m.group(1)) != n:
        sys.exit(f"no summary line for {n} views in the output of {' '.join(cmd)}:\n{p.stdout}")
    return float(m.group(3)), float(m.group(4)), wall


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ct", default="example", help="CT for `diffdrr generate` (default: the embedded phantom, 512 x 512 x 133)")
    p.add_argument("--sizes", type=int, nargs="+", default=[128, 256], help="detector sizes H = W")
    p.add_argument("--views", type=int, nargs="+", default=[96, 48], help="views per run, one per size")
    p.add_argument("--shard-size", type=int, default=8, help="views per shard (the shards are split evenly across ranks)")
    p.add_argument("--repeats", type=int, default=1, help="launches per cell; the best rate is shown")
    a = p.parse_args(argv)
    if len(a.views) != len(a.sizes):
        p.error("--views needs one count per --sizes entry")
    load0 = os.getloadavg()
    cells = {}
    for ranks, threads in CONFIGS:
        for size, n in zip(a.sizes, a.views):
            runs = [launch(a.ct, size, n, ranks, threads, a.shard_size) for _ in range(a.repeats)]
            cells[ranks, threads, size] = max(runs)
            print(f"ranks {ranks}, threads {threads}, {size} x {size}: " + ", ".join(f"{r:.2f} views/s, {c:.0f} CPU ms/view ({w:.1f} s launch)" for r, c, w in runs), file=sys.stderr)
    load1 = os.getloadavg()
    print(f"`python scripts/benchmark_generate.py {' '.join(argv if argv is not None else sys.argv[1:])}`".replace(" `", "`"))
    print(f"CT `{a.ct}`; {platform.processor() or platform.machine()}, {os.cpu_count()} cores, PyTorch {torch.__version__}, "
          f"load average {load0[0]:.1f} before and {load1[0]:.1f} after; best of {a.repeats} launches; "
          f"views/s and CPU ms per view (all ranks) as the command reports them (CT loading excluded), launch wall time in brackets.\n")
    print("| ranks x threads | " + " | ".join(f"{s} x {s}: views/s | {s} x {s}: CPU ms/view" for s in a.sizes) + " |")
    print("|---|" + "---|---|" * len(a.sizes))
    for ranks, threads in CONFIGS:
        row = [f"{cells[ranks, threads, s][0]:.1f} ({cells[ranks, threads, s][2]:.0f} s) | {cells[ranks, threads, s][1]:.0f}" for s in a.sizes]
        print(f"| {ranks} x {threads} | " + " | ".join(row) + " |")
    for s in a.sizes:
        print(f"\n2 ranks / 1 rank (1 thread each) at {s} x {s}: {cells[2, 1, s][0] / cells[1, 1, s][0]:.2f}x", end="")
    print()


if __name__ == "__main__":
    main()
