"""Our geometry converters checked by rendering: the same views through DiffDRR 0.6.1 and nanodrr 0.1.7.

For random C-arm views of the shared chest CT (loaded as the seed loaded it), each pose is converted with
`pose_to_diffdrr` (a different DiffDRR parameterization per view, the subject read with orientation "AP")
and `pose_to_nanodrr` (make_rt_inv's ZXY angles, "AP", about the volume's centre); a few more views are written
in DiffDRR's own parameters (ZXY angles, translations (0, SOD, 0)) and converted with `diffdrr_to_pose`. The detector converts with
`detector_to_diffdrr` / `detector_to_nanodrr`. The detector is deliberately awkward: 48 x 64 pixels of
5.0 mm between rows and 3.5 mm between columns, the principal point off centre (x0 = 6 mm, y0 = -4 mm),
so that a mix-up of the pitch names, of the principal point's origin or of an axis flip shows. Each
library renders in its own interpreter (theirs in the reference venv, where their package is also named
`diffdrr`); the script prints the correlation of every image pair and fails unless all exceed 0.999.

    python scripts/compare_geometry.py [--ref-python ../venv-ref/bin/python] [--views 5] [--native 3] [--seed 0]
"""
import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

HEIGHT, WIDTH, DELX, DELY, SDD, X0, Y0 = 48, 64, 5.0, 3.5, 1000.0, 6.0, -4.0  # ours: delx between rows
SOD = 600.0
N_SAMPLES = 512  # nanodrr's (and our trilinear's) samples per ray
PARAMETERIZATIONS = ("euler_angles", "axis_angle", "quaternion", "rotation_6d", "se3_log_map", "rotation_10d", "quaternion_adjugate", "matrix")
THRESHOLD = 0.999


def worker(cfg: dict) -> None:
    "Render every view with one reference library (runs under the reference venv's interpreter)."
    import numpy as np
    import torch
    from torchio import ScalarImage

    volume = torch.from_numpy(np.load(cfg["volume"]))
    affine = np.array(cfg["affine"], dtype=np.float64)
    images = []
    if cfg["library"] == "diffdrr":
        from diffdrr.data import read
        from diffdrr.drr import DRR

        subject = read(ScalarImage(tensor=volume[None], affine=affine), orientation="AP", center_volume=False)
        subject.density.set_data(volume[None])  # raw values, as ours renders them
        drr = DRR(subject, renderer="siddon", **cfg["detector"])
        for view in cfg["views"]:
            rot = torch.tensor(view["rotations"], dtype=torch.float32)
            trans = None if view["translations"] is None else torch.tensor(view["translations"], dtype=torch.float32)
            args = (rot,) if trans is None else (rot, trans)
            with torch.no_grad():
                img = drr(*args, parameterization=view["parameterization"], convention=view.get("convention"))
            images.append(img[0, 0].double().numpy())
        # control (the last image): the first view with our pitch names and offsets given to DiffDRR unconverted
        naive = DRR(subject, renderer="siddon", **cfg["naive_detector"])
        view = cfg["views"][0]
        args = [torch.tensor(view["rotations"], dtype=torch.float32)] + ([] if view["translations"] is None else [torch.tensor(view["translations"], dtype=torch.float32)])
        with torch.no_grad():
            images.append(naive(*args, parameterization=view["parameterization"], convention=view.get("convention"))[0, 0].double().numpy())
    else:
        from nanodrr.camera import make_rt_inv
        from nanodrr.data import Subject
        from nanodrr.drr import DRR

        subject = Subject.from_images(ScalarImage(tensor=volume[None], affine=affine), convert_to_mu=False)
        drr = DRR.from_carm_intrinsics(**cfg["detector"])
        iso = torch.tensor(cfg["isocenter"], dtype=torch.float32)
        for view in cfg["views"]:
            rt_inv = make_rt_inv(torch.tensor([view["rotation"]]), torch.tensor([view["translation"]]), "AP", iso)
            with torch.no_grad():
                img = drr(subject, rt_inv, n_samples=N_SAMPLES, backend="torch")
            images.append(img[0, 0].double().numpy())
    np.save(cfg["out"], np.stack(images))


