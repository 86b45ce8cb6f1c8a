"""Register the cross-renderer multi-view problems (made by `scripts/foreign_xrays.py make-views`) one view at a time and
several views at once, through diffdrr's public API.

    python scripts/register_views.py --data DIR --ct CT.nii.gz --out RESULTS.json [--problems 0-14 --threads 1]

Per problem, with the CT read as a user does (`read`, attenuation, the slices the problem says the CT lacks dropped) and
every view's X-ray, collimator mask and starting camera (3x4 P, LPS):
- `register_xray` on each view alone (configurations "1 view (0 deg)", "1 view (90 deg)", ...);
- `register_views` on view 0 with each other view ("2 views (90 deg)", "2 views (30 deg)"), one patient motion for both;
all from the same starting motion, with the same schedule (`XRAY_SCHEDULE`) and, unless --fallback, no global fallback. It writes each run's final projection matrices, time and trust flag; the score (mTRE
against the generator's ground truth, and the depth error along view 0's beam) is computed by `foreign_xrays.py
score-views`, which does not import diffdrr.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from register_foreign import crop  # noqa: E402  (the CT without the slices a problem says it lacks)

from diffdrr.data import read  # noqa: E402
from diffdrr.multiview import register_views  # noqa: E402
from diffdrr.xray_registration import register_xray  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--ct", required=True, help="the chest CT's NIfTI (the one the X-rays were made from)")
    ap.add_argument("--method", choices=("local", "global"), default="local")
    ap.add_argument("--problems", default=None, help="a range a-b (default: all)")
    ap.add_argument("--single", default="all", choices=("all", "first", "none"), help="single-view runs: every view, view 0 only, or none")
    ap.add_argument("--fallback", action="store_true", help="let an untrusted local run fall back to the global search (both callables' default; off here to save time)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    data = Path(a.data)
    n = len(list(data.glob("views_*.json")))
    lo, hi = (0, n - 1) if a.problems is None else map(int, a.problems.split("-"))
    ct = read(a.ct, hu_to_mu=True)
    runs = []
    out = Path(a.out)
    if out.exists():  # resume
        runs = json.loads(out.read_text())["runs"]
    done = {(r["problem"], r["config"]) for r in runs}
    key = "P_init_local" if a.method == "local" else "P_init_global"
    for k in range(lo, hi + 1):
        prob = json.loads((data / f"views_{k:03d}.json").read_text())
        V = len(prob["views"])
        imgs = [np.load(data / f"xray_{k:03d}_{v}.npy") for v in range(V)]
        masks = [np.load(data / f"mask_{k:03d}_{v}.npy") for v in range(V)]
        P0 = [np.array(P) for P in prob[key][0]]
        vol = crop(ct, prob["missing_slices_lps_z"])
        sep = [round(x["separation_deg"]) for x in prob["views"]]
        jobs = [(f"2 views ({sep[v]} deg)", [0, v]) for v in range(1, V)]
        singles = range(V) if a.single == "all" else [0] if a.single == "first" else []
        jobs = [(f"1 view ({sep[v]} deg)", [v]) for v in singles] + jobs
        for config, vs in jobs:
            if (k, config) in done:
                continue
            t0 = time.perf_counter()
            if len(vs) == 1:
                r = register_xray(vol, imgs[vs[0]], P0[vs[0]], mask=masks[vs[0]], method=a.method, world="LPS", fallback=a.fallback)
                Pf, trusted = [r.projection[0].tolist()], bool(r.trusted[0])
                info = dict(status=r.status[0], drop=float(r.trust["drop"][0]))
            else:
                r = register_views(vol, [imgs[v] for v in vs], [P0[v] for v in vs], masks=[masks[v] for v in vs], method=a.method, world="LPS",
                                   fallback=a.fallback)
                Pf, trusted = r.projections.tolist(), bool(r.trusted)
                info = dict(status=r.status, drop=r.trust["drop_mean"], drops=r.trust["drop"].tolist(), trusted_views=r.trusted_views)
            t = time.perf_counter() - t0
            runs.append(dict(problem=k, views=vs, method=a.method, config=config, P_initial=[P0[v].tolist() for v in vs], P_final=Pf,
                             time=t, trusted=trusted, trust=info))
            print(f"problem {k:3d} ({prob['params']['variant']}) {config}: {t:.1f} s, trusted {trusted}", flush=True)
            out.write_text(json.dumps(dict(runs=runs, threads=a.threads, torch=torch.__version__)))


if __name__ == "__main__":
    main()
