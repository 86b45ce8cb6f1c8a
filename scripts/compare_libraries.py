"""Speed and memory of our renderers beside DiffDRR 0.6.1 and nanodrr 0.1.7, on one CPU, in one run.

One case: the chest CT of the shared data (512 x 512 x 133, loaded as the seed loaded it) seen from
the seed's AP-like view (sdr 300 mm, theta pi, phi 0, gamma pi/2, isocentre at the volume's centre)
on a 200 x 200 detector of 4 mm pixels (source-to-detector 600 mm). Every library renders the same
voxels from the same camera; the script checks that by correlating the images before it prints timings.

Each measurement (library x renderer x pass) runs in a fresh subprocess, so its memory figures are
its own: the resident size once the volume is loaded and the library's objects are built, then the
peak (getrusage ru_maxrss) over a warm-up and the timed repeats. Ours runs under this interpreter
(our `diffdrr` installed, editable); DiffDRR 0.6.1 and nanodrr 0.1.7 run under the interpreter of a
separate virtual environment (their package is also called `diffdrr`), by default `../venv-ref`
beside the repository (`make compare` builds it). Only their public APIs are called.

    python scripts/compare_libraries.py [--ref-python ../venv-ref/bin/python] [--repeats 5] [--threads 2]

Prints one table: median wall time, ratio to our compiled (numba) path, peak RSS and peak above the
loaded volume; and the 1-minute load average seen during the run (the machine may be shared).
"""
import argparse
import ctypes
import gc
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VENV = Path(os.environ.get("DIFFDRR_REF_VENV", ROOT.parent / "venv-ref"))
CHEST_CT = "chest_ct_lidc0001_dicom"
REF_VERSIONS = {"diffdrr": "0.6.1", "nanodrr": "0.1.7"}

# The case (geometry-seed.md): sdr, theta, phi, gamma; detector rows = columns; pixel pitch in mm
SDR, THETA, PHI, GAMMA = 300.0, math.pi, 0.0, math.pi / 2
HEIGHT, DELX = 200, 4.0
N_POINTS = 512  # trilinear samples per ray: about one per voxel along the AP rays (512 voxels deep)

# (library, renderer, label); "ours-torch" and "ours-numba" are our DRR(backend="torch" / "numba")
LIBRARIES = ("ours-torch", "ours-numba", "diffdrr-0.6.1", "nanodrr-0.1.7")
LABELS = {"ours-torch": "ours (torch)", "ours-numba": "ours (numba)", "diffdrr-0.6.1": "DiffDRR 0.6.1", "nanodrr-0.1.7": "nanodrr 0.1.7"}
PASSES = ("fwd", "fwd+bwd")


# ----------------------------------------------------------------------------------------------------------------
# Worker: one measurement in this process (runs under either interpreter; imports only what its library needs)
# ----------------------------------------------------------------------------------------------------------------
def _status_kb(field: str) -> int:
    "A field of /proc/self/status (VmRSS, VmHWM) in kB."
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(f"{field} not in /proc/self/status")


def _settle() -> float:
    "Collect garbage and hand freed heap back to the system; the resident size now in MB."
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass
    return _status_kb("VmRSS") / 1024


def _maxrss_mb() -> float:
    "Peak resident size of this process (getrusage ru_maxrss, kB on Linux) in MB."
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> bool:
    "Reset the kernel's resident high-water mark (ru_maxrss follows it); False where that is not possible."
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _build_ours(cfg, volume, backend):
    "A render function for our DRR module (pose: (1, 4, 4) camera-to-world)."
    from diffdrr.drr import DRR

    kw = {"n_points": cfg["n_points"]} if cfg["renderer"] == "trilinear" else {}
    drr = DRR(volume, cfg["spacing"], height=cfg["height"], delx=cfg["delx"], sdd=cfg["sdd"],
              renderer=cfg["renderer"], backend=backend, **kw)
    return lambda pose: drr(pose)


