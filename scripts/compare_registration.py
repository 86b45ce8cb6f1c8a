"""Our `register` beside DiffDRR 0.6.1's registration, on the same problems, on one CPU, in one run.

The problems are those of our benchmark (`python -m diffdrr.tools.registration`): the same volume
(the chest CT averaged as `--ct-downsample` says, or the embedded phantom), the same true pose (the seed's
registration view), the same detector (`--height` x `--height` pixels over 768 mm, source-to-detector 400 mm),
and the same random initial poses (rotation up to `--max-rotation` degrees about the volume's centre, shift up
to `--max-translation` mm, drawn with `--seed`). Each library renders its own fixed image at the true pose and
registers its own DRR to it; success is a final mTRE below 1 mm over the benchmark's 64 points spread through
the volume, computed here for both from the final camera-to-world poses in world mm.

Ours: one call of `register` with its defaults per start (NCC; Adam; detector scales 4, 2, 1).
DiffDRR 0.6.1: its public `DRR` and `Registration` modules and `NormalizedCrossCorrelation2d`, driven by the
loop its tutorials use (`torch.optim.Adam`, `maximize=True`, one step size for the rotation and one for the
translation), on the full detector, with Euler angles (ZXY) as the pose parameters. It has no coarse-to-fine,
step-size schedule or stopping rule of its own, so this script adds the plainest ones: the step sizes halve every
`--ref-lr-step` steps (`torch.optim.lr_scheduler.StepLR`; without it Adam keeps jittering by about one step,
0.6 degrees, which alone is more than 1 mm at the corners of the volume), at most `--ref-iterations` steps, stop
when the similarity has not improved by 1e-6 for `--ref-patience` steps, keep the pose of the best similarity.
These and its step sizes (`--ref-lr-rotation` rad, `--ref-lr-translation` mm) are our choices, not DiffDRR's,
and barely tuned, since each of its steps costs about a second of CPU here at 128 x 128 pixels (0.1-0.2 s at
64 x 64): of the two schedules tried on the chest CT, at most 150 steps halving every 25 converged from 2 of 5
starts (every run used all 150 steps), and the default, at most 300 halving every 50, from 4 of 5. The flags let
anyone try others.

Each side runs in its own subprocess (theirs under the interpreter of a separate virtual environment, by default
`../venv-ref` beside the repository, since their package is also called `diffdrr`), with the same number of
threads and the same OpenMP wait policy. Only DiffDRR's public API is called. The 1-minute load average is
printed with every timing: the machine may be shared. `make ref-venv` builds that environment with the same
torch release as ours but PyPI's build of it (2.13.0+cu130, run on the CPU, against our 2.13.0+cpu), because
DiffDRR's `diffdrr.metrics` imports torchvision and PyPI's torchvision 0.28.0 only loads beside that build; the
first line printed names both torch builds.

With `--mismatch realistic` both sides register the benchmark's realistic fixed image (`realistic_problem`, seeded by
`--mismatch-seed`): ours with its field-of-view mask, DiffDRR's NCC (which takes no mask) on both images cropped to the
mask's rectangle (the collimated field less its blurred edge), which is the same masked NCC. `--ref-mask multiply`
multiplies both images by the mask instead; the zeros outside the field then enter the correlation and bias its optimum
(on the benchmark's first 10 realistic problems, up to 45 degrees and 100 mm, none of either volume ended below 1 mm that
way, against 1 of 10 on each with the crop; the two runs that came closest ended at 2.0 and 4.9 mm on the phantom and at
2.6 and 5.1 mm on the chest CT multiplied, at 0.85 and 1.04 mm and at 0.42 and 1.40 mm cropped). `--method global` runs
our `global_register` instead of `register`.

Each side's failures (final mTRE not below `--threshold`) are printed with their problem's index and initial
offset. `--indices START:STOP` registers only problems START..STOP-1 of the `-n` problems (the offsets are still
drawn for all `-n`, so they are the benchmark's problems of those indices), to split a long run; `--only diffdrr`
skips our side (when the benchmark has measured it already); `--results FILE` appends one row per registration
in the benchmark's results format, DiffDRR's with the method `DiffDRR 0.6.1 Adam loop (script's choices)`.

    python scripts/compare_registration.py [--volumes ct] [-n 10] [--ref-python ../venv-ref/bin/python]
    python scripts/compare_registration.py --mismatch realistic --method global --height 64 --max-rotation 45 --max-translation 100 -n 3
    # DiffDRR's rows of nbs/tutorials/registration_results.csv (ours: python -m diffdrr.tools.registration), in chunks of 10:
    python scripts/compare_registration.py --mismatch realistic --method global --height 64 --max-rotation 45 --max-translation 100 \
        -n 50 --indices 0:10 --volumes phantom --threads 1 --only diffdrr --results nbs/tutorials/registration_results.csv
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REF = Path(os.environ.get("DIFFDRR_REF_VENV", ROOT.parent / "venv-ref")) / "bin" / "python"
REF_VERSION = "0.6.1"
REF_METHOD = f"DiffDRR {REF_VERSION} Adam loop (script's choices)"  # the `method` of its rows in a results file


# ----------------------------------------------------------------------------------------------------------------
# Workers (each in its own process; the DiffDRR one imports nothing of ours)
# ----------------------------------------------------------------------------------------------------------------
def _ncc_np(a, b) -> float:
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / math.sqrt(float((a * a).sum() * (b * b).sum())))


def _progress(cfg: dict, kind: str, i: int, run: dict):
    "One line per registration, for the driver to echo while the worker runs."
    with open(cfg["progress"], "a") as f:
        f.write(f"    {kind} {i + 1}/{len(cfg['starts'])}: {run['evaluations']} evaluations, {run['time']:.1f} s wall "
                f"({run['cpu_time']:.1f} s CPU), load average {run['load']:.1f}\n")


def worker_ours(cfg: dict) -> dict:
    "Register every start with our `register` (defaults), on the benchmark's problem."
    import torch

    from diffdrr.tools.registration import load_problem, realistic_problem
    from diffdrr.registration import register
    from diffdrr.search import global_register

    torch.set_num_threads(cfg["threads"])
    p = load_problem(cfg["volume_name"], cfg["height"], ct_downsample=tuple(cfg["ct_downsample"]))
    if cfg.get("mismatch") == "realistic":
        p = realistic_problem(p, cfg["mismatch_seed"], preset="v1")
    drr, fixed, mask = p["drr"], p["fixed"], p.get("mask")
    fn = global_register if cfg.get("method") == "global" else register
    kw = {} if mask is None else {"mask": mask}
    starts = torch.tensor(cfg["starts"], dtype=torch.float64)
    register(drr, fixed, starts[:1], iterations=2, progress=False)  # warm-up (compiles the kernels once)
    out = []
    for i in range(len(starts)):
        load = os.getloadavg()[0]
        res = fn(drr, fixed, starts[i : i + 1], progress=False, **kw)
        evals = int(res.iterations[0]) + (res.search[0]["evaluations"] - int(res.iterations[0]) if getattr(res, "search", None) else 0)
        out.append(dict(pose=res.pose[0].tolist(), time=res.time, cpu_time=res.cpu_time, evaluations=evals, load=load,
                        status=res.status[0]))
        _progress(cfg, "ours", i, out[-1])
    return dict(runs=out, fixed=fixed[0, 0].double().tolist(), threads=torch.get_num_threads(), torch=torch.__version__)


def worker_diffdrr(cfg: dict) -> dict:
    "Register every start with DiffDRR 0.6.1's DRR and Registration, through its public API."
    import numpy as np
    import torch
    from torchio import ScalarImage

    import diffdrr
    from diffdrr.data import read
    from diffdrr.drr import DRR
    from diffdrr.metrics import NormalizedCrossCorrelation2d
    from diffdrr.pose import RigidTransform
    from diffdrr.registration import Registration

    if diffdrr.__version__ != REF_VERSION:
        raise RuntimeError(f"expected DiffDRR {REF_VERSION}; imported {diffdrr.__version__} from {diffdrr.__file__}")
    torch.set_num_threads(cfg["threads"])
    volume = torch.from_numpy(np.load(cfg["volume"]))  # (X, Y, Z) float32, the voxels our DRR renders
    affine = np.array(cfg["affine"], dtype=np.float64)  # voxel index -> world mm, as ours
    # keep the volume where the affine puts it (no reorientation, no recentring) and render its raw values
    subject = read(ScalarImage(tensor=volume[None], affine=affine), orientation=None, center_volume=False)
    subject.density.set_data(volume[None])
    drr = DRR(subject, sdd=cfg["sdd"], height=cfg["height"], delx=cfg["delx"])
    # their detector (reverse_x_axis=True) puts pixel (i, j) at camera (-x_j, -y_i, sdd) where our pinhole
    # camera puts it at (x_j, y_i, sdd): our camera-to-world pose P is their pose P @ flip (flip is its own inverse)
    flip = torch.diag(torch.tensor([-1.0, -1.0, 1.0, 1.0]))
    true_pose = torch.tensor(cfg["true_pose"], dtype=torch.float32)[None]
    with torch.no_grad():
        fixed = drr(RigidTransform(true_pose @ flip))
    render = fixed[0, 0].double().tolist()  # their own DRR at the true pose, for the driver's geometry check
    mask, crop = None, None
    if cfg.get("fixed_image") is not None:  # a realistic fixed image made by our harness (the same pixels: see the NCC check)
        fixed = torch.tensor(cfg["fixed_image"], dtype=fixed.dtype)[None, None]
        if cfg.get("mask") is not None:  # their NCC has no mask
            mask = torch.tensor(cfg["mask"], dtype=fixed.dtype)[None, None]
            rows, cols = mask[0, 0].any(1).nonzero()[:, 0], mask[0, 0].any(0).nonzero()[:, 0]
            box = (slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1))
            if cfg.get("ref_mask", "crop") == "crop" and bool((mask[0, 0][box] == 1).all()):
                crop, mask = box, None  # a rectangular field: both images cropped to it (their NCC over the field only)
                fixed = fixed[..., crop[0], crop[1]]
            else:  # both images multiplied by the field
                fixed = fixed * mask
    ncc = NormalizedCrossCorrelation2d()
    out = []
    for i, start in enumerate(cfg["starts"]):
        load = os.getloadavg()[0]
        c0, t0 = time.process_time(), time.perf_counter()
        rot, trans = RigidTransform(torch.tensor(start, dtype=torch.float32)[None] @ flip).convert("euler_angles", "ZXY")
        reg = Registration(drr, rot.clone(), trans.clone(), parameterization="euler_angles", convention="ZXY")
        opt = torch.optim.Adam([{"params": [reg.rotation], "lr": cfg["lr_rotation"]},
                                {"params": [reg.translation], "lr": cfg["lr_translation"]}], maximize=True)
        sched = torch.optim.lr_scheduler.StepLR(opt, cfg["lr_step"], gamma=0.5)
        best, best_pose, stale, steps, status = -math.inf, None, 0, 0, "max_iterations"
        for steps in range(1, cfg["iterations"] + 1):
            opt.zero_grad()
            pose = reg.pose
            moving = drr(pose)
            if crop is not None:
                moving = moving[..., crop[0], crop[1]]
            sim = ncc(fixed, moving if mask is None else moving * mask)
            s = float(sim)
            if not math.isfinite(s):
                status = "not_finite"
                break
            if s > best + 1e-6:
                stale = 0
            else:
                stale += 1
            if s > best:
                best, best_pose = s, pose.matrix.detach().clone()
            if stale >= cfg["patience"]:
                status = "converged"  # no better similarity for `patience` steps
                break
            sim.backward()
            opt.step()
            sched.step()
        t, c = time.perf_counter() - t0, time.process_time() - c0
        final = (best_pose @ flip)[0] if best_pose is not None else torch.tensor(start)
        out.append(dict(pose=final.double().tolist(), time=t, cpu_time=c, evaluations=steps, load=load, ncc=best, status=status))
        _progress(cfg, "diffdrr", i, out[-1])
    return dict(runs=out, fixed=fixed[0, 0].double().tolist(), render=render, threads=torch.get_num_threads(),
                torch=torch.__version__)


# ----------------------------------------------------------------------------------------------------------------
# Driver
# ----------------------------------------------------------------------------------------------------------------
def _fail(msg: str, code: int = 2):
    print(f"compare_registration: {msg}", file=sys.stderr)
    raise SystemExit(code)


def check_ref_python(ref_python: Path) -> str:
    "The version line of the reference interpreter; exits with a message when it cannot run DiffDRR 0.6.1."
    if not ref_python.exists():
        _fail(f"no reference interpreter at {ref_python}: build a virtual environment with diffdrr=={REF_VERSION} there, or pass --ref-python")
    probe = "import diffdrr, torch; print(diffdrr.__version__, torch.__version__)"
    r = subprocess.run([str(ref_python), "-c", probe], capture_output=True, text=True, cwd=tempfile.gettempdir())
    if r.returncode != 0:
        _fail(f"{ref_python} cannot import diffdrr: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.returncode}")
    version, torch_version = r.stdout.split()
    if version != REF_VERSION:
        _fail(f"{ref_python} imports diffdrr {version}; expected {REF_VERSION}")
    return f"DiffDRR {version} (torch {torch_version})"


def run_worker(python: str, kind: str, cfg: dict, tmp: Path, env: dict, timeout: float) -> dict:
    "Run one worker in a fresh process (cwd outside the repository, so theirs never imports ours)."
    cfg_path, out_path, log = tmp / f"{kind}_cfg.json", tmp / f"{kind}_out.json", tmp / f"{kind}_progress.txt"
    log.write_text("")
    cfg_path.write_text(json.dumps(dict(cfg, progress=str(log))))
    err = open(tmp / f"{kind}_stderr.txt", "w+")
    proc = subprocess.Popen([python, str(Path(__file__).resolve()), "--worker", kind, str(cfg_path), str(out_path)],
                            cwd=str(tmp), env=env, stdout=err, stderr=err, text=True)
    shown, t0 = 0, time.monotonic()
    while True:
        try:
            rc = proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            rc = None
        lines = log.read_text().splitlines()
        for line in lines[shown:]:
            print(line, file=sys.stderr, flush=True)
        shown = len(lines)
        if rc is not None:
            break
        if time.monotonic() - t0 > timeout:
            proc.kill()
            _fail(f"the {kind} worker ran past {timeout:g} s; {shown} registrations done")
    if rc != 0:
        err.seek(0)
        _fail(f"the {kind} worker failed:\n{err.read()[-3000:]}")
    return json.loads(out_path.read_text())


def summarize(name: str, label: str, runs: list, true_pose, points, threshold: float) -> dict:
    import torch

    from diffdrr.metrics import mtre

    poses = torch.tensor([r["pose"] for r in runs], dtype=torch.float64)
    err = mtre(poses, true_pose.expand(len(runs), 4, 4), points)
    ok = (err < threshold).tolist()
    return dict(volume=name, library=label, n=len(runs), success=sum(ok) / len(ok), success_10=float((err < 10).double().mean()),
                median_mtre=float(err.median()),
                worst_mtre=float(err.max()), median_time=statistics.median(r["time"] for r in runs),
                median_cpu=statistics.median(r["cpu_time"] for r in runs),
                median_evals=statistics.median(r["evaluations"] for r in runs),
                load=(min(r["load"] for r in runs), max(r["load"] for r in runs)), errors=err.tolist())


def table(rows: list, threshold: float) -> str:
    head = f"| volume | library | starts | success (mTRE < {threshold:g} mm) | mTRE < 10 mm | median final mTRE (worst) | median loss evaluations | median time per registration | load average (1 min) |"
    lines = [head, "|" + "---|" * 9]
    for r in rows:
        lines.append(f"| {r['volume']} | {r['library']} | {r['n']} | {r['success']:.0%} | {r['success_10']:.0%} | {r['median_mtre']:.3f} mm ({r['worst_mtre']:.3g}) | "
                     f"{r['median_evals']:.0f} | {r['median_time']:.2f} s wall, {r['median_cpu']:.2f} s CPU | {r['load'][0]:.1f}-{r['load'][1]:.1f} |")
    return "\n".join(lines)


def failures(runs: list, problems: list, errors: list, threshold: float) -> list:
    "A line per failed registration (final mTRE not below `threshold`), with its problem's initial offset."
    return [f"    problem {pr['index']}: offset {pr['rotation']:.1f} deg, {pr['translation']:.1f} mm (initial mTRE {pr['initial_mtre']:.1f} mm)"
            f" -> final mTRE {e:.2f} mm ({r.get('status', '?')}, {r['evaluations']} evaluations)"
            for r, pr, e in zip(runs, problems, errors) if not e < threshold]


def result_rows(kind: str, runs: list, problems: list, errors: list, rotation_errors: list, args, mask: bool, load: float) -> list:
    "Rows in the format of the benchmark's results file (`diffdrr.tools.registration.RESULT_FIELDS`)."
    method = ("global" if args.method == "global" else "local") if kind == "ours" else REF_METHOD
    return [dict(volume=pr["volume"], mismatch=args.mismatch, method=method, metric="ncc", masked=mask, max_rotation=args.max_rotation,
                 max_translation=args.max_translation, height=args.height, seed=args.seed, index=pr["index"], rotation=pr["rotation"],
                 translation=pr["translation"], initial_mtre=pr["initial_mtre"], final_mtre=e, rotation_error=re, success=e < args.threshold,
                 success_10=e < 10.0, status=r.get("status", ""), converged=r.get("status") == "converged", evaluations=r["evaluations"],
                 time=r["time"], cpu_time=r["cpu_time"], load=round(load, 1))
            for r, pr, e, re in zip(runs, problems, errors, rotation_errors)]


def write_rows(rows: list, path: Path):
    "Append rows to a results file in the benchmark's format (its header when the file is new)."
    from diffdrr.tools.registration import RESULT_FIELDS, write_results

    write_results(rows, path)  # floats as %.4g, as the benchmark writes them
    assert set(rows[0]) <= set(RESULT_FIELDS)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--volumes", default="ct", help="comma-separated: ct, phantom (default ct)")
    ap.add_argument("-n", type=int, default=10, help="random starts per volume (default 10)")
    ap.add_argument("--max-rotation", type=float, default=10.0, help="largest initial rotation, degrees (default 10)")
    ap.add_argument("--max-translation", type=float, default=20.0, help="largest initial translation, mm (default 20)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the initial poses (default 0, as the benchmark)")
    ap.add_argument("--height", type=int, default=128, help="detector rows and columns (default 128)")
    ap.add_argument("--ct-downsample", default="4,4,1", help="voxel blocks averaged in the CT (default 4,4,1, as the benchmark)")
    ap.add_argument("--threshold", type=float, default=1.0, help="success: final mTRE below this, mm (default 1)")
    ap.add_argument("--threads", type=int, default=2, help="threads of each side (default 2)")
    ap.add_argument("--ref-python", type=Path, default=DEFAULT_REF, help=f"interpreter with DiffDRR {REF_VERSION} (default {DEFAULT_REF})")
    ap.add_argument("--ref-iterations", type=int, default=300, help="DiffDRR: most Adam steps (default 300)")
    ap.add_argument("--ref-lr-step", type=int, default=50, help="DiffDRR: the step sizes halve every this many steps (default 50)")
    ap.add_argument("--ref-patience", type=int, default=20, help="DiffDRR: stop after this many steps without a better similarity (default 20)")
    ap.add_argument("--ref-lr-rotation", type=float, default=1e-2, help="DiffDRR: Adam step size of the Euler angles, rad (default 0.01)")
    ap.add_argument("--ref-lr-translation", type=float, default=1.0, help="DiffDRR: Adam step size of the translation, mm (default 1)")
    ap.add_argument("--only", choices=("ours", "diffdrr"), default=None, help="run one side only")
    ap.add_argument("--mismatch", choices=("none", "realistic"), default="none",
                    help="realistic: both sides register the benchmark's realistic fixed image (realistic_problem; DiffDRR's NCC sees both images times the field mask)")
    ap.add_argument("--ref-mask", choices=("crop", "multiply"), default="crop",
                    help="realistic: DiffDRR's NCC (no mask of its own) on both images cropped to the rectangular field (default), or multiplied by the mask")
    ap.add_argument("--mismatch-seed", type=int, default=0, help="seed of the realistic image (default 0)")
    ap.add_argument("--method", choices=("local", "global"), default="local", help="ours: register (local) or global_register (default local)")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per worker (default 3600)")
    ap.add_argument("--indices", default=None, help="START:STOP: register only problems START..STOP-1 of the -n problems (the same problems as in a full run: "
                    "the offsets are drawn for all n), to split a long run")
    ap.add_argument("--results", type=Path, default=None, help="append one row per registration to this CSV, in the benchmark's format "
                    f"(method: ours 'local'/'global', DiffDRR '{REF_METHOD}')")
    args = ap.parse_args(argv)

    import numpy as np
    import torch

    from diffdrr.tools.registration import SDR, SPAN, load_problem, random_offsets, realistic_problem
    from diffdrr.metrics import geodesic_angle, mtre
    from diffdrr.registration import volume_center

    lo, hi = 0, args.n
    if args.indices:
        lo, hi = (int(v) for v in args.indices.split(":"))
        if not 0 <= lo < hi <= args.n:
            ap.error(f"--indices {args.indices}: need 0 <= START < STOP <= n = {args.n}")

    ref_line = check_ref_python(args.ref_python) if args.only != "ours" else "DiffDRR not run"
    env = dict(os.environ)
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # the same for both sides (see the benchmark's notes)
    env.pop("PYTHONPATH", None)
    ct_factors = [int(f) for f in args.ct_downsample.split(",")]
    print(f"registration, ours (torch {torch.__version__}) beside {ref_line}: {args.n} starts per volume"
          f"{f' (problems {lo}-{hi - 1} of them)' if (lo, hi) != (0, args.n) else ''}, offsets up to {args.max_rotation:g} deg and "
          f"{args.max_translation:g} mm (seed {args.seed}), {args.height} x {args.height} detector, {args.threads} threads each, "
          f"OMP_WAIT_POLICY={env['OMP_WAIT_POLICY']}; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="cmp_reg_") as tmp:
        tmp = Path(tmp)
        for name in [v.strip() for v in args.volumes.split(",") if v.strip()]:
            p = load_problem(name, args.height, ct_downsample=tuple(ct_factors))
            if args.mismatch == "realistic":
                p = realistic_problem(p, args.mismatch_seed, preset="v1")
            drr, true_pose, points = p["drr"], p["true_pose"], p["points"]
            W, angles, lengths = random_offsets(args.n, args.max_rotation, args.max_translation, volume_center(drr), torch.Generator().manual_seed(args.seed))
            starts = (W @ true_pose)[lo:hi]  # the benchmark's problems lo..hi-1 (its `run` draws the same n offsets)
            init = mtre(starts, true_pose.expand(len(starts), 4, 4), points)
            problems = [dict(volume=name, index=i, rotation=float(angles[i]), translation=float(lengths[i]), initial_mtre=float(init[i - lo]))
                        for i in range(lo, hi)]
            np.save(tmp / f"{name}.npy", np.ascontiguousarray(drr.volume.detach().cpu().numpy(), dtype=np.float32))
            cfg = dict(volume_name=name, volume=str(tmp / f"{name}.npy"), affine=drr.affine.double().tolist(), height=args.height,
                       delx=SPAN / args.height, sdd=2 * SDR, ct_downsample=ct_factors, true_pose=true_pose[0].tolist(),
                       starts=starts.tolist(), threads=args.threads, iterations=args.ref_iterations, patience=args.ref_patience,
                       lr_rotation=args.ref_lr_rotation, lr_translation=args.ref_lr_translation, lr_step=args.ref_lr_step,
                       mismatch=args.mismatch, mismatch_seed=args.mismatch_seed, method=args.method, ref_mask=args.ref_mask,
                       fixed_image=p["fixed"][0, 0].double().tolist() if args.mismatch == "realistic" else None,
                       mask=p["mask"][0, 0].double().tolist() if args.mismatch == "realistic" else None)
            print(f"{name}: {p['description']}", flush=True)
            fixed, records = {}, []
            for kind, python, label in (("ours", sys.executable, f"ours ({'global_register' if args.method == 'global' else 'register'}, defaults)"),
                                        ("diffdrr", str(args.ref_python), f"DiffDRR {REF_VERSION} (Adam loop)")):
                if args.only and kind != args.only:
                    continue
                res = run_worker(python, kind, cfg, tmp, env, args.timeout)
                fixed[kind] = np.array(res["fixed"])
                rows.append(summarize(name, label, res["runs"], true_pose, points, args.threshold))
                r = rows[-1]
                print(f"  {label}: success {r['success']:.0%} of {r['n']} (< 10 mm: {r['success_10']:.0%}), median mTRE {r['median_mtre']:.3f} mm, "
                      f"median {r['median_time']:.2f} s wall ({r['median_cpu']:.2f} s CPU), load {r['load'][0]:.1f}-{r['load'][1]:.1f}"
                      f"; torch {res.get('torch', '?')}", flush=True)
                fails = failures(res["runs"], problems, r["errors"], args.threshold)
                print(f"  {label}: {len(fails)} of {r['n']} failed (final mTRE >= {args.threshold:g} mm)" + (":" if fails else ""), flush=True)
                for line in fails:
                    print(line, flush=True)
                if kind == "diffdrr":  # their DRR at the true pose against ours: the same camera, the same voxels
                    with torch.no_grad():
                        ours_render = drr(true_pose)[0, 0].double().cpu().numpy()
                    print(f"  their DRR and ours at the true pose agree: NCC {_ncc_np(ours_render, np.array(res['render'])):.4f}", flush=True)
                if args.results:
                    poses = torch.tensor([x["pose"] for x in res["runs"]], dtype=torch.float64)
                    rot = torch.rad2deg(geodesic_angle(poses, true_pose.expand(len(poses), 4, 4))).tolist()
                    records += result_rows(kind, res["runs"], problems, r["errors"], rot, args, args.mismatch == "realistic", os.getloadavg()[0])
            if args.results and records:
                write_rows(records, args.results)
                print(f"  {len(records)} rows appended to {args.results}", flush=True)
            if len(fixed) == 2:
                print(f"  the two fixed images agree: NCC {_ncc_np(fixed['ours'], fixed['diffdrr']):.4f} (same voxels, same camera"
                      + ("; both the realistic image, DiffDRR's times the mask)" if args.mismatch == "realistic" else ")"), flush=True)
    print()
    print(table(rows, args.threshold))
    print(f"\nload average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return rows


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        kind, cfg_path, out_path = sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
        cfg = json.loads(cfg_path.read_text())
        result = (worker_ours if kind == "ours" else worker_diffdrr)(cfg)
        out_path.write_text(json.dumps(result))
    else:
        main()
