"""Where the time of one small render goes: the compiled kernel, or the Python around it (rays, ray order, checks, dispatch).

Renders the chest CT (`diffdrr.data.read`, 512 x 512 x 133) through `DRR(..., backend="numba")` from one AP pose, under
`torch.no_grad()`, at several detector sizes that keep the same field of view, for the Siddon and the trilinear renderer.
For each: the median wall time of a whole `drr(pose)`, the median time inside the kernel (the `_forward_kernel` call
on its threads), the share of the render spent outside it, and the Python function calls one render makes (counted by
`sys.setprofile`, builtins excluded). Renders of the two renderers and all sizes are interleaved, so that a change in
the machine's load touches all of them alike. Prints one markdown table; `--cprofile` also prints the cProfile listing
of one render per renderer at the smallest size.

    DIFFDRR_SHARED=/work/shared python scripts/profile_render.py [--sizes 16 32 64 128 200] [--repeats 30] [--threads 2]
"""
import argparse
import cProfile
import io
import math
import os
import platform
import pstats
import statistics
import sys
import time

import torch

sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repo's diffdrr, unless PYTHONPATH names another


def count_calls(fn) -> int:
    "Python function calls (not builtins) made while `fn()` runs."
    n = 0

    def prof(frame, event, arg):
        nonlocal n
        if event == "call":
            n += 1

    sys.setprofile(prof)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return n - 1  # the call of fn itself


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ct", default=None, help="a CT file (default: $DIFFDRR_SHARED/data/chest_ct_lidc0001.nii.gz)")
    p.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 64, 128, 200], help="detector sizes H = W")
    p.add_argument("--repeats", type=int, default=30, help="timed renders per cell (the median is shown)")
    p.add_argument("--threads", type=int, default=None, help="threads for torch and the kernels (default: torch's)")
    p.add_argument("--renderers", nargs="+", default=["siddon", "trilinear"])
    p.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                   help="wall: elapsed time; cpu: this process's processor time (with --threads 1, far less sensitive to other load)")
    p.add_argument("--cprofile", action="store_true", help="also print cProfile's listing of one render")
    a = p.parse_args(argv)
    if a.threads is not None:
        torch.set_num_threads(a.threads)
    clock = time.perf_counter if a.clock == "wall" else time.process_time

    import diffdrr.kernels as kernels
    from diffdrr.data import read
    from diffdrr.drr import DRR
    from diffdrr.geometry import seed_to_pose

    ct = a.ct or os.path.join(os.environ.get("DIFFDRR_SHARED", "/work/shared"), "data", "chest_ct_lidc0001.nii.gz")
    vol = read(ct)
    centre = (vol.affine[:3, :3].float() @ ((torch.tensor(vol.data.shape) - 1) / 2) + vol.affine[:3, 3].float()).tolist()
    pose, _ = seed_to_pose(sdr=510.0, theta=math.pi, phi=0.0, gamma=math.pi / 2, bx=centre[0], by=centre[1], bz=centre[2])
    fov = 400.0  # mm on the detector, whatever its size

    # time inside the kernel: `FusedRender` launches `_forward_kernel` through `_on_threads`
    kernel_time = [0.0]
    on_threads = kernels._on_threads

    def timed(kernel, *args):
        t = clock()
        try:
            return on_threads(kernel, *args)
        finally:
            kernel_time[0] += clock() - t

    kernels._on_threads = timed

    drrs = {(r, n): DRR(vol, height=n, delx=fov / n, sdd=1020.0, renderer=r, backend="numba") for r in a.renderers for n in a.sizes}
    totals = {k: [] for k in drrs}
    inside = {k: [] for k in drrs}
    with torch.no_grad():
        for d in drrs.values():  # compile (or load) the kernels, warm the caches
            d(pose)
            d(pose)
        calls = {k: count_calls(lambda: d(pose)) for k, d in drrs.items()}
        for _ in range(a.repeats):
            for k, d in drrs.items():
                kernel_time[0] = 0.0
                t = clock()
                d(pose)
                totals[k].append(clock() - t)
                inside[k].append(kernel_time[0])
        if a.cprofile:
            for r in a.renderers:
                d = drrs[r, min(a.sizes)]
                pr = cProfile.Profile()
                pr.enable()
                for _ in range(20):
                    d(pose)
                pr.disable()
                s = io.StringIO()
                pstats.Stats(pr, stream=s).sort_stats("tottime").print_stats(25)
                print(f"## cProfile of 20 renders, {r}, {min(a.sizes)} x {min(a.sizes)}\n\n```\n{s.getvalue().strip()}\n```\n")

    print(f"chest CT {tuple(vol.data.shape)}, AP view, {fov:.0f} mm field; {platform.machine()}, {os.cpu_count()} cores, "
          f"{torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.1f}; {a.clock} clock, median of {a.repeats} renders, "
          "interleaved\n")
    print("| renderer | size | total ms | kernel ms | outside kernel % | Python calls |")
    print("|---|---|---|---|---|---|")
    for (r, n) in drrs:
        tot = statistics.median(totals[r, n]) * 1e3
        ker = statistics.median(inside[r, n]) * 1e3
        out = statistics.median([(t - k) / t for t, k in zip(totals[r, n], inside[r, n])]) * 100
        print(f"| {r} | {n} x {n} | {tot:.2f} | {ker:.2f} | {out:.0f} | {calls[r, n]} |")


if __name__ == "__main__":
    main()