def _build_diffdrr(cfg, volume):
    "A render function for DiffDRR 0.6.1's DRR (its Siddon or Trilinear renderer), placed in our world frame."
    import numpy as np
    import torch
    from torchio import ScalarImage

    import diffdrr
    from diffdrr.data import read
    from diffdrr.drr import DRR

    if diffdrr.__version__ != REF_VERSIONS["diffdrr"]:
        raise RuntimeError(f"expected DiffDRR {REF_VERSIONS['diffdrr']}; imported {diffdrr.__version__} from {diffdrr.__file__}")
    affine = np.array(cfg["affine"], dtype=np.float64)  # voxel-centre index -> world mm, as ours
    # orientation=None, center_volume=False: keep the volume where the affine puts it (no reframing)
    subject = read(ScalarImage(tensor=volume[None], affine=affine), orientation=None, center_volume=False)
    # read() maps the volume to its own 0..1 density; render the raw values instead, as the other libraries do
    subject.density.set_data(volume[None])
    kw = {"n_points": cfg["n_points"]} if cfg["renderer"] == "trilinear" else {}
    drr = DRR(subject, sdd=cfg["sdd"], height=cfg["height"], delx=cfg["delx"], renderer=cfg["renderer"])
    # DiffDRR's detector (reverse_x_axis=True) puts pixel (i, j) at camera (-x_j, -y_i, sdd) where a
    # pinhole camera (ours, nanodrr) puts it at (x_j, y_i, sdd): the same rays need x and y flipped
    flip = torch.diag(torch.tensor([-1.0, -1.0, 1.0, 1.0]))
    return lambda pose: drr(pose @ flip, parameterization="matrix", **kw)


def _build_nanodrr(cfg, volume):
    "A render function for nanodrr 0.1.7's DRR on its PyTorch path."
    import numpy as np
    from importlib.metadata import version

    from torchio import ScalarImage

    from nanodrr.data import Subject
    from nanodrr.drr import DRR

    if version("nanodrr") != REF_VERSIONS["nanodrr"]:
        raise RuntimeError(f"expected nanodrr {REF_VERSIONS['nanodrr']}; found {version('nanodrr')}")
    affine = np.array(cfg["affine"], dtype=np.float64)
    subject = Subject.from_images(ScalarImage(tensor=volume[None], affine=affine), convert_to_mu=False)  # raw values
    drr = DRR.from_carm_intrinsics(cfg["sdd"], cfg["delx"], cfg["delx"], 0.0, 0.0, cfg["height"], cfg["height"])
    return lambda pose: drr(subject, pose, n_samples=cfg["n_points"], backend="torch")


