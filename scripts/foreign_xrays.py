"""Chest X-rays that diffdrr did not make: the fixed images of the cross-renderer registration benchmark, and its scoring.

This script never imports diffdrr (nor torch): it runs in a separate virtual environment with numpy, scipy, nibabel and
plastimatch (`make foreign-venv`), so that neither the renderer, nor the attenuation model, nor the degradations, nor the
ground truth come from our code.

    python scripts/foreign_xrays.py make  --ct CT.nii.gz --labels LABELS.nii.gz --out DIR [--n 50 --held-out 16]
    python scripts/foreign_xrays.py score --out DIR --results RESULTS.json

`make` writes, per problem k, `DIR/problem_k.json` (the camera as a 3x4 projection matrix P in the CT's LPS world, the
starting poses as matrices P_init, the CT variant and every simulation parameter) and `DIR/xray_k.npy` (float32 H x W),
`DIR/mask_k.npy` (uint8, the collimated field), plus `DIR/points.npy` (N x 3 LPS mm: points inside the body for mTRE).

Multi-view problems (one patient, several cameras whose relative geometry is known, one patient motion to find):

    python scripts/foreign_xrays.py make-views --ct CT.nii.gz --labels LABELS.nii.gz --out DIR [--n 15 --separations 90 30]
    python scripts/foreign_xrays.py score-views --out DIR --results RESULTS.json

`make-views` writes, per problem k, `DIR/views_k.json` (per view v: P, size, pixel, source, the degradation's parameters;
the starting motions W and each view's P_v W) and `DIR/xray_k_v.npy`, `DIR/mask_k_v.npy`. View 0 is a random C-arm view as
above; view i > 0 is view 0 turned by `separations[i-1]` degrees about the axis through the isocentre perpendicular to
view 0's beam and closest to the patient's long axis (a biplane room, or two angles of one C-arm). The CT variant, the
tissue model and the metal are the patient's (shared by the views); each view has its own detector, pixel size, distance,
principal point and roll, and its own collimator, heel, scatter, dose, blur, noise, window and gamma. The variant cycles
none, shrink, missing so that every third problem has the shrunk axial plane.

The pipeline, per problem:
1. The CT (HU, from the NIfTI) is modified: bones of the TotalSegmentator labelmap are made denser by a factor 1.3-1.8;
   on some problems the axial plane of the patient is shrunk by 2 % (a breathing or scale mismatch), and on others the
   registration's copy of the CT lacks 10 % of its slices at one end (the X-ray sees anatomy the CT does not).
2. HU become linear attenuation (1/mm) by a bilinear model of our own choosing: water at 0.0206/mm (about 60 keV), air 0,
   and a steeper slope above 0 HU (1.3-1.6 x, as in bilinear CT-to-attenuation conversions for lower photon energies).
3. plastimatch 1.10's `drr` (Siddon's exact path, `-i exact`) integrates it along the rays of a random C-arm view
   (SDD 900-1100 mm, source-isocentre 0.55-0.75 SDD, 256 x 256 or 256 x 320 pixels of 1.2-1.6 mm, principal point up
   to 20 px off centre, LAO/RAO up to 35 deg, cranial/caudal up to 15 deg, in-plane roll up to 10 deg), at 2 x 2 rays
   per pixel (intensities averaged over the pixel).
4. Metal that is not in the CT is added analytically along every ray: two titanium pedicle screws in a vertebra, a steel
   K-wire, ECG electrodes (steel snaps) with copper leads on the skin.
5. The detector: Beer-Lambert, anode-heel gain (5-12 % across the field), a collimator (55-85 % of each side, blades
   transmitting 1-4 %), a lead marker, scatter (a Gaussian kernel of 35-45 mm sigma over the irradiated field, scaled to a
   scatter-to-primary ratio of 0.2-1.0 of the mean primary in the field), Poisson noise at 2e3-2e4 photons per pixel,
   detector blur (FWHM 1.5-3 px) of the counts, read-out noise, -log, a window at random quantiles of the field and a
   gamma of 0.7-1.4, quantized to 12 bits.
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

assert "diffdrr" not in sys.modules and "torch" not in sys.modules

MU_WATER = 0.0206  # 1/mm, water near 60 keV (NIST XCOM: 0.2059 cm^2/g)
MU_TITANIUM = 0.123  # 1/mm: 4.5 g/cm^3 x 0.273 cm^2/g at 60 keV (XCOM)
MU_STEEL = 0.95  # 1/mm: 7.9 g/cm^3 x 1.2 cm^2/g at 60 keV (iron, XCOM)
MU_COPPER = 1.40  # 1/mm: 8.96 g/cm^3 x 1.6 cm^2/g at 60 keV (XCOM)
BONE_GROUPS = ("ribs", "vertebrae", "skeleton")


# ----------------------------------------------------------------------------------------------------------------------
# The CT, in plastimatch's (DICOM) LPS world

def load_ct(ct_path, labels_path, labels_csv):
    "HU (X, Y, Z) float32 and bone mask in an LPS voxel grid with identity direction; origin and spacing (mm)."
    import nibabel as nib

    img, lab = nib.load(ct_path), nib.load(labels_path)
    A = img.affine.copy()
    hu = np.asarray(img.dataobj, dtype=np.float32)
    labels = np.asarray(lab.dataobj).astype(np.int32)
    if not np.allclose(lab.affine, A, atol=1e-4):
        raise ValueError("the labelmap is not on the CT's grid")
    if not np.allclose(A[:3, :3], np.diag(np.diag(A[:3, :3]))):
        raise ValueError("an axis-aligned CT is expected")
    lps = np.diag([-1.0, -1.0, 1.0, 1.0]) @ A  # NIfTI's RAS+ world -> DICOM's LPS world
    origin, spacing = lps[:3, 3].copy(), np.diag(lps[:3, :3]).copy()
    for ax in range(3):  # flip axes so that every spacing is positive: the MHA direction is then the identity
        if spacing[ax] < 0:
            hu, labels = np.flip(hu, ax), np.flip(labels, ax)
            origin[ax] += spacing[ax] * (hu.shape[ax] - 1)
            spacing[ax] = -spacing[ax]
    ids = []
    for line in open(labels_csv).read().splitlines()[1:]:
        group, _, name, i = line.split(",")
        if group in BONE_GROUPS and name != "costal_cartilages":
            ids.append(int(i))
    bone = np.isin(labels, ids)
    return np.ascontiguousarray(hu), np.ascontiguousarray(bone), origin, spacing


def hu_to_mu(hu, bone, bone_slope, bone_boost):
    "Linear attenuation (1/mm): a bilinear map of HU (air 0, water MU_WATER), steeper above 0 HU, bones boosted."
    h = np.clip(hu, -1000, 3071)
    mu = np.where(h <= 0, MU_WATER * (1 + h / 1000), MU_WATER * (1 + bone_slope * h / 1000))
    return np.where(bone, mu * bone_boost, mu).astype(np.float32)


def write_mha(path, vol_xyz, origin, spacing):
    "A MetaImage file of a float32 volume indexed (x, y, z), identity direction."
    nx, ny, nz = vol_xyz.shape
    hdr = ("ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\nCompressedData = False\n"
           "TransformMatrix = 1 0 0 0 1 0 0 0 1\n"
           f"Offset = {float(origin[0])!r} {float(origin[1])!r} {float(origin[2])!r}\nCenterOfRotation = 0 0 0\n"
           f"ElementSpacing = {float(spacing[0])!r} {float(spacing[1])!r} {float(spacing[2])!r}\nDimSize = {nx} {ny} {nz}\n"
           "ElementType = MET_FLOAT\nElementDataFile = LOCAL\n")
    with open(path, "wb") as f:
        f.write(hdr.encode())
        f.write(np.ascontiguousarray(vol_xyz.transpose(2, 1, 0), dtype="<f4").tobytes())  # x fastest


# ----------------------------------------------------------------------------------------------------------------------
# The camera: plastimatch's geometry and the projection matrix it implies

def rot(axis, angle):
    "Rotation matrix about a unit axis (Rodrigues)."
    a = np.asarray(axis, float) / np.linalg.norm(axis)
    K = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    return np.eye(3) + math.sin(angle) * K + (1 - math.cos(angle)) * K @ K


def camera(iso, nrm, vup, sad, sid, pixel, rows, cols, ic_col, ic_row):
    """The projection matrix P (3 x 4, LPS mm -> homogeneous (column, row, 1), pixel centres at integers) of
    plastimatch's geometry: source at iso + sad nrm, detector plane sid from the source, columns along vup x nrm,
    rows along -vup; and the source (3,)."""
    nrm = nrm / np.linalg.norm(nrm)
    vup = vup - nrm * (vup @ nrm)
    vup = vup / np.linalg.norm(vup)
    src = iso + sad * nrm
    R = np.stack([np.cross(vup, nrm), -vup, -nrm])  # world -> camera axes (column, row, depth)
    E = np.concatenate([R, (-R @ src)[:, None]], 1)
    f = sid / pixel
    K = np.array([[f, 0, ic_col], [0, f, ic_row], [0, 0, 1.0]])
    return K @ E, src


def plastimatch_drr(mha, out_dir, iso, nrm, vup, sad, sid, pixel, rows, cols, ic_col, ic_row, exe):
    "plastimatch's exact line integrals (1/mm x mm) of the view, as (rows, cols) float64, and the P it wrote."
    os.makedirs(out_dir, exist_ok=True)
    # plastimatch's -r/-z/-c take (columns, rows) order in 1.10: checked below against its own matrix file
    cmd = [exe, "drr", "-t", "raw", "-i", "exact", "-P", "none", "-A", "cpu",
           "--sad", repr(float(sad)), "--sid", repr(float(sid)),
           "-r", f"{cols} {rows}", "-z", f"{float(cols * pixel)!r} {float(rows * pixel)!r}", "-c", f"{float(ic_col)!r} {float(ic_row)!r}",
           "-n", " ".join(map(repr, map(float, nrm))), "--vup", " ".join(map(repr, map(float, vup))),
           "-o", " ".join(map(repr, map(float, iso))), "-O", out_dir + "/", mha]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0 or not os.path.exists(os.path.join(out_dir, "0000.raw")):
        raise RuntimeError(f"plastimatch drr failed: {(r.stdout + r.stderr)[-500:]}")
    img = np.fromfile(os.path.join(out_dir, "0000.raw"), dtype="<f4").astype(np.float64)
    if img.size != rows * cols:
        raise RuntimeError(f"plastimatch wrote {img.size} pixels, expected {rows} x {cols}")
    L = open(os.path.join(out_dir, "0000.txt")).read().split()
    ic = np.array(L[:2], float)
    Pm = np.array(L[2:14], float).reshape(3, 4)
    P = np.array([[1, 0, ic[0]], [0, 1, ic[1]], [0, 0, 1.0]]) @ Pm
    return img.reshape(rows, cols) * 10.0, P  # plastimatch integrates in cm: x 10 gives mm x (1/mm)


# ----------------------------------------------------------------------------------------------------------------------
# Metal along the rays, analytically

def rays(P, rows, cols, ss):
    "Source (3,) and unit directions (rows*ss, cols*ss, 3) through sub-pixel centres of P's detector."
    M, p4 = P[:, :3], P[:, 3]
    src = -np.linalg.solve(M, p4)
    off = (np.arange(ss) + 0.5) / ss - 0.5
    u = (np.arange(cols)[:, None] + off[None]).reshape(-1)
    v = (np.arange(rows)[:, None] + off[None]).reshape(-1)
    uu, vv = np.meshgrid(u, v)
    pix = np.stack([uu, vv, np.ones_like(uu)], -1)
    d = pix @ np.linalg.inv(M).T
    d /= np.linalg.norm(d, axis=-1, keepdims=True)
    return src, d


def cylinder_chord(src, d, a, b, radius):
    "Length (mm) of each ray src + s d (d unit) inside the solid cylinder of axis a -> b and given radius."
    axis = b - a
    h = np.linalg.norm(axis)
    w = axis / h
    o = src - a
    dp = d - (d @ w)[..., None] * w  # components perpendicular to the axis
    op = o - (o @ w) * w
    A = (dp * dp).sum(-1)
    B = 2 * (dp * op).sum(-1)
    C = op @ op - radius**2
    disc = B * B - 4 * A * C
    ok = (disc > 0) & (A > 1e-15)
    sq = np.sqrt(np.where(ok, disc, 0))
    A_ = np.where(ok, A, 1)
    s0, s1 = (-B - sq) / (2 * A_), (-B + sq) / (2 * A_)
    # the caps: 0 <= (o + s d) . w <= h
    dw, ow = d @ w, o @ w
    with np.errstate(divide="ignore", invalid="ignore"):
        t0, t1 = (0 - ow) / dw, (h - ow) / dw
    lo, hi = np.minimum(t0, t1), np.maximum(t0, t1)
    par = np.abs(dw) < 1e-15
    lo = np.where(par, np.where((ow >= 0) & (ow <= h), -np.inf, np.inf), lo)
    hi = np.where(par, np.where((ow >= 0) & (ow <= h), np.inf, -np.inf), hi)
    return np.where(ok, np.clip(np.minimum(s1, hi) - np.maximum(s0, lo), 0, None), 0.0)


def metal_objects(rng, hu, bone_ids_volume, origin, spacing, labels_info):
    "A random set of metal objects (list of (material mu, a, b, radius)) in LPS mm, placed on this patient's anatomy."
    objs, kinds = [], []
    centre = origin + spacing * (np.array(hu.shape) - 1) / 2
    body = hu > -300
    if rng.random() < 0.6:  # two pedicle screws in a thoracic vertebra, from posterior, converging
        vert = labels_info["vertebra_centres"]
        c = vert[rng.integers(len(vert))]
        for side in (-1, 1):
            entry = c + np.array([side * 22.0, 28.0, 0.0])  # posterior (+y in LPS) and lateral of the body's centre
            direction = np.array([-side * math.sin(math.radians(15)), -math.cos(math.radians(15)), 0.0])
            objs.append((MU_TITANIUM, entry, entry + 45.0 * direction, 3.25))
        kinds.append("pedicle screws")
    if rng.random() < 0.4:  # a K-wire, 2 mm steel, 120 mm, somewhere in the chest
        a = centre + rng.uniform([-80, -60, -60], [80, 40, 60])
        dirn = rng.normal(size=3)
        dirn /= np.linalg.norm(dirn)
        objs.append((MU_STEEL, a, a + 120.0 * dirn, 1.0))
        kinds.append("K-wire")
    if rng.random() < 0.7:  # ECG electrodes on the anterior skin with copper leads
        n = rng.integers(2, 5)
        for _ in range(n):
            x = centre[0] + rng.uniform(-100, 100)
            z = centre[2] + rng.uniform(-100, 100)
            i = int(np.clip(round((x - origin[0]) / spacing[0]), 0, hu.shape[0] - 1))
            k = int(np.clip(round((z - origin[2]) / spacing[2]), 0, hu.shape[2] - 1))
            col = np.nonzero(body[i, :, k])[0]
            if len(col) == 0:
                continue
            y = origin[1] + spacing[1] * col.min() - 2.0  # just anterior of the skin (LPS: anterior is -y)
            snap = np.array([x, y, z])
            objs.append((MU_STEEL, snap, snap + np.array([0, -3.0, 0]), 4.0))
            end = snap + np.array([rng.uniform(-150, 150), -5.0, rng.uniform(-200, 0)])  # the lead, in two segments
            mid = (snap + end) / 2 + rng.normal(0, 20, 3) * np.array([1, 0, 1])
            objs.append((MU_COPPER, snap, mid, 0.4))
            objs.append((MU_COPPER, mid, end, 0.4))
        kinds.append(f"ECG electrodes")
    return objs, kinds


# ----------------------------------------------------------------------------------------------------------------------
# The detector and display

def gaussian(img, sigma):
    from scipy.ndimage import gaussian_filter
    return gaussian_filter(img, sigma, mode="nearest") if sigma > 0 else img


def degrade(L_sub, ss, rng, pixel, p):
    "Detector image (rows, cols) in [0, 1] and the field (bool) from sub-pixel line integrals (rows ss, cols ss)."
    R, C = L_sub.shape[0] // ss, L_sub.shape[1] // ss
    T = np.exp(-L_sub).reshape(R, ss, C, ss).mean((1, 3))  # transmission, averaged over each pixel's area
    ii, jj = np.meshgrid((np.arange(R) + 0.5) / R - 0.5, (np.arange(C) + 0.5) / C - 0.5, indexing="ij")
    ramp = ii if p["heel_axis"] == 0 else jj
    gain = 1 + p["heel"] * p["heel_sign"] * ramp  # anode heel: the intensity falls along the anode-cathode axis
    cy, cx = p["field_shift"]
    field = (np.abs(ii - cy) <= p["field"][0] / 2) & (np.abs(jj - cx) <= p["field"][1] / 2)
    primary = p["photons"] * gain * T * np.where(field, 1.0, p["blade_transmission"])
    mr, mc, ms = p["marker"]  # an L of lead, 1 % transmission
    marker = np.zeros((R, C), bool)
    marker[mr : mr + ms, mc : mc + ms // 4 + 1] = True
    marker[mr + ms - ms // 4 - 1 : mr + ms, mc : mc + ms] = True
    primary = np.where(marker, primary * 0.01, primary)
    spread = gaussian(primary * field, p["scatter_sigma_mm"] / pixel)
    k = p["spr"] * primary[field].mean() / spread[field].mean()
    expected = primary + k * spread
    counts = rng.poisson(expected).astype(np.float64)
    counts = gaussian(counts, p["blur_fwhm_px"] / 2.3548)
    counts = counts + rng.normal(0, p["read_noise"], counts.shape)
    line = -np.log(np.maximum(counts, 0.5) / (p["photons"] * gain))
    lo, hi = np.quantile(line[field], p["window"])
    img = np.clip((line - lo) / (hi - lo), 0, 1) ** p["gamma"]
    img = np.round(img * 4095) / 4095
    return img.astype(np.float32), field


def random_params(rng, held_out):
    "Every random choice of one problem."
    rows, cols = 256, int(rng.choice([256, 320]))
    sdd = rng.uniform(900, 1100)
    return dict(
        rows=rows, cols=cols, pixel=float(rng.uniform(1.2, 1.6)), sdd=float(sdd), sad=float(sdd * rng.uniform(0.55, 0.75)),
        lao=float(rng.uniform(-35, 35)), cran=float(rng.uniform(-15, 15)), roll=float(rng.uniform(-10, 10)),
        iso_offset=rng.uniform(-30, 30, 3).tolist(), pp_offset=rng.uniform(-20, 20, 2).tolist(),
        bone_slope=float(rng.uniform(1.3, 1.6)), bone_boost=float(rng.uniform(1.3, 1.8)),
        variant=str(rng.choice(["none", "none", "shrink", "missing"])), missing_end=str(rng.choice(["head", "feet"])),
        heel=float(rng.uniform(0.05, 0.12)), heel_axis=int(rng.integers(2)), heel_sign=float(rng.choice([-1, 1])),
        field=rng.uniform(0.55, 0.85, 2).tolist(), field_shift=rng.uniform(-0.05, 0.05, 2).tolist(),
        blade_transmission=float(rng.uniform(0.01, 0.04)),
        spr=float(rng.uniform(0.2, 1.0)), scatter_sigma_mm=float(rng.uniform(35, 45)),
        photons=float(np.exp(rng.uniform(np.log(2e3), np.log(2e4)))), blur_fwhm_px=float(rng.uniform(1.5, 3.0)),
        read_noise=float(rng.uniform(2, 10)), window=[float(rng.uniform(0, 0.05)), float(rng.uniform(0.95, 1.0))],
        gamma=float(rng.uniform(0.7, 1.4)), held_out=held_out,
    )


def motions(rng, n, max_rot_deg, max_trans_mm, centre):
    "n rigid motions W (4 x 4, LPS) of random axis and direction, angle in [0, max] about `centre`, shift in [0, max]."
    out = []
    for _ in range(n):
        axis = rng.normal(size=3)
        angle = math.radians(rng.uniform(0, max_rot_deg))
        d = rng.normal(size=3)
        d *= rng.uniform(0, max_trans_mm) / np.linalg.norm(d)
        R = rot(axis, angle)
        W = np.eye(4)
        W[:3, :3], W[:3, 3] = R, d + centre - R @ centre
        out.append(W)
    return out


def prepare(args, out):
    "What `make` and `make-views` share: plastimatch, the CT, the vertebra centres for the screws, its centre, and the body points for the mTRE (written to out/points.npy)."
    import nibabel as nib

    exe = args.plastimatch or shutil.which("plastimatch") or str(Path(sys.executable).parent / "plastimatch")
    hu, bone, origin, spacing = load_ct(args.ct, args.labels, args.labels_csv)
    lab = np.asarray(nib.load(args.labels).dataobj).astype(np.int32)
    # vertebra centres (LPS mm) for the screws: T4 .. T12 present in this CT (in the flipped grid)
    A = np.diag([-1.0, -1.0, 1.0, 1.0]) @ nib.load(args.labels).affine
    vcent = []
    for line in open(args.labels_csv).read().splitlines()[1:]:
        group, _, name, i = line.split(",")
        if group == "vertebrae" and name.startswith("vertebrae_T"):
            idx = np.argwhere(lab == int(i))
            if len(idx) > 200:
                vcent.append((A @ np.append(idx.mean(0), 1))[:3])
    centre = origin + spacing * (np.array(hu.shape) - 1) / 2
    body = np.argwhere(hu[::8, ::8, ::2] > -300) * np.array([8, 8, 2])
    pts = origin + spacing * body[np.random.default_rng(12345).choice(len(body), 2000, replace=False)]
    np.save(out / "points.npy", pts)
    return exe, hu, bone, origin, spacing, dict(vertebra_centres=vcent), centre, pts


def make(args):
    t0 = time.time()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    exe, hu, bone, origin, spacing, info, centre, pts = prepare(args, out)
    tmp = tempfile.mkdtemp()
    n_total = args.n + args.held_out
    for k in range(n_total):
        held = k >= args.n
        rng = np.random.default_rng([args.seed, k])
        p = random_params(rng, held)
        # the camera
        nrm = np.array([0.0, -1.0, 0.0])  # AP: the source anterior of the patient (LPS: anterior is -y)
        nrm = rot([0, 0, 1], math.radians(p["lao"])) @ rot([1, 0, 0], math.radians(p["cran"])) @ nrm
        vup = rot(nrm, math.radians(p["roll"])) @ np.array([0.0, 0.0, 1.0])
        iso = centre + np.array(p["iso_offset"])
        ic_col = (p["cols"] - 1) / 2 + p["pp_offset"][0]
        ic_row = (p["rows"] - 1) / 2 + p["pp_offset"][1]
        ss = 2
        P, src = camera(iso, nrm, vup, p["sad"], p["sdd"], p["pixel"], p["rows"], p["cols"], ic_col, ic_row)
        # the fixed image's CT
        sp = spacing.copy()
        org = origin.copy()
        if p["variant"] == "shrink":  # the patient's axial plane 2 % smaller about the volume's centre
            sp[:2] *= 0.98
            org[:2] = centre[:2] - sp[:2] * (np.array(hu.shape[:2]) - 1) / 2
        mu = hu_to_mu(hu, bone, p["bone_slope"], p["bone_boost"])
        mha = os.path.join(tmp, "ct.mha")
        write_mha(mha, mu, org, sp)
        L, P_pm = plastimatch_drr(mha, os.path.join(tmp, f"v{k}"), iso, nrm, vup, p["sad"], p["sdd"], p["pixel"] / ss,
                                  p["rows"] * ss, p["cols"] * ss, (ic_col + 0.5) * ss - 0.5, (ic_row + 0.5) * ss - 0.5, exe)
        # plastimatch's own matrix, brought back to the coarse pixels, must be ours
        S = np.array([[1 / ss, 0, (1 / ss - 1) / 2], [0, 1 / ss, (1 / ss - 1) / 2], [0, 0, 1]])
        Pc = S @ P_pm
        Pn, Qn = Pc / np.abs(Pc).max(), P / np.abs(P).max()
        err = np.abs(Pn * np.sign(Pn[2, 3]) - Qn * np.sign(Qn[2, 3])).max()
        if err > 1e-5:  # plastimatch writes its matrix in single precision
            raise RuntimeError(f"plastimatch's projection matrix differs from the geometry's by {err:g}")
        objs, kinds = metal_objects(rng, hu, None, origin, spacing, info)
        s_, d_ = rays(P, p["rows"], p["cols"], ss)
        for m, a, b, r in objs:
            L = L + m * cylinder_chord(s_, d_, np.asarray(a), np.asarray(b), r)
        img, field = degrade(L, ss, rng, p["pixel"], dict(p, marker=(int(rng.integers(8, 40)), int(rng.integers(8, 40)), 16)))
        mask = field.copy()
        from scipy.ndimage import binary_erosion
        mask = binary_erosion(mask, iterations=3)
        nloc = args.starts
        local = motions(rng, nloc, 30.0, 60.0, iso)
        glob = motions(rng, nloc, 60.0, 120.0, iso)
        missing = None
        if p["variant"] == "missing":
            nz = hu.shape[2]
            m = round(0.1 * nz)
            missing = [0, m] if p["missing_end"] == "feet" else [nz - m, nz]  # LPS +z is superior (head)
        rec = dict(
            index=k, held_out=held, world="LPS", P=P.tolist(), rows=p["rows"], cols=p["cols"], pixel=p["pixel"], sdd=p["sdd"],
            source=src.tolist(), isocentre=iso.tolist(), metal=kinds, missing_slices_lps_z=missing, params=p,
            P_init_local=[(P @ W).tolist() for W in local], P_init_global=[(P @ W).tolist() for W in glob],
            W_local=[W.tolist() for W in local], W_global=[W.tolist() for W in glob],
        )
        np.save(out / f"xray_{k:03d}.npy", img)
        np.save(out / f"mask_{k:03d}.npy", mask.astype(np.uint8))
        (out / f"problem_{k:03d}.json").write_text(json.dumps(rec, indent=1))
        print(f"problem {k:3d}{' (held out)' if held else ''}: {p['rows']}x{p['cols']} px of {p['pixel']:.2f} mm, "
              f"SDD {p['sdd']:.0f}, LAO {p['lao']:+.0f} cran {p['cran']:+.0f}, {p['variant']}, metal {kinds}, "
              f"SPR {p['spr']:.2f}, {p['photons']:.0f} photons, gamma {p['gamma']:.2f}", flush=True)
    shutil.rmtree(tmp)
    print(f"{n_total} problems in {out} ({time.time() - t0:.0f} s)")


# ----------------------------------------------------------------------------------------------------------------------
# Scoring: independent of the registration's code

def extrinsic(P):
    "World -> camera rigid transform (4 x 4) of a 3 x 4 projection matrix (RQ decomposition, positive focal lengths)."
    M = P[:, :3]
    # RQ via QR of the flipped transpose
    Fl = np.flipud(np.eye(3))
    Q, R = np.linalg.qr((Fl @ M).T)
    K = Fl @ R.T @ Fl
    Rm = Fl @ Q.T
    D = np.diag(np.sign(np.diag(K)))
    K, Rm = K @ D, D @ Rm
    t = np.linalg.solve(K, P[:, 3])
    if np.linalg.det(Rm) < 0:
        Rm, t = -Rm, -t
    E = np.eye(4)
    E[:3, :3], E[:3, 3] = Rm, t
    return E


def mtre(P_est, P_true, pts):
    "Mean distance (mm) between the body points in the true camera's frame and in the estimated camera's frame."
    Ee, Et = extrinsic(np.asarray(P_est, float)), extrinsic(np.asarray(P_true, float))
    X = np.concatenate([pts, np.ones((len(pts), 1))], 1)
    return float(np.linalg.norm((X @ Ee.T - X @ Et.T)[:, :3], axis=1).mean())


def score(args):
    "Print the table of one or more results files (rows by set, method and config) and write every run's errors as JSON."
    out = Path(args.out)
    pts = np.load(out / "points.npy")
    rows = {}
    for results in args.results:
        res = json.loads(Path(results).read_text())
        for r in res["runs"]:
            prob = json.loads((out / f"problem_{r['problem']:03d}.json").read_text())
            e0 = mtre(r["P_initial"], prob["P"], pts)
            e = mtre(r["P_final"], prob["P"], pts)
            key = (("held-out" if prob["held_out"] else "tuning"), r["method"], r.get("config", ""))
            rows.setdefault(key, []).append(dict(e0=e0, e=e, t=r["time"], flag=r.get("trusted"), problem=r["problem"],
                                                 variant=prob["params"]["variant"], metal=prob["metal"]))
    print("| set | method | config | n | < 1 mm | < 2 mm | < 5 mm | < 10 mm | median mTRE (mm) | median initial (mm) | median time (s) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    summary = []
    for key in sorted(rows):
        v = rows[key]
        e = np.array([x["e"] for x in v])
        pct = lambda th: f"{100 * (e < th).mean():.0f} %"
        print(f"| {key[0]} | {key[1]} | {key[2]} | {len(v)} | {pct(1)} | {pct(2)} | {pct(5)} | {pct(10)} | {np.median(e):.2f} | "
              f"{np.median([x['e0'] for x in v]):.1f} | {np.median([x['t'] for x in v]):.2f} |")
        summary.append(dict(set=key[0], method=key[1], config=key[2], runs=v))
    for th in (5.0, 10.0):  # how often the trust flag is right
        v = [x for k in rows for x in rows[k] if x["flag"] is not None]
        if v:
            fails = [x for x in v if x["e"] >= th]
            succ = [x for x in v if x["e"] < th]
            print(f"failure = mTRE >= {th:g} mm: {sum(not x['flag'] for x in fails)} of {len(fails)} failures flagged, "
                  f"{sum(not x['flag'] for x in succ)} of {len(succ)} successes flagged")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=0))


# ----------------------------------------------------------------------------------------------------------------------
# Multi-view problems: one patient, several cameras of known relative geometry

def view_params(rng):
    "Every random choice of one camera and its detector (the patient's choices are `random_params`')."
    rows, cols = 256, int(rng.choice([256, 320]))
    sdd = rng.uniform(900, 1100)
    return dict(
        rows=rows, cols=cols, pixel=float(rng.uniform(1.2, 1.6)), sdd=float(sdd), sad=float(sdd * rng.uniform(0.55, 0.75)),
        roll=float(rng.uniform(-10, 10)), pp_offset=rng.uniform(-20, 20, 2).tolist(),
        heel=float(rng.uniform(0.05, 0.12)), heel_axis=int(rng.integers(2)), heel_sign=float(rng.choice([-1, 1])),
        field=rng.uniform(0.55, 0.85, 2).tolist(), field_shift=rng.uniform(-0.05, 0.05, 2).tolist(),
        blade_transmission=float(rng.uniform(0.01, 0.04)),
        spr=float(rng.uniform(0.2, 1.0)), scatter_sigma_mm=float(rng.uniform(35, 45)),
        photons=float(np.exp(rng.uniform(np.log(2e3), np.log(2e4)))), blur_fwhm_px=float(rng.uniform(1.5, 3.0)),
        read_noise=float(rng.uniform(2, 10)), window=[float(rng.uniform(0, 0.05)), float(rng.uniform(0.95, 1.0))],
        gamma=float(rng.uniform(0.7, 1.4)),
    )


def make_views(args):
    "The multi-view problems (see the module's docstring); the single-view problems of `make` are untouched."
    from scipy.ndimage import binary_erosion

    t0 = time.time()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    exe, hu, bone, origin, spacing, info, centre, pts = prepare(args, out)
    tmp = tempfile.mkdtemp()
    ss = 2
    for k in range(args.n):
        rng = np.random.default_rng([args.seed, k])
        p = random_params(rng, False)  # the patient: tissue model, CT variant, and view 0's angles and isocentre
        p["variant"] = ("none", "shrink", "missing")[k % 3]
        sp, org = spacing.copy(), origin.copy()
        if p["variant"] == "shrink":  # the patient's axial plane 2 % smaller about the volume's centre
            sp[:2] *= 0.98
            org[:2] = centre[:2] - sp[:2] * (np.array(hu.shape[:2]) - 1) / 2
        mha = os.path.join(tmp, "ct.mha")
        write_mha(mha, hu_to_mu(hu, bone, p["bone_slope"], p["bone_boost"]), org, sp)
        objs, kinds = metal_objects(rng, hu, None, origin, spacing, info)
        iso = centre + np.array(p["iso_offset"])
        nrm0 = rot([0, 0, 1], math.radians(p["lao"])) @ rot([1, 0, 0], math.radians(p["cran"])) @ np.array([0.0, -1.0, 0.0])
        axis = np.array([0.0, 0.0, 1.0]) - nrm0[2] * nrm0  # perpendicular to view 0's beam, closest to the long axis
        axis /= np.linalg.norm(axis)
        sign = float(rng.choice([-1, 1]))
        views = []
        for v, sep in enumerate([0.0] + list(args.separations)):
            q = view_params(rng)
            nrm = rot(axis, sign * math.radians(sep)) @ nrm0
            vup = rot(nrm, math.radians(q["roll"])) @ np.array([0.0, 0.0, 1.0])
            ic_col, ic_row = (q["cols"] - 1) / 2 + q["pp_offset"][0], (q["rows"] - 1) / 2 + q["pp_offset"][1]
            P, src = camera(iso, nrm, vup, q["sad"], q["sdd"], q["pixel"], q["rows"], q["cols"], ic_col, ic_row)
            L, P_pm = plastimatch_drr(mha, os.path.join(tmp, f"v{k}_{v}"), iso, nrm, vup, q["sad"], q["sdd"], q["pixel"] / ss,
                                      q["rows"] * ss, q["cols"] * ss, (ic_col + 0.5) * ss - 0.5, (ic_row + 0.5) * ss - 0.5, exe)
            S = np.array([[1 / ss, 0, (1 / ss - 1) / 2], [0, 1 / ss, (1 / ss - 1) / 2], [0, 0, 1]])
            Pc = S @ P_pm
            Pn, Qn = Pc / np.abs(Pc).max(), P / np.abs(P).max()
            err = np.abs(Pn * np.sign(Pn[2, 3]) - Qn * np.sign(Qn[2, 3])).max()
            if err > 1e-5:
                raise RuntimeError(f"plastimatch's projection matrix differs from the geometry's by {err:g}")
            s_, d_ = rays(P, q["rows"], q["cols"], ss)
            for m, a, b, r in objs:
                L = L + m * cylinder_chord(s_, d_, np.asarray(a), np.asarray(b), r)
            img, field = degrade(L, ss, rng, q["pixel"], dict(q, marker=(int(rng.integers(8, 40)), int(rng.integers(8, 40)), 16)))
            mask = binary_erosion(field, iterations=3)
            np.save(out / f"xray_{k:03d}_{v}.npy", img)
            np.save(out / f"mask_{k:03d}_{v}.npy", mask.astype(np.uint8))
            angle = math.degrees(math.acos(np.clip(nrm @ nrm0, -1, 1)))
            views.append(dict(P=P.tolist(), rows=q["rows"], cols=q["cols"], pixel=q["pixel"], sdd=q["sdd"], source=src.tolist(),
                              normal=nrm.tolist(), separation_deg=angle, params=q))
        local = motions(rng, args.starts, 30.0, 60.0, iso)
        glob = motions(rng, args.starts, 60.0, 120.0, iso)
        missing = None
        if p["variant"] == "missing":
            nz = hu.shape[2]
            m = round(0.1 * nz)
            missing = [0, m] if p["missing_end"] == "feet" else [nz - m, nz]
        rec = dict(index=k, world="LPS", isocentre=iso.tolist(), metal=kinds, missing_slices_lps_z=missing, params=p, views=views,
                   W_local=[W.tolist() for W in local], W_global=[W.tolist() for W in glob],
                   P_init_local=[[(np.array(x["P"]) @ W).tolist() for x in views] for W in local],
                   P_init_global=[[(np.array(x["P"]) @ W).tolist() for x in views] for W in glob])
        (out / f"views_{k:03d}.json").write_text(json.dumps(rec, indent=1))
        print(f"problem {k:3d}: {p['variant']}, metal {kinds}, views at " + ", ".join(f"{x['separation_deg']:.0f}" for x in views)
              + " deg, " + ", ".join(f"{x['rows']}x{x['cols']} SPR {x['params']['spr']:.2f} {x['params']['photons']:.0f} ph" for x in views), flush=True)
    shutil.rmtree(tmp)
    print(f"{args.n} multi-view problems in {out} ({time.time() - t0:.0f} s)")


def depth_error(P_est, P_true, centre):
    "mm: how far the estimated camera misplaces `centre` (3,) along its beam: the difference of its depth in the two cameras' frames."
    Ee, Et = extrinsic(np.asarray(P_est, float)), extrinsic(np.asarray(P_true, float))
    x = np.append(centre, 1.0)
    return float(abs((Ee @ x - Et @ x)[2]))  # the camera's third axis is its beam


def score_views(args):
    """The multi-view table: per run, the mTRE (mm, the body points in each given view's true camera frame, averaged over the
    views the run registered) and the depth error of the isocentre along the first view's beam; rows by configuration and CT variant."""
    out = Path(args.out)
    pts = np.load(out / "points.npy")
    rows = {}
    for results in args.results:
        for r in json.loads(Path(results).read_text())["runs"]:
            prob = json.loads((out / f"views_{r['problem']:03d}.json").read_text())
            vs = [prob["views"][v] for v in r["views"]]
            e0 = np.mean([mtre(Pi, x["P"], pts) for Pi, x in zip(r["P_initial"], vs)])
            e = np.mean([mtre(Pf, x["P"], pts) for Pf, x in zip(r["P_final"], vs)])
            iso = np.array(prob["isocentre"])
            depth = depth_error(r["P_final"][0], vs[0]["P"], iso)  # along the first view's beam
            for key in ((r["config"], "all"), (r["config"], prob["params"]["variant"])):
                rows.setdefault(key, []).append(dict(e0=e0, e=e, depth=depth, t=r["time"], flag=r.get("trusted"), problem=r["problem"]))
    print("| views | CT | n | < 2 mm | < 5 mm | < 10 mm | median mTRE (mm) | median / largest depth error (mm) | median initial (mm) | median time (s) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    order = lambda key: (key[0], key[1] != "all", key[1])
    for key in sorted(rows, key=order):
        v = rows[key]
        e = np.array([x["e"] for x in v])
        pct = lambda th: f"{100 * (e < th).mean():.0f} %"
        print(f"| {key[0]} | {key[1]} | {len(v)} | {pct(2)} | {pct(5)} | {pct(10)} | {np.median(e):.1f} | "
              f"{np.median([x['depth'] for x in v]):.1f} / {max(x['depth'] for x in v):.1f} | {np.median([x['e0'] for x in v]):.0f} | "
              f"{np.median([x['t'] for x in v]):.1f} |")
    if args.json:
        Path(args.json).write_text(json.dumps([dict(config=k[0], variant=k[1], runs=v) for k, v in rows.items()], indent=0))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("--ct", required=True)
    m.add_argument("--labels", required=True)
    m.add_argument("--labels-csv", required=True)
    m.add_argument("--out", required=True)
    m.add_argument("--n", type=int, default=50, help="problems to tune and report on")
    m.add_argument("--held-out", type=int, default=16, help="problems kept aside, never tuned on")
    m.add_argument("--starts", type=int, default=1, help="starting poses per problem and method")
    m.add_argument("--seed", type=int, default=2026)
    m.add_argument("--plastimatch", default=None)
    v = sub.add_parser("make-views")
    v.add_argument("--ct", required=True)
    v.add_argument("--labels", required=True)
    v.add_argument("--labels-csv", required=True)
    v.add_argument("--out", required=True)
    v.add_argument("--n", type=int, default=15, help="problems (patients), each seen by 1 + len(separations) cameras")
    v.add_argument("--separations", type=float, nargs="+", default=[90.0, 30.0], help="degrees between view 0's beam and each other view's")
    v.add_argument("--starts", type=int, default=1, help="starting motions per problem")
    v.add_argument("--seed", type=int, default=2027)
    v.add_argument("--plastimatch", default=None)
    sv = sub.add_parser("score-views")
    sv.add_argument("--out", required=True)
    sv.add_argument("--results", required=True, nargs="+")
    sv.add_argument("--json", default=None, help="also write the per-run errors here")
    s = sub.add_parser("score")
    s.add_argument("--out", required=True)
    s.add_argument("--results", required=True, nargs="+")
    s.add_argument("--json", default=None, help="also write the per-run errors here")
    a = ap.parse_args(argv)
    dict(make=make, score=score)[a.cmd](a) if a.cmd in ("make", "score") else dict(make_views=make_views, score_views=score_views)[a.cmd.replace("-", "_")](a)


if __name__ == "__main__":
    main()
