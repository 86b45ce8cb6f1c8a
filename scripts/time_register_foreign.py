"""Time `register_xray` on the cross-renderer benchmark's problems, with and without its axial-scale step, interleaved.

    python scripts/time_register_foreign.py --data DIR --ct CT.nii.gz [--method local] [--problems 0-19] [--threads 2]

DIR holds the problems `scripts/foreign_xrays.py make` wrote (`make foreign-benchmark`). Prints one table: the median wall
time per registration with `axial_scale=True` (the default) and `False`. Run it on an idle machine; accuracy is scored by
`make foreign-benchmark`, not here.
"""
import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from diffdrr.data import read
from diffdrr.xray_registration import register_xray
from register_foreign import crop


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--ct", required=True)
    ap.add_argument("--method", choices=("local", "global"), default="local")
    ap.add_argument("--problems", default="0-19", help="a range a-b")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    lo, hi = map(int, a.problems.split("-"))
    ct = read(a.ct, hu_to_mu=True)
    times = {True: [], False: []}
    for k in range(lo, hi + 1):
        prob = json.loads((Path(a.data) / f"problem_{k:03d}.json").read_text())
        img, mask = np.load(Path(a.data) / f"xray_{k:03d}.npy"), np.load(Path(a.data) / f"mask_{k:03d}.npy")
        P0 = np.array(prob["P_init_local" if a.method == "local" else "P_init_global"][0])
        vol = crop(ct, prob["missing_slices_lps_z"])
        for flag in ((True, False) if k % 2 else (False, True)):  # alternate the order: neither variant always runs first
            t0 = time.perf_counter()
            register_xray(vol, img, P0, mask=mask, method=a.method, world="LPS", axial_scale=flag)
            times[flag].append(time.perf_counter() - t0)
    print(f"| method | problems | threads | axial_scale=True | axial_scale=False |\n|---|---|---|---|---|\n"
          f"| {a.method} | {a.problems} | {a.threads} | {statistics.median(times[True]):.1f} s | {statistics.median(times[False]):.1f} s |")


if __name__ == "__main__":
    main()