def worker(cfg: dict) -> dict:
    "Load the volume, build the library's renderer, warm up, time the repeats; the row as a dict."
    import numpy as np
    import torch

    torch.set_num_threads(cfg["threads"])
    out = {"rss_start_mb": _settle()}
    volume = torch.from_numpy(np.load(cfg["volume"]))  # (X, Y, Z) float32, as read_dicom gives it
    lib = cfg["library"]
    if lib.startswith("ours"):
        render = _build_ours(cfg, volume, lib.split("-")[1])
    elif lib.startswith("diffdrr"):
        render = _build_diffdrr(cfg, volume)
    else:
        render = _build_nanodrr(cfg, volume)
    pose = torch.tensor(cfg["pose"], dtype=torch.float32)[None]  # (1, 4, 4) camera-to-world, ours/nanodrr convention
    backward = cfg["pass"] == "fwd+bwd"

    def call():
        if not backward:
            with torch.no_grad():
                return render(pose)
        p = pose.clone().requires_grad_(True)  # gradient of the image's sum w.r.t. the 4 x 4 pose
        render(p).sum().backward()
        return p.grad

    out["rss_loaded_mb"] = _settle()  # volume loaded, the library's objects built, nothing rendered yet
    out["load_peak_mb"] = _maxrss_mb()
    out["peak_reset"] = _reset_peak()
    progress = open(cfg["progress"], "a")

    def note(**kw):  # what is done so far, for the driver to report if this process is stopped
        progress.write(json.dumps(dict(out, render_peak_mb=_maxrss_mb(), **kw)) + "\n")
        progress.flush()

    note(started_at=time.time())  # wall clock, comparable with the driver's
    warm = []
    for _ in range(cfg["warmup"]):
        t0 = time.perf_counter()
        result = call()
        warm.append(time.perf_counter() - t0)
    note(warmup_ms=[w * 1e3 for w in warm])
    # a call of more than `long` seconds dwarfs one-off costs: then one timed call suffices
    least = 1 if warm and max(warm) > cfg["long"] else cfg["min_repeats"]
    times, cpu = [], []
    while len(times) < cfg["repeats"] and (len(times) < least or sum(times) < cfg["budget"]):
        c0, t0 = time.process_time(), time.perf_counter()
        result = call()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        note(warmup_ms=[w * 1e3 for w in warm], times_ms=[t * 1e3 for t in times])
    render_peak = _maxrss_mb()  # since the reset: warm-up and timed calls only
    out.update(ms=statistics.median(times) * 1e3, times_ms=[t * 1e3 for t in times], cpu_ms=statistics.median(cpu) * 1e3,
               render_peak_mb=render_peak, peak_rss_mb=max(out["load_peak_mb"], render_peak),
               above_volume_mb=render_peak - out["rss_loaded_mb"], threads=torch.get_num_threads())
    if backward:
        out["grad_finite"] = bool(torch.isfinite(result).all())
        out["grad_norm"] = float(result.norm())
    elif cfg.get("image"):
        np.save(cfg["image"], result.detach().reshape(cfg["height"], cfg["height"]).double().numpy())
    return out


# ----------------------------------------------------------------------------------------------------------------
# Driver
# ----------------------------------------------------------------------------------------------------------------
def _fail(msg: str, code: int = 2):
    print(f"compare_libraries: error: {msg}", file=sys.stderr)
    sys.exit(code)


def check_ref_python(ref_python: Path) -> None:
    "Exit with a clear message unless `ref_python` runs and imports DiffDRR 0.6.1 and nanodrr 0.1.7."
    venv = ref_python.parent.parent
    if not ref_python.exists():
        _fail(f"the reference virtual environment is missing: {ref_python} does not exist.\n"
              f"  Build it with `make compare REF_VENV={venv}` (which creates it when missing), or by hand:\n"
              f"    python3 -m venv {venv} && {venv}/bin/pip install torch==2.13.0 && "
              f"{venv}/bin/pip install torch==2.13.0 diffdrr==0.6.1 nanodrr==0.1.7\n"
              f"  or point --ref-python / $DIFFDRR_REF_VENV at another one.")
    probe = ("import diffdrr, importlib.metadata as m; "
             "print(diffdrr.__version__, m.version('nanodrr'), m.version('torch'))")
    r = subprocess.run([str(ref_python), "-c", probe], capture_output=True, text=True, cwd=tempfile.gettempdir())
    got = r.stdout.split()
    if r.returncode != 0 or got[:2] != [REF_VERSIONS["diffdrr"], REF_VERSIONS["nanodrr"]]:
        why = r.stderr.strip().splitlines()[-1] if r.returncode else f"found diffdrr/nanodrr {got[:2]}"
        _fail(f"{ref_python} must provide diffdrr=={REF_VERSIONS['diffdrr']} and nanodrr=={REF_VERSIONS['nanodrr']}; {why}.\n"
              f"  Remove {venv} and run `make compare` to rebuild it.")


def chest_ct_folder() -> Path:
    "The shared chest CT's DICOM folder: $DIFFDRR_SHARED/data/..., or a `shared/` beside the repository."
    from diffdrr.data import find_shared

    shared = find_shared(ROOT)
    folder = None if shared is None else Path(shared) / "data" / CHEST_CT
    if folder is None or not folder.is_dir():
        _fail(f"chest CT not found: set DIFFDRR_SHARED to the folder holding data/{CHEST_CT}")
    return folder


