"""Pixel subsampling in `register`: speed and accuracy for several fractions of the pixels per step.

Runs the same-renderer registration benchmark of `diffdrr.tools.registration` (the fixed image is the moving DRR's own
render at the true pose; random starts up to --max-rotation degrees and --max-translation mm away) once per start and
fraction, the fractions interleaved start by start so that a change in the machine's load falls on all of them alike, and
prints one table: per fraction, the median wall time and CPU time of a registration, the median number of steps and
CPU time per step, the share of registrations ending below --threshold mm mTRE, and the median final mTRE.

    python scripts/benchmark_subsample.py [--n 4] [--volumes phantom] [--fractions 1,0.5,0.25,0.1] [--threads 1]
"""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch starts OpenMP: on a shared CPU idle threads should sleep

import torch

from diffdrr.registration import register, volume_center
from diffdrr.metrics import mtre
from diffdrr.tools.registration import load_problem, random_offsets


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--volumes", default="phantom", help="comma-separated: phantom, ct (default phantom)")
    ap.add_argument("--n", type=int, default=4, help="random starts per volume (default 4)")
    ap.add_argument("--fractions", default="1,0.5,0.25,0.1", help="shares of the pixels per step; 1 is the plain run (default 1,0.5,0.25,0.1)")
    ap.add_argument("--height", type=int, default=128, help="detector rows and columns (default 128)")
    ap.add_argument("--max-rotation", type=float, default=10.0, help="largest initial rotation, degrees (default 10)")
    ap.add_argument("--max-translation", type=float, default=20.0, help="largest initial translation, mm (default 20)")
    ap.add_argument("--threshold", type=float, default=5.0, help="success: final mTRE below this, mm (default 5)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the starts (default 0); the subsets use subsample_seed=0")
    ap.add_argument("--threads", type=int, default=1, help="torch (and numba) threads (default 1)")
    ap.add_argument("--backend", default="auto", help="DRR backend: torch, numba or auto (default auto)")
    args = ap.parse_args(argv)
    fractions = [float(f) for f in args.fractions.split(",")]
    if args.n < 1 or any(not 0 < f <= 1 for f in fractions):
        ap.error("--n must be >= 1 and every fraction in (0, 1]")
    torch.set_num_threads(args.threads)
    try:
        import numba

        numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    except ImportError:
        pass
    load0 = os.getloadavg()[0]
    rows = {f: [] for f in fractions}
    descriptions = []
    for name in [v.strip() for v in args.volumes.split(",") if v.strip()]:
        problem = load_problem(name, args.height, backend=args.backend)
        descriptions.append(problem["description"])
        drr, true_pose, fixed, points = problem["drr"], problem["true_pose"], problem["fixed"], problem["points"]
        for f in (None, 0.5):  # warm up (the compiled kernels' first call, the allocator) before anything is timed
            register(drr, fixed, true_pose, progress=False, iterations=2, subsample=f)
        W, _, _ = random_offsets(args.n, args.max_rotation, args.max_translation, volume_center(drr), torch.Generator().manual_seed(args.seed))
        for i in range(args.n):
            start = W[i : i + 1] @ true_pose
            for f in fractions:
                res = register(drr, fixed, start, progress=False, subsample=None if f == 1 else f)
                err = float(mtre(res.pose, true_pose, points))
                rows[f].append(dict(time=res.time, cpu=res.cpu_time, steps=int(res.iterations[0]), mtre=err))
                print(f"  {name} start {i + 1}/{args.n}, fraction {f:g}: mTRE {float(mtre(start, true_pose, points)):.1f} -> {err:.3f} mm, "
                      f"{int(res.iterations[0])} steps, {res.time:.1f} s", file=sys.stderr, flush=True)
    print(f"pixel subsampling in register: {args.n} start(s) per volume up to {args.max_rotation:g} deg and {args.max_translation:g} mm, "
          f"default RegistrationSettings (scales (4, 2, 1), iterations (100, 30, 6), ncc); torch {torch.__version__}, {args.threads} thread(s); "
          f"load average {load0:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for d in descriptions:
        print(f"  {d}")
    print(f"| fraction | median time (s) | median CPU (s) | median steps | median CPU per step (ms) | success (< {args.threshold:g} mm) | median mTRE (mm) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for f in fractions:
        r = rows[f]
        med = lambda k: statistics.median(x[k] for x in r)
        ok = sum(x["mtre"] < args.threshold for x in r)
        per_step = statistics.median(1000 * x["cpu"] / x["steps"] for x in r)
        print(f"| {f:g} | {med('time'):.2f} | {med('cpu'):.2f} | {med('steps'):.0f} | {per_step:.1f} | {ok}/{len(r)} | {med('mtre'):.3f} |")
    return rows


if __name__ == "__main__":
    main()