def corr(a, b) -> float:
    import numpy as np

    a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
    return float(a @ b / np.sqrt((a @ a) * (b @ b)))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ref-python", type=Path, default=None, help="interpreter of the venv with DiffDRR 0.6.1 and nanodrr 0.1.7")
    p.add_argument("--views", type=int, default=5)
    p.add_argument("--native", type=int, default=3, help="views written in DiffDRR's own parameters, converted with diffdrr_to_pose")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.worker:
        return worker(json.loads(a.worker.read_text()))

    import numpy as np
    import torch

    from compare_libraries import DEFAULT_VENV, check_ref_python, chest_ct_folder
    from diffdrr.data import read_dicom
    from diffdrr.detector import detector_to_diffdrr, detector_to_nanodrr
    from diffdrr.drr import DRR
    from diffdrr.geometry import carm_to_pose, diffdrr_to_pose, euler_angles_to_matrix, pose_to_diffdrr, pose_to_nanodrr, seed_affine

    ref_python = a.ref_python or DEFAULT_VENV / "bin" / "python"
    check_ref_python(ref_python)
    volume, spacing = read_dicom(chest_ct_folder())
    affine = seed_affine(volume.shape, spacing)
    centre = affine[:3, :3] @ ((torch.tensor(volume.shape, dtype=torch.float64) - 1) / 2) + affine[:3, 3]
    g = torch.Generator().manual_seed(a.seed)
    B = a.views
    primary = torch.rand(B, generator=g, dtype=torch.float64) * 360 - 180
    secondary = torch.rand(B, generator=g, dtype=torch.float64) * 80 - 40
    iso = centre + torch.randn(B, 3, generator=g, dtype=torch.float64) * 15
    poses = carm_to_pose(primary, secondary, SOD, iso)
    det = dict(sdd=SDD, height=HEIGHT, width=WIDTH, delx=DELX, dely=DELY, x0=X0, y0=Y0)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        np.save(tmp / "volume.npy", np.ascontiguousarray(volume, dtype=np.float32))
        base = dict(volume=str(tmp / "volume.npy"), affine=affine.tolist())
        views_d = []
        for k in range(B):
            par = PARAMETERIZATIONS[k % len(PARAMETERIZATIONS)]
            conv = "ZXY" if par == "euler_angles" else None
            r, t = pose_to_diffdrr(poses[k : k + 1], par, conv, orientation="AP")
            views_d.append(dict(parameterization=par, convention=conv, rotations=r.tolist(), translations=None if t is None else t.tolist()))
        # DiffDRR's own way of writing a view, converted the other way (diffdrr_to_pose): ZXY angles about the
        # volume's centre and translations (0, SOD, 0) in the rotated frame (DiffDRR's examples use (0, 850, 0))
        native = []
        for k in range(a.native):
            ang = (torch.rand(1, 3, generator=g, dtype=torch.float64) * 2 - 1) * torch.tensor([math.pi, math.pi / 6, math.pi / 6], dtype=torch.float64)
            R = euler_angles_to_matrix(ang, "ZXY")
            tau = (R.transpose(-1, -2) @ centre[:, None])[..., 0] + torch.tensor([[0.0, SOD, 0.0]], dtype=torch.float64) + torch.randn(1, 3, generator=g, dtype=torch.float64) * 10
            views_d.append(dict(parameterization="euler_angles", convention="ZXY", rotations=ang.tolist(), translations=tau.tolist()))
            native.append(diffdrr_to_pose(ang, tau, "euler_angles", "ZXY", orientation="AP"))
        r, t = pose_to_nanodrr(poses, "AP", centre)
        views_n = [dict(rotation=r[k].tolist(), translation=t[k].tolist()) for k in range(B)]
        cfgs = {
            "diffdrr": dict(base, library="diffdrr", detector=detector_to_diffdrr(**det), naive_detector=det, views=views_d, out=str(tmp / "diffdrr.npy")),
            "nanodrr": dict(base, library="nanodrr", detector=detector_to_nanodrr(**det), isocenter=centre.tolist(),
                            views=views_n, out=str(tmp / "nanodrr.npy")),
        }
        for name, cfg in cfgs.items():
            (tmp / f"{name}.json").write_text(json.dumps(cfg))
            r = subprocess.run([str(ref_python), __file__, "--worker", str(tmp / f"{name}.json")], capture_output=True, text=True, cwd=tmp)
            if r.returncode:
                print(r.stderr[-3000:], file=sys.stderr)
                sys.exit(f"compare_geometry: the {name} worker failed")
        theirs = {n: np.load(tmp / f"{n}.npy") for n in cfgs}
    vol = torch.from_numpy(np.ascontiguousarray(volume, dtype=np.float32))
    ours = {
        "diffdrr": DRR(vol, spacing, renderer="siddon", **det)(poses.float())[:, 0].double().numpy(),
        "nanodrr": DRR(vol, spacing, renderer="trilinear", n_points=N_SAMPLES, **det)(poses.float())[:, 0].double().numpy(),
    }
    print(f"Chest CT {tuple(volume.shape)}, detector {HEIGHT} x {WIDTH}, pitch {DELX} mm between rows and {DELY} mm between columns, "
          f"x0 = {X0}, y0 = {Y0} mm, SDD {SDD}, SOD {SOD} mm")
    print(f"| view | primary, secondary (deg) | DiffDRR 0.6.1 parameterization | corr (ours Siddon, DiffDRR Siddon) | corr (ours trilinear, nanodrr 0.1.7) |")
    print("|---|---|---|---|---|")
    worst = 1.0
    for k in range(B):
        cd, cn = corr(ours["diffdrr"][k], theirs["diffdrr"][k]), corr(ours["nanodrr"][k], theirs["nanodrr"][k])
        worst = min(worst, cd, cn)
        print(f"| {k} | {primary[k]:.1f}, {secondary[k]:.1f} | {views_d[k]['parameterization']} | {cd:.6f} | {cn:.6f} |")
    if native:
        ours_native = DRR(vol, spacing, renderer="siddon", **det)(torch.cat(native).float())[:, 0].double().numpy()
        for k in range(len(native)):
            c = corr(ours_native[k], theirs["diffdrr"][B + k])
            worst = min(worst, c)
            print(f"| native {k} | DiffDRR ZXY angles {np.round(np.degrees(views_d[B + k]['rotations'][0]), 1).tolist()} | euler_angles, diffdrr_to_pose | {c:.6f} | |")
    print(f"lowest correlation {worst:.8f} (required > {THRESHOLD})")
    naive = corr(ours["diffdrr"][0], theirs["diffdrr"][-1])
    print(f"control: view 0 with our delx, dely, x0, y0 passed to DiffDRR unconverted: corr {naive:.6f} (must be lower)")
    if not naive < worst:
        sys.exit("compare_geometry: the control view agrees as well as the converted ones; the check cannot tell a pitch mix-up")
    if not worst > THRESHOLD:
        sys.exit(1)


if __name__ == "__main__":
    main()