def prepare_case(tmp: Path) -> dict:
    "Read the chest CT once (as the seed did), save it for the workers; the shared part of every worker's config."
    import numpy as np
    import torch

    from diffdrr.data import read_dicom
    from diffdrr.geometry import seed_affine, seed_to_pose

    volume, spacing = read_dicom(chest_ct_folder())
    np.save(tmp / "volume.npy", np.ascontiguousarray(volume, dtype=np.float32))
    b = (np.array(volume.shape) * spacing / 2).tolist()  # the isocentre: the volume's centre
    pose, sdd = seed_to_pose(SDR, THETA, PHI, GAMMA, *b)
    return dict(volume=str(tmp / "volume.npy"), shape=list(volume.shape), spacing=spacing.tolist(),
                affine=seed_affine(volume.shape, spacing).tolist(), pose=pose[0].tolist(), sdd=float(sdd),
                height=HEIGHT, delx=DELX, n_points=N_POINTS)


def measurements(renderers, libraries) -> list:
    "(renderer, pass, library) in run order: each renderer and pass for all libraries in a row, so ratios compare close times."
    out = []
    for renderer in renderers:
        for p in PASSES:
            for lib in libraries:
                if lib.startswith("nanodrr") and renderer == "siddon":
                    continue  # nanodrr renders by sampling only
                out.append((renderer, p, lib))
    return out


def run_one(python: str, cfg: dict, timeout: float) -> dict:
    "One measurement in a fresh subprocess; the worker's row, or {'error': ...}."
    env = dict(os.environ, OMP_NUM_THREADS=str(cfg["threads"]), NUMBA_NUM_THREADS=str(cfg["threads"]),
               MKL_NUM_THREADS=str(cfg["threads"]))
    env.pop("PYTHONPATH", None)  # the reference venv must not see our package
    cmd = [python, str(Path(__file__).resolve()), "--worker", json.dumps(cfg)]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=Path(cfg["volume"]).parent, env=env)
    except subprocess.TimeoutExpired:
        return _partial(cfg["progress"], timeout, time.time())
    for line in reversed(r.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    tail = r.stderr.strip().splitlines()
    return {"error": f"exit {r.returncode}: {tail[-1] if tail else 'no output'}"}


def _partial(progress: str, timeout: float, stopped_at: float) -> dict:
    "The row of a measurement stopped at `timeout`: the calls that finished, or a lower bound on one call."
    notes = [json.loads(l) for l in Path(progress).read_text().splitlines()] if Path(progress).exists() else []
    if not notes:
        return {"error": f"timed out after {timeout:.0f} s while loading"}
    last = notes[-1]
    done = last.get("times_ms") or last.get("warmup_ms")
    row = {k: last[k] for k in ("rss_loaded_mb", "load_peak_mb", "peak_reset", "render_peak_mb") if k in last}
    row.update(peak_rss_mb=max(row["load_peak_mb"], row["render_peak_mb"]), above_volume_mb=row["render_peak_mb"] - row["rss_loaded_mb"],
               timed_out=timeout)
    if done:  # median of the timed calls that finished (or of the warm-up, when no timed call did)
        row.update(ms=statistics.median(done), times_ms=done, from_warmup=not last.get("times_ms"))
    else:  # not even one call finished: it takes longer than the time left after loading
        row.update(ms=None, lower_bound_ms=(stopped_at - notes[0]["started_at"]) * 1e3, times_ms=[])
    return row


def _corr(a, b) -> float:
    import numpy as np

    a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
    return float((a @ b) / np.sqrt((a @ a) * (b @ b)))


def agreement(tmp: Path, renderers) -> list:
    "Lines comparing every forward image with ours (numba) of the same renderer, and with our exact Siddon."
    import numpy as np

    lines = []
    exact = tmp / "img_siddon_ours-numba.npy"
    for renderer in renderers:
        ref = tmp / f"img_{renderer}_ours-numba.npy"
        if not ref.exists():
            continue
        r = np.load(ref)
        for lib in LIBRARIES:
            f = tmp / f"img_{renderer}_{lib}.npy"
            if lib == "ours-numba" or not f.exists():
                continue
            a = np.load(f)
            rel = np.abs(a - r).mean() / np.abs(r).max()
            line = f"  {renderer:9} {LABELS[lib]:14} vs ours (numba): correlation {_corr(a, r):.6f}, mean |diff| / max {rel:.2e}"
            if renderer != "siddon" and exact.exists():
                line += f"; vs our Siddon: correlation {_corr(a, np.load(exact)):.6f}"
            lines.append(line)
    return lines


def table(rows: list) -> str:
    "One plain-text table: library x renderer x pass."
    base = {(r["renderer"], r["pass"]): r["ms"] for r in rows if r["library"] == "ours-numba" and "ms" in r}
    head = ["library", "renderer", "pass", "median ms", "x ours (numba)", "runs", "peak RSS MB", "above volume MB", "load"]
    body = []
    for r in rows:
        cells = [LABELS[r["library"]], r["renderer"], r["pass"]]
        if "error" in r:
            body.append(cells + [r["error"], "", "", "", "", ""])
            continue
        b = base.get((r["renderer"], r["pass"]))
        t = r["ms"] if r.get("ms") is not None else r["lower_bound_ms"]
        ms = ("> " if r.get("ms") is None else "") + (f"{t:.0f}" if t >= 100 else f"{t:.1f}")
        ratio = ("> " if r.get("ms") is None else "") + (f"{t / b:.1f}" if b else "-")
        runs = str(len(r["times_ms"])) + (" warm-up" if r.get("from_warmup") else "") + (" (stopped)" if r.get("timed_out") else "")
        more = "+" if r.get("timed_out") else ""  # a stopped process's last note: its peak was at least this
        above = f"{r['above_volume_mb']:.0f}{more}" + ("" if r.get("peak_reset") else "*")
        body.append(cells + [ms, ratio, runs, f"{r['peak_rss_mb']:.0f}{more}", above, f"{r['load']:.1f}"])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    fmt = lambda xs: "  ".join(str(x).ljust(w) if i < 3 else str(x).rjust(w) for i, (x, w) in enumerate(zip(xs, widths)))
    return "\n".join([fmt(head), "  ".join("-" * w for w in widths)] + [fmt(b) for b in body])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ref-python", type=Path, default=DEFAULT_VENV / "bin" / "python",
                   help="interpreter of the venv holding DiffDRR 0.6.1 and nanodrr 0.1.7 (default: %(default)s; $DIFFDRR_REF_VENV)")
    p.add_argument("--threads", type=int, default=2, help="torch (and numba) threads in every process (default: %(default)s)")
    p.add_argument("--warmup", type=int, default=1, help="untimed calls first (default: %(default)s)")
    p.add_argument("--repeats", type=int, default=5, help="timed calls at most (default: %(default)s)")
    p.add_argument("--min-repeats", type=int, default=3, help="timed calls at least (default: %(default)s)")
    p.add_argument("--budget", type=float, default=60.0, help="seconds of timed calls after which no new one starts, once "
                   "--min-repeats ran (default: %(default)s)")
    p.add_argument("--long", type=float, default=60.0, help="seconds: a warm-up call longer than this needs only one timed "
                   "call after it (default: %(default)s)")
    p.add_argument("--timeout", type=float, default=420.0, help="seconds before a measurement's process is stopped; its row then "
                   "shows the calls that finished, or a lower bound (default: %(default)s)")
    p.add_argument("--renderers", nargs="+", default=["siddon", "trilinear"], choices=["siddon", "trilinear"])
    p.add_argument("--libraries", nargs="+", default=list(LIBRARIES), choices=list(LIBRARIES))
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))), flush=True)
        return 0

    if any(not lib.startswith("ours") for lib in args.libraries):
        check_ref_python(args.ref_python)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)
    loads = [os.getloadavg()]
    rows = []
    with tempfile.TemporaryDirectory(prefix="compare_libraries_") as tmp:
        tmp = Path(tmp)
        log("reading the chest CT ...")
        case = prepare_case(tmp)
        todo = measurements(args.renderers, args.libraries)
        t_start = time.time()
        for i, (renderer, passes, lib) in enumerate(todo, 1):
            cfg = dict(case, library=lib, renderer=renderer, threads=args.threads, warmup=args.warmup, repeats=args.repeats,
                       min_repeats=min(args.min_repeats, args.repeats), budget=args.budget, long=args.long,
                       progress=str(tmp / f"progress_{i}.jsonl"))
            cfg["pass"] = passes
            if passes == "fwd":
                cfg["image"] = str(tmp / f"img_{renderer}_{lib}.npy")
            python = sys.executable if lib.startswith("ours") else str(args.ref_python)
            t0 = time.time()
            row = dict(run_one(python, cfg, args.timeout), library=lib, renderer=renderer)
            row["pass"] = passes
            loads.append(os.getloadavg())
            row["load"] = loads[-1][0]
            rows.append(row)
            what = f"[{i}/{len(todo)}] {LABELS[lib]:14} {renderer:9} {passes:7}"
            if "error" in row:
                log(f"{what} {row['error']}")
            elif row.get("ms") is None:
                log(f"{what} stopped after {row['timed_out']:.0f} s: one call takes more than {row['lower_bound_ms'] / 1e3:.0f} s")
            else:
                log(f"{what} {row['ms']:9.1f} ms (cpu {row.get('cpu_ms', float('nan')):9.1f} ms, {len(row['times_ms'])} runs)  peak {row['peak_rss_mb']:6.0f} MB"
                    f"  above volume {row['above_volume_mb']:6.0f} MB  [{time.time() - t0:.0f} s, load {row['load']:.2f}]")
        agree = agreement(tmp, args.renderers)
        wall = time.time() - t_start

    print(f"Case: chest CT {tuple(case['shape'])} float32, spacing {tuple(round(s, 6) for s in case['spacing'])} mm; "
          f"{HEIGHT}x{HEIGHT} detector, {DELX} mm pixels, source-to-detector {case['sdd']:.0f} mm (the seed's AP view: sdr {SDR:.0f}, "
          f"theta pi, phi 0, gamma pi/2, isocentre at the volume's centre); trilinear: {N_POINTS} samples per ray.")
    print(f"{args.threads} torch threads (and numba threads) per process; {args.warmup} warm-up call(s), then up to {args.repeats} "
          f"timed calls (at least {min(args.min_repeats, args.repeats)}, or 1 after a warm-up call over {args.long:.0f} s; none started "
          f"after {args.budget:.0f} s). A process still running after {args.timeout:.0f} s is stopped: '(stopped)' rows give the calls "
          "that finished ('warm-up': the warm-up call only), '>' rows the time one unfinished call had run, 'MB+' the memory "
          "noted before the stop.")
    print("fwd+bwd: the image's sum, backpropagated to the (1, 4, 4) camera pose (gradient w.r.t. the pose, every library).")
    print("peak RSS: ru_maxrss of the measurement's process (loading included); above volume: its peak during the warm-up and "
          "timed calls minus the resident size once the volume was loaded and the renderer built"
          " (* : the peak could not be reset after loading, so it includes loading).")
    print()
    print("Images agree (forward, 200x200):")
    print("\n".join(agree) if agree else "  (no forward images)")
    print()
    print(table(rows))
    one = [l[0] for l in loads]
    print()
    print(f"1-minute load average during the run ({len(one)} samples over {wall / 60:.1f} min, {os.cpu_count()} CPUs): "
          f"min {min(one):.2f}, median {statistics.median(one):.2f}, max {max(one):.2f}")
    bad = [r for r in rows if "error" in r or (r["pass"] == "fwd+bwd" and not r.get("grad_finite", True))]
    if bad:
        print(f"{len(bad)} measurement(s) failed or gave non-finite gradients", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
