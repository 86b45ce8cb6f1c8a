"""Every public entry point rejects obviously bad arguments with a TypeError or ValueError that names the argument.

One table, `CASES`: (entry point, bad call, exception type, regex the message must match). Each row is its own test id.
`test_table_covers_all` fails when a module's `__all__` gains a public callable that the table neither lists nor
allow-lists (with a reason) in `NOT_COVERED`. Everything is tiny (4 x 4 x 4 volumes, 4 x 4 detectors), so the file runs
in seconds.
"""

import importlib
import inspect
import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

from diffdrr import checks, data, dataset, detector, drr, geometry, metrics, phantoms, physics, registration, siddon
from diffdrr import trilinear, visualization, volume
from diffdrr import kernels, render
from diffdrr import xray
from diffdrr import xray_registration
from diffdrr import volumes

NAN = math.nan
VOL = torch.rand(4, 4, 4)
AFF = torch.eye(4, dtype=torch.float64)
SRC = torch.tensor([[[-20.0, 1.5, 1.5]]])
TGT = torch.tensor([[[20.0, 1.5, 1.5], [20.0, 2.0, 2.0]]])
POSE = torch.eye(4)[None]
K = detector.make_intrinsics(100.0, 1.0, 1.0, 4, 4)
IMG = torch.rand(1, 1, 8, 8)
NAN_IMG = torch.full((1, 1, 8, 8), NAN)
_drr_cache = {}


def tiny_drr():
    "A 4 x 4 x 4 volume seen by a 4 x 4 detector (built once)."
    if "drr" not in _drr_cache:
        _drr_cache["drr"] = drr.DRR(VOL, (1.0, 1.0, 1.0), 4, 1.0, sdd=100.0)
    return _drr_cache["drr"]


def _tiny_volume():
    "A 4 x 4 x 4 volume of attenuation about the origin, 2 mm voxels."
    from diffdrr.volume import Volume
    return Volume.from_spacing(torch.full((4, 4, 4), 0.02), (2.0, 2.0, 2.0), (-3.0, -3.0, -3.0))


def _affine_P():
    "The (1, 3, 4) affine projection matrix of a parallel-beam camera."
    return detector.projection_matrix(POSE, detector.make_intrinsics(None, 1.0, 1.0, 4, 4, parallel=True), parallel=True)


def seed_pose():
    return geometry.seed_to_pose(50.0, 0.0, 0.0, 0.0, 2.0, 2.0, 2.0)[0]


def bad_pose():
    p = torch.eye(4)[None].clone()
    p[0, 3, 0] = 1.0
    return p


def views():
    return dataset.Views(volume.Volume.from_spacing(VOL, (1.0, 1.0, 1.0)), height=4, delx=1.0)


def _empty_folder():
    import tempfile

    return tempfile.mkdtemp(prefix="diffdrr-no-shards-")


def _tiny_shard():
    "One shard of one 1 x 2 x 2 sample, written once."
    if "shard" not in _drr_cache:
        import tempfile
        from pathlib import Path

        path = Path(tempfile.mkdtemp(prefix="diffdrr-shard-")) / "shard-000000.tar"
        dataset.write_shard(path, [("000000000", np.zeros((1, 2, 2), np.float32), {"index": 0, "pose": np.eye(4).tolist()})])
        _drr_cache["shard"] = path
    return _drr_cache["shard"]


def spectrum():
    return physics.kramers_spectrum(80.0)


TE, VE = TypeError, ValueError
# (entry point "module.name", case label, bad call, exception type(s), regex)
CASES = [
    # checks
    ("checks.check_real", "str", lambda: checks.check_real("1", "value"), TE, "value must be a real number"),
    ("checks.check_real", "bool", lambda: checks.check_real(True, "value"), TE, "value must be a real number"),
    ("checks.check_real", "nan", lambda: checks.check_real(NAN, "value"), VE, "value must be finite"),
    ("checks.check_positive", "negative", lambda: checks.check_positive(-1.0, "sdd"), VE, "sdd must be a positive"),
    ("checks.check_positive", "str", lambda: checks.check_positive("1", "sdd"), TE, "sdd must be a positive"),
    ("checks.check_positive_int", "float 2.7", lambda: checks.check_positive_int(2.7, "n"), TE, "n must be a positive integer"),
    ("checks.check_positive_int", "float 3.0", lambda: checks.check_positive_int(3.0, "n"), TE, "n must be a positive integer"),
    ("checks.check_positive_int", "bool", lambda: checks.check_positive_int(True, "n"), TE, "n must be a positive integer"),
    ("checks.check_positive_int", "zero", lambda: checks.check_positive_int(0, "n"), VE, "n must be a positive integer"),
    ("checks.check_seed", "negative", lambda: checks.check_seed(-1), VE, "seed must be a non-negative integer"),
    ("checks.check_seed", "float", lambda: checks.check_seed(1.5), TE, "seed must be a non-negative integer"),
    ("checks.check_choice", "unknown", lambda: checks.check_choice("x", "mode", ("a", "b")), VE, "mode must be one of"),
    ("checks.check_batch", "list", lambda: checks.check_batch([0.0] * 3, "t", (3,)), TE, "t must be a torch.Tensor"),
    ("checks.check_batch", "nan", lambda: checks.check_batch(torch.full((3,), NAN), "t", (3,)), VE, "t must be finite"),
    ("checks.check_tail", "shape", lambda: checks.check_tail(torch.zeros(4), "R", (3, 3)), VE, r"R must be a tensor of shape \(\.\.\., 3, 3\)"),
    ("checks.check_tail", "list", lambda: checks.check_tail([1.0], "q", (4,)), TE, "q must be a torch.Tensor"),
    ("checks.check_batch_scalar", "2-D", lambda: checks.check_batch_scalar(torch.zeros(2, 2), "sdd"), VE, "sdd must be a float"),
    ("checks.check_pose", "last row", lambda: checks.check_pose(bad_pose()), VE, "pose must have last row"),
    ("checks.check_shape3", "float 2.7", lambda: checks.check_shape3((4, 4, 2.7)), TE, "shape must be three positive integers"),
    ("checks.check_shape3", "zero", lambda: checks.check_shape3((4, 0, 4)), VE, "shape must be three positive integers"),
    ("checks.check_spacing3", "negative", lambda: checks.check_spacing3((1.0, -1.0, 1.0)), VE, "spacing must be three positive"),
    ("checks.check_volume", "4-D", lambda: checks.check_volume(torch.zeros(1, 4, 4, 4)), VE, "volume must be 3-D"),
    ("checks.check_affine", "last row", lambda: checks.check_affine(torch.zeros(4, 4)), VE, "affine must have last row"),
    ("checks.check_points", "wrong last", lambda: checks.check_points(torch.zeros(4, 2)), VE, "points must have shape"),
    ("checks.check_rays", "source shape", lambda: checks.check_rays(torch.zeros(3), TGT), VE, "source must have shape"),
    ("checks.check_channels", "float map", lambda: checks.check_channels(VOL, (4, 4, 4), 2, VOL.device), TE, "channels must be an integer"),
    ("checks.check_labels", "negative", lambda: checks.check_labels(-torch.ones(4, 4, 4), (4, 4, 4), "cpu"), VE, "labels must be non-negative"),
    ("checks.check_image", "3-D", lambda: checks.check_image(torch.zeros(1, 4, 4), "img"), VE, "img must have shape"),
    ("checks.check_device", "meta", lambda: checks.check_device(torch.zeros(4, 4, device="meta"), "pose", "cpu"), VE, "pose must be on the volume's device cpu; got a tensor on meta"),
    ("checks.check_memory", "too much", lambda: checks.check_memory(10**21, "cpu", "a 10^6 x 10^6 detector"), VE, r"a 10\^6 x 10\^6 detector would need about .* \(1000000000000000000000 bytes\) of memory"),
    # messages about a batch show a few of its failing values and how many failed, never the batch
    ("checks.check_pose", "128 bad rows", lambda: checks.check_pose(torch.diag(torch.tensor([1.0, 1.0, 1.0, 2.0])).repeat(128, 1, 1)), VE, r"last row \[0, 0, 0, 1\]; got \[0\.0, 0\.0, 0\.0, 2\.0, \.\.\.\] \(128 of 128\)$"),
    ("geometry.carm_to_pose", "128 bad angles", lambda: geometry.carm_to_pose(torch.full((128,), 190.0), 0.0, 700.0), VE, r"got \[190\.0, 190\.0, 190\.0, \.\.\.\] \(128 of 128\)$"),
    ("detector.make_intrinsics", "128 bad pitches", lambda: detector.make_intrinsics(100.0, -torch.ones(128), 1.0, 4, 4), VE, r"delx must be positive \(mm\); got \[-1\.0, -1\.0, -1\.0, \.\.\.\] \(128 of 128\)$"),
    ("drr.DRR", "detector too large", lambda: drr.DRR(VOL, (1.0, 1.0, 1.0), 10**6, 1.0), VE, r"a 1000000 x 1000000 detector: one view would need about 164\.0 TB \(164000000000000 bytes\)"),
    ("drr.DRR", "pose on another device", lambda: tiny_drr()(POSE.to("meta")), VE, "pose must be on the volume's device cpu; got a tensor on meta"),
    # geometry
    ("geometry.check_pose", "nan", lambda: geometry.check_pose(torch.full((4, 4), NAN)), VE, "pose must be finite"),
    ("geometry.axis_rotation", "axis", lambda: geometry.axis_rotation("W", torch.zeros(1)), VE, "axis must be"),
    ("geometry.euler_angles_to_matrix", "shape", lambda: geometry.euler_angles_to_matrix(torch.zeros(2)), VE, "angles must be"),
    ("geometry.euler_angles_to_matrix", "convention", lambda: geometry.euler_angles_to_matrix(torch.zeros(3), "XXY"), VE, "convention must be"),
    ("geometry.matrix_to_euler_angles", "shape", lambda: geometry.matrix_to_euler_angles(torch.zeros(3)), VE, "R must be"),
    ("geometry.quaternion_to_matrix", "shape", lambda: geometry.quaternion_to_matrix(torch.zeros(3)), VE, "shape"),
    ("geometry.matrix_to_quaternion", "shape", lambda: geometry.matrix_to_quaternion(torch.zeros(4)), VE, "shape"),
    ("geometry.axis_angle_to_matrix", "shape", lambda: geometry.axis_angle_to_matrix(torch.zeros(4)), VE, "shape"),
    ("geometry.quaternion_to_axis_angle", "shape", lambda: geometry.quaternion_to_axis_angle(torch.zeros(3)), VE, r"q must be a tensor of shape \(\.\.\., 4\)"),
    ("geometry.matrix_to_axis_angle", "shape", lambda: geometry.matrix_to_axis_angle(torch.zeros(4)), VE, "shape"),
    ("geometry.rotation_6d_to_matrix", "shape", lambda: geometry.rotation_6d_to_matrix(torch.zeros(5)), VE, "shape"),
    ("geometry.matrix_to_rotation_6d", "shape", lambda: geometry.matrix_to_rotation_6d(torch.zeros(4)), VE, r"R must be a tensor of shape \(\.\.\., 3, 3\)"),
    ("geometry.rotation_10d_to_matrix", "shape", lambda: geometry.rotation_10d_to_matrix(torch.zeros(9)), VE, "shape"),
    ("geometry.matrix_to_rotation_10d", "shape", lambda: geometry.matrix_to_rotation_10d(torch.zeros(4)), VE, "shape"),
    ("geometry.se3_exp", "shape", lambda: geometry.se3_exp(torch.zeros(1, 5)), VE, "shape"),
    ("geometry.se3_log", "last row", lambda: geometry.se3_log(bad_pose()), VE, "T must have last row"),
    ("geometry.make_rigid", "list", lambda: geometry.make_rigid([[1.0]], torch.zeros(1, 3)), TE, "R must be a torch.Tensor"),
    ("geometry.make_pose", "parameterization", lambda: geometry.make_pose(torch.zeros(1, 3), torch.zeros(1, 3), "euler"), VE, "parameterization must be one of"),
    ("geometry.make_pose", "nan rotation", lambda: geometry.make_pose(torch.full((1, 3), NAN), torch.zeros(1, 3)), VE, "rotation must be finite"),
    ("geometry.pose_to_parameters", "pose shape", lambda: geometry.pose_to_parameters(torch.eye(3)), VE, "pose must have shape"),
    ("geometry.seed_to_pose", "negative sdr", lambda: geometry.seed_to_pose(-1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0), VE, "sdr must be positive"),
    ("geometry.seed_to_pose", "str theta", lambda: geometry.seed_to_pose(1.0, "0", 0.0, 0.0, 0.0, 0.0, 0.0), TE, "theta must be a float"),
    ("geometry.pose_to_seed", "nan sdd", lambda: geometry.pose_to_seed(POSE, NAN), VE, "sdd must be finite"),
    ("geometry.seed_affine", "shape 2.7", lambda: geometry.seed_affine((4, 4, 2.7), (1.0, 1.0, 1.0)), TE, "shape must be three positive integers"),
    ("geometry.seed_affine", "spacing", lambda: geometry.seed_affine((4, 4, 4), (1.0, 0.0, 1.0)), VE, "spacing must be three positive"),
    ("geometry.carm_to_pose", "angle range", lambda: geometry.carm_to_pose(190.0, 0.0, 500.0), VE, "primary_angle must lie in"),
    ("geometry.carm_to_pose", "negative sod", lambda: geometry.carm_to_pose(0.0, 0.0, -5.0), VE, "sod must be positive"),
    ("geometry.pose_to_carm", "pose", lambda: geometry.pose_to_carm(bad_pose()), VE, "pose must have last row"),
    ("geometry.gantry_to_pose", "angle range", lambda: geometry.gantry_to_pose(400.0, 1000.0), VE, "gantry_angle must lie in"),
    ("geometry.diffdrr_to_pose", "parameterization", lambda: geometry.diffdrr_to_pose(torch.zeros(1, 3), torch.zeros(1, 3), "nope"), VE, "parameterization must be one of"),
    ("geometry.pose_to_diffdrr", "pose", lambda: geometry.pose_to_diffdrr(bad_pose(), "euler_angles", "ZYX"), VE, "pose must have last row"),
    ("geometry.diffdrr_to_pose", "center", lambda: geometry.diffdrr_to_pose(torch.zeros(1, 3), torch.zeros(1, 3), "axis_angle", center=torch.zeros(2)), VE, r"center must be a Volume or its centre \(3,\) in world mm; got shape \(2,\)"),
    ("geometry.pose_to_diffdrr", "center", lambda: geometry.pose_to_diffdrr(POSE, "axis_angle", center="middle"), TE, "center must be a Volume or its centre"),
    ("geometry.nanodrr_to_pose", "rotation type", lambda: geometry.nanodrr_to_pose([0.0] * 3, torch.zeros(3)), TE, "rotation must be a torch.Tensor"),
    ("geometry.pose_to_nanodrr", "pose", lambda: geometry.pose_to_nanodrr(bad_pose()), VE, "pose must have last row"),
    # phantoms
    ("phantoms.Ellipsoid", "semi_axes", lambda: phantoms.Ellipsoid((0, 0, 0), (1, 0, 1)), VE, "semi_axes must be positive"),
    ("phantoms.Ellipsoid", "value str", lambda: phantoms.Ellipsoid((0, 0, 0), (1, 1, 1), value="bone"), TE, "value must be a real number"),
    ("phantoms.EllipticCylinder", "z_range", lambda: phantoms.EllipticCylinder((0, 0), (1, 1), (5, 1)), VE, "z_range must be"),
    ("phantoms.Phantom", "empty", lambda: phantoms.Phantom([]), VE, "primitives must be a non-empty"),
    ("phantoms.Phantom", "voxelize shape 2.7", lambda: phantoms.Phantom([phantoms.Ellipsoid((0, 0, 0), (1, 1, 1))]).voxelize((4, 4, 2.7), AFF), TE, "shape must be three positive integers"),
    ("phantoms.Phantom", "voxelize affine", lambda: phantoms.Phantom([phantoms.Ellipsoid((0, 0, 0), (1, 1, 1))]).voxelize((4, 4, 4), torch.zeros(4, 4)), VE, "affine must have last row"),
    ("phantoms.chest_phantom", "scale", lambda: phantoms.chest_phantom((0, 0, 0), scale=0.0), VE, "scale must be positive"),
    # volume
    ("volume.Volume", "data 2-D", lambda: volume.Volume(torch.zeros(4, 4), AFF), VE, "data must be 3-D"),
    ("volume.Volume", "affine", lambda: volume.Volume(VOL, torch.eye(3)), VE, "affine must have shape"),
    ("volume.Volume", "from_spacing spacing", lambda: volume.Volume.from_spacing(VOL, (1.0, NAN, 1.0)), VE, "spacing must be three positive"),
    ("volume.check_volume", "list", lambda: volume.check_volume([1.0]), TE, "volume must be a numpy array or torch.Tensor"),
    ("volume.check_affine", "nan", lambda: volume.check_affine(torch.full((4, 4), NAN)), VE, "affine must be finite"),
    # detector
    ("detector.make_intrinsics", "height 0", lambda: detector.make_intrinsics(100.0, 1.0, 1.0, 0, 4), VE, "height must be a positive integer"),
    ("detector.make_intrinsics", "width float", lambda: detector.make_intrinsics(100.0, 1.0, 1.0, 4, 2.7), TE, "width must be a positive integer"),
    ("detector.intrinsics_to_params", "K shape", lambda: detector.intrinsics_to_params(torch.eye(4), 100.0, 4, 4), VE, "K must have shape"),
    ("detector.camera_rays", "negative sdd", lambda: detector.camera_rays(POSE, K, -1.0, 4, 4), VE, "sdd must be positive"),
    ("detector.Detector", "height -3", lambda: detector.Detector(-3), VE, "height must be a positive integer"),
    ("detector.Detector", "delx 0", lambda: detector.Detector(4, delx=0.0), VE, "delx must be positive"),
    ("detector.projection_matrix", "pose", lambda: detector.projection_matrix(torch.eye(3), K), VE, "pose must have shape"),
    ("detector.from_projection_matrix", "P nan", lambda: detector.from_projection_matrix(torch.full((1, 3, 4), NAN), 4, 4), VE, "P must be finite"),
    ("detector.project_points", "points shape", lambda: detector.project_points(torch.zeros(5, 2), POSE, K), VE, "points must have shape"),
    ("detector.backproject_pixels", "depth", lambda: detector.backproject_pixels(torch.zeros(5, 2), POSE, K, -1.0), VE, "depth must be positive"),
    ("detector.diffdrr_to_detector", "height", lambda: detector.diffdrr_to_detector(100.0, 0, 1.0), VE, "height must be a positive integer"),
    ("detector.detector_to_diffdrr", "delx", lambda: detector.detector_to_diffdrr(100.0, 4, -1.0), VE, "delx must be positive"),
    ("detector.nanodrr_to_detector", "sdd", lambda: detector.nanodrr_to_detector(-1.0, 1.0, 1.0, 0.0, 0.0, 4, 4), VE, "sdd must be positive"),
    ("detector.detector_to_nanodrr", "height", lambda: detector.detector_to_nanodrr(100.0, 2.5, 1.0), TE, "height must be a positive integer"),
    ("detector.corner_to_centre_intrinsics", "K type", lambda: detector.corner_to_centre_intrinsics([[1.0]]), TE, "K must be a torch.Tensor"),
    # parallel-beam cameras (issue 24.3)
    ("detector.Detector", "parallel str", lambda: detector.Detector(4, delx=1.0, parallel="yes"), TE, r"parallel must be True or False \(a parallel-beam camera or a pinhole\); got str 'yes'"),
    ("detector.Detector", "parallel without sdd", lambda: detector.Detector(4, delx=1.0, parallel=True)(POSE), VE, r"sdd must be given: .* \(the rays' length from the source plane to the detector, mm\)"),
    ("detector.make_intrinsics", "parallel int", lambda: detector.make_intrinsics(None, 1.0, 1.0, 4, 4, parallel=1), TE, "parallel must be True or False"),
    ("detector.intrinsics_to_params", "parallel None", lambda: detector.intrinsics_to_params(K, None, 4, 4, parallel=None), TE, "parallel must be True or False"),
    ("detector.camera_rays", "parallel str", lambda: detector.camera_rays(POSE, K, 100.0, 4, 4, parallel="no"), TE, "parallel must be True or False"),
    ("detector.projection_matrix", "parallel str", lambda: detector.projection_matrix(POSE, K, parallel="True"), TE, "parallel must be True or False"),
    ("detector.project_points", "parallel str", lambda: detector.project_points(torch.zeros(5, 3), POSE, K, parallel="yes"), TE, "parallel must be True or False"),
    ("detector.backproject_pixels", "parallel depth inf", lambda: detector.backproject_pixels(torch.zeros(5, 2), POSE, K, math.inf, parallel=True), VE, r"depth must be finite \(mm along the principal ray, from the source plane\)"),
    ("detector.from_projection_matrix", "parallel str", lambda: detector.from_projection_matrix(_affine_P(), 4, 4, parallel="yes"), TE, "parallel must be True or False"),
    ("detector.from_projection_matrix", "parallel pinhole P", lambda: detector.from_projection_matrix(detector.projection_matrix(POSE, K), 4, 4, parallel=True), VE, r"P must be affine for parallel=True \(its last row \(0, 0, 0, p34\)\)"),
    ("detector.from_projection_matrix", "affine P parallel=False", lambda: detector.from_projection_matrix(_affine_P(), 4, 4, parallel=False), VE, r"P\[:, :3\] must be non-singular .* \(an affine P: a parallel-beam camera, read with parallel=True\)"),
    ("detector.from_projection_matrix", "mixed batch", lambda: detector.from_projection_matrix(torch.cat([_affine_P(), detector.projection_matrix(POSE, K)]), 4, 4), VE, r"P must be all pinhole or all affine .* got 1 affine of 2"),
    ("detector.from_projection_matrix", "affine P delx", lambda: detector.from_projection_matrix(_affine_P(), 4, 4, delx=1.0, parallel=True), VE, r"delx must not be given for an affine P"),
    ("detector.from_projection_matrix", "affine P negative", lambda: detector.from_projection_matrix(-_affine_P(), 4, 4, parallel=True), VE, r"P\[2, 3\] of an affine P must be positive"),
    ("detector.from_projection_matrix", "affine P rank 1", lambda: detector.from_projection_matrix(torch.tensor([[[1.0, 0, 0, 0], [2.0, 0, 0, 0], [0, 0, 0, 1]]]), 4, 4, parallel=True), VE, r"P\[:2, :3\] of an affine P must have rank 2"),
    ("drr.DRR", "parallel str", lambda: drr.DRR(VOL, (1.0, 1.0, 1.0), 4, 1.0, parallel="yes"), TE, "parallel must be True or False"),
    # renderers
    ("siddon.siddon", "volume 2-D", lambda: siddon.siddon(torch.zeros(4, 4), AFF, SRC, TGT), VE, "volume must be 3-D"),
    ("siddon.siddon", "source nan", lambda: siddon.siddon(VOL, AFF, torch.full((1, 1, 3), NAN), TGT), VE, "source must be a finite"),
    ("siddon.siddon", "affine", lambda: siddon.siddon(VOL, torch.eye(3), SRC, TGT), VE, "affine must have shape"),
    ("siddon.prepare_rays", "targets shape", lambda: siddon.prepare_rays(VOL, AFF, SRC, torch.zeros(1, 2, 2)), VE, "targets must be a tensor of shape"),
    ("siddon.check_channels", "values", lambda: siddon.check_channels(torch.full((4, 4, 4), 5), (4, 4, 4), 2, VOL.device), VE, "channels must hold values"),
    ("siddon.siddon_reference", "source shape", lambda: siddon.siddon_reference(VOL.numpy(), AFF.numpy(), np.zeros(2), np.zeros(3)), VE, r"source must have shape \(3,\)"),
    # the seam (diffdrr.render): its boundary, prepare_rays, and the settings every backend is given
    ("render.prepare_rays", "volume 2-D", lambda: render.prepare_rays(torch.ones(4, 4), AFF, SRC, TGT), VE, "volume must be 3-D"),
    ("render.prepare_rays", "affine shape", lambda: render.prepare_rays(VOL, torch.eye(3), SRC, TGT), VE, "affine must have shape"),
    ("render.prepare_rays", "source shape", lambda: render.prepare_rays(VOL, AFF, SRC[0], TGT), VE, r"source must have shape \(B, 1, 3\)"),
    ("render.prepare_rays", "targets NaN", lambda: render.prepare_rays(VOL, AFF, SRC, TGT * NAN), VE, "targets must be a finite"),
    ("render.n_samples", "n_points 2.7", lambda: render.n_samples((4, 4, 4), AFF, n_points=2.7), VE, "n_points must be a positive integer"),
    ("render.n_samples", "both", lambda: render.n_samples((4, 4, 4), AFF, n_points=2, step=1.0), VE, "give n_points or step, not both"),
    ("render.n_samples", "step negative", lambda: render.n_samples((4, 4, 4), AFF, step=-1.0), VE, "step must be a positive number"),
    ("render.RenderSettings", "renderer", lambda: render.RenderSettings("nearest"), VE, r"renderer must be one of \('siddon', 'trilinear'\); got 'nearest'"),
    ("render.RenderSettings", "n_samples", lambda: render.RenderSettings("trilinear", 0), VE, "n_samples must be a positive integer for renderer 'trilinear'; got 0"),
    ("render.RenderSettings", "two work sizes", lambda: render.RenderSettings(rays_per_chunk=4, rays_per_launch=8), VE, "give one work size"),
    ("render.register_backend", "not a Backend", lambda: render.register_backend("torch"), TE, "backend must be a Backend; got str"),
    ("render.register_backend", "name taken", lambda: render.register_backend(render.BACKENDS["torch"]), VE, "backend.name must be new and not 'auto'; got 'torch'"),
    ("render.register_backend", "reduces without sum", lambda: render.register_backend(__import__("dataclasses").replace(render.BACKENDS["torch"], name="x", reduces=("max",))), VE, r"backend.reduces must be a tuple of names in \('sum', 'mean', 'max'\) that holds 'sum'; got \('max',\)"),
    ("render.unregister_backend", "unknown", lambda: render.unregister_backend("cuda"), VE, "name must be one of"),
    ("render.RenderSettings", "rays_per_chunk", lambda: render.RenderSettings(rays_per_chunk=0), VE, "rays_per_chunk must be a positive integer"),
    ("render.RenderSettings", "rays_per_launch float", lambda: render.RenderSettings(rays_per_launch=2.5), TE, "rays_per_launch must be a positive integer"),
    ("render.check_chunk_size", "bool", lambda: render.check_chunk_size(True), TE, "chunk_size must be a positive integer number of rays"),
    ("render.choose_backend", "unknown", lambda: render.choose_backend("cuda", torch.device("cpu")), VE, "backend must be one of"),
    ("render.choose_backend", "triton with channels", lambda: render.choose_backend("triton", torch.device("cpu"), torch.zeros(4, 4, 4, dtype=torch.uint8)), VE, "backend='triton' renders CUDA volumes without structures"),
    ("render.kernel_line_integrals", "backend", lambda: render.kernel_line_integrals(VOL, SRC, TGT, torch.ones(1, 2), 0, 8, backend="torch"), VE, "backend must be one of"),
    ("render.kernel_line_integrals", "reduce", lambda: render.kernel_line_integrals(VOL, SRC, TGT, torch.ones(1, 2), 0, 8, reduce="min"), VE, r"reduce must be one of \('sum', 'mean', 'max'\); got 'min'"),
    ("render.RenderSettings", "reduce", lambda: render.RenderSettings("siddon", reduce="median"), VE, r"reduce must be one of \('sum', 'mean', 'max'\); got 'median'"),
    ("render.choose_backend", "reduce", lambda: render.choose_backend("auto", torch.device("cpu"), reduce="min"), VE, r"reduce must be one of \('sum', 'mean', 'max'\); got 'min'"),
    ("drr.DRR", "reduce", lambda: drr.DRR(VOL, (1.0, 1.0, 1.0), 4, 1.0, reduce="mip"), VE, r"reduce must be one of \('sum', 'mean', 'max'\); got 'mip'"),
    ("drr.DRR", "reduce max with structures", lambda: drr.DRR(VOL, (1.0, 1.0, 1.0), 4, 1.0, sdd=100.0, reduce="max", labels=torch.zeros(4, 4, 4, dtype=torch.long))(POSE, structures=[0]), VE, "reduce='max' renders no per-structure channels"),
    ("trilinear.trilinear", "n_points 0", lambda: trilinear.trilinear(VOL, AFF, SRC, TGT, n_points=0), VE, "n_points must be a positive integer"),
    ("trilinear.trilinear", "step", lambda: trilinear.trilinear(VOL, AFF, SRC, TGT, step=-1.0), VE, "step must be a positive"),
    ("trilinear.n_samples", "n_points", lambda: trilinear.n_samples((4, 4, 4), AFF, n_points=0), VE, "n_points must be a positive integer"),
    ("kernels.siddon_fused", "volume 2-D", lambda: kernels.siddon_fused(torch.zeros(4, 4), AFF, SRC, TGT), VE, "volume must be 3-D"),
    ("kernels.trilinear_fused", "n_points 0", lambda: kernels.trilinear_fused(VOL, AFF, SRC, TGT, n_points=0), VE, "n_points must be a positive integer"),
    # DRR
    ("drr.DRR", "volume type", lambda: drr.DRR("ct", (1.0, 1.0, 1.0), 4, 1.0), TE, "volume"),
    ("drr.DRR", "height 2.5", lambda: drr.DRR(VOL, (1.0, 1.0, 1.0), 2.5, 1.0), TE, "height must be a positive integer"),
    ("drr.DRR", "renderer", lambda: drr.DRR(VOL, (1.0, 1.0, 1.0), 4, 1.0, renderer="raycast"), VE, "renderer must be one of"),
    ("drr.DRR", "backend", lambda: drr.DRR(VOL, (1.0, 1.0, 1.0), 4, 1.0, backend="cuda"), VE, "backend must be one of"),
    ("drr.DRR", "call pose last row", lambda: tiny_drr()(bad_pose()), VE, "pose must have last row"),
    ("drr.DRR", "call pose nan", lambda: tiny_drr()(torch.full((1, 4, 4), NAN)), VE, "pose must be finite"),
    ("drr.DRR", "call seed sdr", lambda: tiny_drr()(-1.0, 0.0, 0.0, 0.0, 2.0, 2.0, 2.0), VE, "sdr must be positive"),
    ("drr.DRR", "call seed str", lambda: tiny_drr()(50.0, "a", 0.0, 0.0, 2.0, 2.0, 2.0), TE, "theta must be a float"),
    ("drr.DRR", "pixels float", lambda: tiny_drr()(seed_pose(), pixels=torch.tensor([1.0])), TE, r"pixels must be an int64 \(long\) tensor .* got a torch\.float32 tensor"),
    ("drr.DRR", "pixels list", lambda: tiny_drr()(seed_pose(), pixels=[1, 2]), TE, r"pixels must be an int64 \(long\) tensor .* got list"),
    ("drr.DRR", "pixels shape", lambda: tiny_drr()(seed_pose(), pixels=torch.zeros(2, 3, dtype=torch.long)), VE, r"pixels must have shape \(N,\) or \(1, N\) .* got shape \(2, 3\)"),
    ("drr.DRR", "pixels empty", lambda: tiny_drr()(seed_pose(), pixels=torch.zeros(0, dtype=torch.long)), VE, r"pixels must have shape .* got shape \(0,\)"),
    ("drr.DRR", "pixels out of range", lambda: tiny_drr()(seed_pose(), pixels=torch.tensor([0, 16])), VE, r"pixels must be flat indices i \* W \+ j in \[0, 16\) on the 4 x 4 detector; got values from 0 to 16"),
    ("drr.DRR", "pixels negative", lambda: tiny_drr()(seed_pose(), pixels=torch.tensor([-1])), VE, r"pixels must be flat indices .* got values from -1 to -1"),
    ("drr.random_pixels", "fraction 0", lambda: drr.random_pixels(4, 4, 0.0), VE, r"fraction must be in \(0, 1\] \(a share of the pixels\); got 0\.0"),
    ("drr.random_pixels", "fraction above 1", lambda: drr.random_pixels(4, 4, 1.01), VE, r"fraction must be in \(0, 1\]"),
    ("drr.random_pixels", "fraction nan", lambda: drr.random_pixels(4, 4, NAN), VE, r"fraction must be in \(0, 1\]"),
    ("drr.random_pixels", "fraction str", lambda: drr.random_pixels(4, 4, "half"), TE, "fraction must be a real number in"),
    ("drr.random_pixels", "height 0", lambda: drr.random_pixels(0, 4, 0.5), VE, "height must be a positive integer"),
    ("drr.random_pixels", "width float", lambda: drr.random_pixels(4, 2.5, 0.5), TE, "width must be a positive integer"),
    ("drr.random_pixels", "generator type", lambda: drr.random_pixels(4, 4, 0.5, generator=0), TE, "generator must be a torch.Generator or None; got int"),
    ("drr.random_pixels", "mask dtype", lambda: drr.random_pixels(4, 4, 0.5, mask=torch.ones(4, 4, dtype=torch.long)), TE, r"mask must be a bool or floating-point tensor .* got a torch\.int64 tensor"),
    ("drr.random_pixels", "mask shape", lambda: drr.random_pixels(4, 4, 0.5, mask=torch.ones(4, 3)), VE, r"mask must have shape \(4, 4\) or \(B, 1, 4, 4\); got \(4, 3\)"),
    ("drr.random_pixels", "mask empty", lambda: drr.random_pixels(4, 4, 0.5, mask=torch.zeros(4, 4)), VE, r"mask must keep some pixels \(mask > 0\); item 0 has none"),
    # data
    ("data.find_shared", "start type", lambda: data.find_shared(start=3), TE, "start must be a str or os.PathLike"),
    ("data.read_dicom", "missing", lambda: data.read_dicom("/nonexistent/dicom/folder"), VE, "folder"),
    ("data.hu_to_mu", "mu_water", lambda: data.hu_to_mu(torch.zeros(2), mu_water=-1.0), VE, "mu_water must be a positive"),
    ("data.hu_to_mu", "hu type", lambda: data.hu_to_mu("hu"), TE, "hu must be a torch.Tensor or numpy array"),
    ("data.read", "missing", lambda: data.read("/nonexistent/ct.nii.gz"), VE, "which does not exist"),
    ("data.read", "path type", lambda: data.read(3), TE, "path must be a str or os.PathLike"),
    ("data.read_label_names", "missing", lambda: data.read_label_names("/nonexistent/labels.csv"), VE, "path"),
    ("data.example_phantom", "shape 2.7", lambda: data.example_phantom((4, 4, 2.7), (1.0, 1.0, 1.0)), TE, "shape must be three positive integers"),
    ("data.load_example_ct", "shape 0", lambda: data.load_example_ct((4, 0, 4), (1.0, 1.0, 1.0)), VE, "shape must be three positive integers"),
    ("data.load_example_ct", "spacing", lambda: data.load_example_ct((4, 4, 4), (1.0, 1.0)), VE, "spacing must be three positive"),
    ("data.read", "bare tensor", lambda: data.read(torch.zeros(4, 4, 4)), TE, "got a bare Tensor, which has no affine"),
    ("data.read", "unknown suffix", lambda: data.read(__file__), VE, r"path must be a volume file \(\.nii"),
    ("data.resample", "neither", lambda: data.resample(_tiny_volume()), VE, "give exactly one of spacing and shape"),
    ("data.resample", "spacing", lambda: data.resample(_tiny_volume(), spacing=0.0), VE, "spacing must be three positive"),
    ("data.resample", "tensor", lambda: data.resample(VOL, spacing=1.0), TE, "volume must be a diffdrr.volume.Volume"),
    ("data.resample", "mode", lambda: data.resample(_tiny_volume(), spacing=1.0, mode="cubic"), VE, "mode must be 'linear' or 'nearest'"),
    ("data.resample_to", "target", lambda: data.resample_to(_tiny_volume(), VOL), TE, "target must be a diffdrr.volume.Volume"),
    ("data.resample_to", "disjoint", lambda: data.resample_to(_tiny_volume(), volume.Volume.from_spacing(VOL, (1.0, 1.0, 1.0), (500.0, 0.0, 0.0))), VE, "volume and target must overlap in the world"),
    ("data.crop", "outside", lambda: data.crop(_tiny_volume(), (0, 0, 0), (5, 4, 4)), VE, "lower and upper must satisfy 0 <= lower < upper <= shape"),
    ("data.crop", "float index", lambda: data.crop(_tiny_volume(), (0.5, 0, 0), (2, 2, 2)), TE, "lower must be three integers"),
    ("data.crop", "empty world box", lambda: data.crop(_tiny_volume(), (100.0, 0.0, 0.0), (101.0, 1.0, 1.0), world=True), VE, "must hold at least one voxel centre"),
    ("data.crop_to_body", "threshold", lambda: data.crop_to_body(_tiny_volume(), threshold=1.0), VE, "threshold must lie below some voxels"),
    ("data.crop_to_body", "margin", lambda: data.crop_to_body(_tiny_volume(), threshold=0.0, margin=-1.0), VE, "margin must be a non-negative"),
    ("data.recenter", "point", lambda: data.recenter(_tiny_volume(), (1.0, 2.0)), TE, "point must be three numbers"),
    ("data.recenter", "nan point", lambda: data.recenter(_tiny_volume(), (1.0, NAN, 2.0)), VE, "point must be finite"),
    ("data.clip_hu", "numpy", lambda: data.clip_hu(np.zeros(3)), TE, "volume must be a diffdrr.volume.Volume or a floating-point torch.Tensor"),
    ("data.clip_hu", "high <= low", lambda: data.clip_hu(VOL, 0.0, -1.0), VE, "high must be greater than low"),
    ("data.window", "width", lambda: data.window(VOL, 40.0, 0.0), VE, "width must be a positive finite number of HU"),
    ("data.window", "level", lambda: data.window(VOL, "soft", 400.0), TE, "level must be a real number"),
    # xray
    ("xray.read_xray", "path type", lambda: xray.read_xray(3), TE, "path must be a str or os.PathLike naming a DICOM file"),
    ("xray.read_xray", "missing", lambda: xray.read_xray("/nonexistent/xray.dcm"), VE, "path must name an existing DICOM file"),
    ("xray.read_xray", "not DICOM", lambda: xray.read_xray(__file__), VE, "test_bad_inputs.py' is not a DICOM file"),
    ("xray.read_xray", "dtype", lambda: xray.read_xray(__file__, dtype=torch.int64), TE, "dtype must be a floating torch.dtype"),
    ("xray.read_xray", "isocenter", lambda: xray.read_xray(__file__, isocenter=(1.0, 2.0)), VE, r"isocenter must be 3 finite numbers \(world mm\)"),
    ("xray.read_xray_pixels", "path type", lambda: xray.read_xray_pixels(3), TE, "path must be a str or os.PathLike naming a DICOM file"),
    ("xray.read_xray_pixels", "not DICOM", lambda: xray.read_xray_pixels(__file__), VE, "test_bad_inputs.py' is not a DICOM file"),
    ("xray.read_xray_pixels", "dtype", lambda: xray.read_xray_pixels(__file__, dtype=torch.int64), TE, "dtype must be a floating torch.dtype"),
    # visualization
    ("visualization.plot_drr", "img type", lambda: visualization.plot_drr("img"), TE, "img must be a torch.Tensor or numpy array"),
    ("visualization.plot_drr", "channels", lambda: visualization.plot_drr(IMG, channels="max"), VE, "channels must be"),
    ("visualization.plot_overlay", "mode", lambda: visualization.plot_overlay(torch.rand(1, 2, 4, 4), mode="outline"), VE, "mode must be"),
    ("visualization.animate", "path", lambda: visualization.animate("movie.mp4", torch.rand(2, 1, 4, 4)), VE, "path must name a .gif"),
    ("visualization.animate", "scale 2.5", lambda: visualization.animate("m.gif", torch.rand(2, 1, 4, 4), scale=2.5), TE, "scale must be a positive integer"),
    ("visualization.plot_scene", "drr type", lambda: visualization.plot_scene("drr", POSE, backend="matplotlib"), TE, "drr must be a diffdrr DRR"),
    ("visualization.plot_scene", "backend", lambda: visualization.plot_scene(tiny_drr(), POSE, backend="vtk"), VE, "backend must be"),
    ("visualization.plot_scene", "names vs poses", lambda: visualization.plot_scene(tiny_drr(), POSE.repeat(2, 1, 1), names=["a"], backend="matplotlib"), VE, r"names must give one name per camera \(2 poses\); got 1"),
    ("visualization.plot_scene", "colors vs poses", lambda: visualization.plot_scene(tiny_drr(), POSE.repeat(2, 1, 1), colors=["red"] * 3, backend="matplotlib"), VE, r"colors must give one colour per camera \(2 poses\); got 3"),
    ("visualization.plot_scene", "pose shape", lambda: visualization.plot_scene(tiny_drr(), torch.eye(3)[None], backend="matplotlib"), VE, "pose must"),
    ("visualization.plot_scene", "detectors type", lambda: visualization.plot_scene(tiny_drr(), POSE, detectors=["det"], backend="matplotlib"), TE, "detectors must be a diffdrr.detector.Detector"),
    ("visualization.plot_scene", "img count", lambda: visualization.plot_scene(tiny_drr(), POSE.repeat(2, 1, 1), img=torch.rand(3, 1, 4, 4), backend="matplotlib"), VE, r"img must hold one image per camera \(B = 2"),
    ("visualization.plot_scene", "structures without labels", lambda: visualization.plot_scene(tiny_drr(), POSE, structures=[1], backend="matplotlib"), VE, "structures need a label map"),
    # metrics
    ("metrics.check_images", "shapes", lambda: metrics.check_images(IMG, torch.rand(1, 1, 4, 4)), VE, "x and y must have the same shape"),
    ("metrics.normalized_cross_correlation", "nan", lambda: metrics.normalized_cross_correlation(IMG, NAN_IMG), VE, "y must be finite"),
    ("metrics.patch_ncc", "patch_size 0", lambda: metrics.patch_ncc(IMG, IMG, 0), VE, "patch_size must be a positive integer"),
    ("metrics.patch_ncc", "stride 1.5", lambda: metrics.patch_ncc(IMG, IMG, 4, 1.5), TE, "stride must be a positive integer"),
    ("metrics.multiscale_ncc", "weights", lambda: metrics.multiscale_ncc(IMG, IMG, (None, 4), (1.0, -1.0)), VE, "weights must be"),
    ("metrics.gaussian_blur", "sigma", lambda: metrics.gaussian_blur(IMG, -1.0), VE, "sigma must be a non-negative"),
    ("metrics.sobel", "type", lambda: metrics.sobel(np.zeros((1, 1, 4, 4))), TE, "x must be a torch.Tensor"),
    ("metrics.gradient_ncc", "3-D", lambda: metrics.gradient_ncc(IMG[0], IMG[0]), VE, "x must have shape"),
    ("metrics.masked_ncc", "mask", lambda: metrics.masked_ncc(IMG, IMG, torch.full((1, 1, 8, 8), 2.0)), VE, "mask must hold"),
    ("metrics.normalized_cross_correlation", "mask all 0", lambda: metrics.normalized_cross_correlation(IMG, IMG, mask=torch.zeros(1, 1, 8, 8)), VE, "mask must keep some pixels"),
    ("metrics.patch_ncc", "min_coverage 2", lambda: metrics.patch_ncc(IMG, IMG, 4, mask=torch.ones(1, 1, 8, 8), min_coverage=2.0), VE, "min_coverage must be a fraction"),
    ("metrics.patch_ncc", "mask covers no patch", lambda: metrics.patch_ncc(IMG, IMG, 4, mask=torch.eye(8)[None, None]), VE, "mask must cover at least min_coverage"),
    ("metrics.gradient_ncc", "mask eroded away", lambda: metrics.gradient_ncc(IMG, IMG, mask=torch.eye(8)[None, None]), VE, "mask must keep some pixels after erosion"),
    ("metrics.local_ncc", "sigma 0", lambda: metrics.local_ncc(IMG, IMG, 0.0), VE, "sigma must be a positive finite number of pixels"),
    ("metrics.local_ncc", "mask shape", lambda: metrics.local_ncc(IMG, IMG, mask=torch.ones(1, 1, 4, 4)), VE, r"mask must have shape \(1, 1, 8, 8\)"),
    ("metrics.local_ncc", "nan", lambda: metrics.local_ncc(NAN_IMG, IMG), VE, "x must be finite"),
    ("metrics.highpass_ncc", "sigma -1", lambda: metrics.highpass_ncc(IMG, IMG, -1.0), VE, "sigma must be a positive finite number of pixels"),
    ("metrics.highpass_ncc", "mask all 0", lambda: metrics.highpass_ncc(IMG, IMG, mask=torch.zeros(1, 1, 8, 8)), VE, "mask must keep some pixels"),
    ("metrics.gradient_correlation", "nan", lambda: metrics.gradient_correlation(IMG, NAN_IMG), VE, "y must be finite"),
    ("metrics.gradient_correlation", "mask type", lambda: metrics.gradient_correlation(IMG, IMG, mask=np.ones((1, 1, 8, 8))), TE, "mask must be a torch.Tensor"),
    ("metrics.mutual_information", "mask shape", lambda: metrics.mutual_information(IMG, IMG, mask=torch.ones(2, 1, 8, 8)), VE, "mask must have shape"),
    ("metrics.mutual_information", "bins", lambda: metrics.mutual_information(IMG, IMG, bins=1), VE, "bins must be an integer"),
    ("metrics.geodesic_angle", "pose_b", lambda: metrics.geodesic_angle(POSE, bad_pose()), VE, "pose_b must have last row"),
    ("metrics.translation_distance", "pose_a", lambda: metrics.translation_distance(torch.eye(3), POSE), VE, "pose_a must have shape"),
    ("metrics.se3_log_distance", "radius", lambda: metrics.se3_log_distance(POSE, POSE, radius=-1.0), VE, "radius must be a positive"),
    ("metrics.mtre", "points", lambda: metrics.mtre(POSE, POSE, torch.zeros(4, 2)), VE, "points must be"),
    ("metrics.grid_points", "shape 2.7", lambda: metrics.grid_points((4, 4, 2.7), AFF), TE, "shape must be three positive integers"),
    ("metrics.grid_points", "n 0", lambda: metrics.grid_points((4, 4, 4), AFF, 0), VE, "n must be a positive integer"),
    ("metrics.mean_projection_distance", "delx", lambda: metrics.mean_projection_distance(POSE, POSE, torch.tensor([[0.0, 0.0, 50.0]]), K, delx=-1.0), VE, "delx must be a positive"),
    # registration
    ("registration.volume_center", "drr type", lambda: registration.volume_center("drr"), (TE, AttributeError), "drr|volume"),
    ("registration.Registration", "pose", lambda: registration.Registration(tiny_drr(), bad_pose()), VE, "initial_pose must have last row"),
    ("registration.Registration", "parameterization", lambda: registration.Registration(tiny_drr(), seed_pose(), parameterization="matrix"), VE, "parameterization must be one of"),
    ("registration.RegistrationSettings", "optimizer", lambda: registration.RegistrationSettings(optimizer="sgd"), VE, "optimizer must be one of"),
    ("search.SearchSettings", "rotation_range", lambda: registration.SearchSettings(rotation_range=4.0), VE, "rotation_range must be at most pi"),
    ("registration.resize_drr", "height", lambda: registration.resize_drr(tiny_drr(), 0), VE, "height must be a positive integer"),
    ("registration.register", "target nan", lambda: registration.register(tiny_drr(), torch.full((1, 1, 4, 4), NAN), seed_pose()), VE, "target must be finite"),
    ("registration.register", "target shape", lambda: registration.register(tiny_drr(), torch.rand(1, 1, 8, 8), seed_pose()), VE, "target must have shape"),
    ("registration.register", "optimizer", lambda: registration.register(tiny_drr(), torch.rand(1, 1, 4, 4), seed_pose(), optimizer="sgd"), VE, "optimizer must be one of"),
    ("registration.register", "subsample 0", lambda: registration.register(tiny_drr(), torch.rand(1, 1, 4, 4), seed_pose(), subsample=0.0), VE, r"subsample must be in \(0, 1\] \(a share of the pixels\); got 0\.0"),
    ("registration.register", "subsample 1.5", lambda: registration.register(tiny_drr(), torch.rand(1, 1, 4, 4), seed_pose(), subsample=1.5), VE, r"subsample must be in \(0, 1\]"),
    ("registration.register", "subsample str", lambda: registration.register(tiny_drr(), torch.rand(1, 1, 4, 4), seed_pose(), subsample="all"), TE, "subsample must be a real number in"),
    ("registration.register", "subsample lbfgs", lambda: registration.register(tiny_drr(), torch.rand(1, 1, 4, 4), seed_pose(), subsample=0.5, optimizer="lbfgs"), VE, "subsample needs optimizer='adam'"),
    ("registration.register", "subsample patch metric", lambda: registration.register(tiny_drr(), torch.rand(1, 1, 4, 4), seed_pose(), subsample=0.5, metric="gradient_correlation"), VE, "subsample needs a similarity of pixels taken one by one"),
    ("registration.register", "subsample_seed -1", lambda: registration.register(tiny_drr(), torch.rand(1, 1, 4, 4), seed_pose(), subsample_seed=-1), VE, "subsample_seed must be a non-negative integer"),
    ("registration.RegistrationSettings", "subsample 0", lambda: registration.RegistrationSettings(subsample=0), VE, r"subsample must be in \(0, 1\]"),
    ("search.global_register", "top_k", lambda: registration.global_register(tiny_drr(), torch.rand(1, 1, 4, 4), seed_pose(), top_k=0), VE, "top_k must be a positive integer"),
    ("search.global_register", "initial_pose nan", lambda: registration.global_register(tiny_drr(), torch.rand(1, 1, 4, 4), torch.full((1, 4, 4), NAN)), VE, "initial_pose must be finite"),
    ("xray_registration.xray_drr", "camera shape", lambda: registration.xray_drr(_tiny_volume(), torch.zeros(2, 4), 4, 4), VE, "camera must be a projection matrix P of shape"),
    ("xray_registration.xray_drr", "world", lambda: registration.xray_drr(_tiny_volume(), torch.tensor([[100.0, 0, 2.0, 0], [0, 100.0, 2.0, 0], [0, 0, 1.0, 300.0]], dtype=torch.float64), 4, 4, world="XYZ"), VE, "world must be one of"),
    ("xray_registration.truncation_mask", "pose", lambda: registration.truncation_mask(tiny_drr(), bad_pose()), VE, "pose must have last row"),
    ("xray_registration.trust_check", "n", lambda: registration.trust_check(tiny_drr(), torch.rand(1, 1, 4, 4), None, seed_pose(), n=0), VE, "n must be a positive integer"),
    ("render.render_rays", "renderer", lambda: render.render_rays(VOL, AFF, SRC, TGT, renderer="nearest"), VE, "renderer must be one of"),
    ("render.render_rays", "reduce", lambda: render.render_rays(VOL, AFF, SRC, TGT, reduce="min"), VE, "reduce must be one of"),
    ("render.render_rays", "n_points", lambda: render.render_rays(VOL, AFF, SRC, TGT, n_points=4), VE, "n_points and step apply to a sampled renderer"),
    ("render.render_rays", "source", lambda: render.render_rays(VOL, AFF, torch.zeros(1, 3), TGT), VE, "source must have shape"),
    ("render.render_rays", "volume nan", lambda: render.render_rays(torch.full((4, 4, 4), NAN), AFF, SRC, TGT), VE, "volume"),
    ("xray_registration.scale_axial", "scale", lambda: xray_registration.scale_axial(tiny_drr(), 0.0), VE, "scale must be a positive"),
    ("xray_registration.axial_scale_render", "log_scale", lambda: xray_registration.axial_scale_render(tiny_drr(), seed_pose(), torch.zeros(3, dtype=torch.float64)), VE, "log_scale must be a floating tensor of shape \\(1,\\)"),
    ("xray_registration.fit_axial_scale", "pose", lambda: xray_registration.fit_axial_scale(tiny_drr(), torch.rand(1, 1, 4, 4), None, seed_pose().expand(2, -1, -1)), VE, "pose must be one pose"),
    ("xray_registration.fit_axial_scale", "iterations", lambda: xray_registration.fit_axial_scale(tiny_drr(), torch.rand(1, 1, 4, 4), None, seed_pose(), iterations=0), VE, "iterations must be a positive integer"),
    ("xray_registration.residual_distortion", "radius", lambda: registration.residual_distortion(torch.rand(1, 1, 32, 32), torch.rand(1, 1, 32, 32), radius=0), VE, "radius must be a positive integer"),
    ("xray_registration.residual_distortion", "window", lambda: registration.residual_distortion(torch.rand(1, 1, 32, 32), torch.rand(1, 1, 32, 32), window=30), VE, "window \\+ 2 radius must fit"),
    ("xray_registration.XrayStage", "metric", lambda: registration.XrayStage(metric="ssim"), VE, "metric must be one of"),
    ("xray_registration.register_xray", "image nan", lambda: registration.register_xray(_tiny_volume(), torch.full((8, 8), NAN), torch.tensor([[100.0, 0, 2.0, 0], [0, 100.0, 2.0, 0], [0, 0, 1.0, 300.0]], dtype=torch.float64)), VE, "image must be finite"),
    ("xray_registration.register_xray", "image batch", lambda: registration.register_xray(_tiny_volume(), torch.rand(2, 1, 8, 8), torch.tensor([[100.0, 0, 2.0, 0], [0, 100.0, 2.0, 0], [0, 0, 1.0, 300.0]], dtype=torch.float64)), VE, "image must have shape"),
    ("xray_registration.register_xray", "mask shape", lambda: registration.register_xray(_tiny_volume(), torch.rand(8, 8), torch.tensor([[100.0, 0, 2.0, 0], [0, 100.0, 2.0, 0], [0, 0, 1.0, 300.0]], dtype=torch.float64), mask=torch.ones(4, 8)), VE, "mask must have the image's shape"),
    ("xray_registration.register_xray", "method", lambda: registration.register_xray(_tiny_volume(), torch.rand(8, 8), torch.tensor([[100.0, 0, 2.0, 0], [0, 100.0, 2.0, 0], [0, 0, 1.0, 300.0]], dtype=torch.float64), method="sweep"), VE, "method must be one of"),
    ("xray_registration.register_xray", "camera type", lambda: registration.register_xray(_tiny_volume(), torch.rand(8, 8), "P"), TE, "camera must be a 3x4 projection matrix"),
    # multiview
    ("multiview.rigid_motion", "rotation shape", lambda: importlib.import_module("diffdrr.multiview").rigid_motion(torch.zeros(3), torch.zeros(1, 3), (0.0, 0.0, 0.0)), VE, "rotation must have shape \\(B, 3\\)"),
    ("multiview.rigid_motion", "translation nan", lambda: importlib.import_module("diffdrr.multiview").rigid_motion(torch.zeros(1, 3), torch.full((1, 3), NAN), (0.0, 0.0, 0.0)), VE, "translation must be finite"),
    ("multiview.rigid_motion", "rotation type", lambda: importlib.import_module("diffdrr.multiview").rigid_motion([[0.0, 0.0, 0.0]], torch.zeros(1, 3), (0.0, 0.0, 0.0)), TE, "rotation must be a floating-point torch.Tensor"),
    ("multiview.multiview_similarity", "drrs type", lambda: importlib.import_module("diffdrr.multiview").multiview_similarity(tiny_drr(), POSE, POSE, [torch.rand(1, 1, 4, 4)]), TE, "drrs must be a non-empty list of diffdrr.drr.DRR"),
    ("multiview.multiview_similarity", "count", lambda: importlib.import_module("diffdrr.multiview").multiview_similarity([tiny_drr()], seed_pose().expand(2, 4, 4), seed_pose(), [torch.rand(1, 1, 4, 4)]), VE, "cameras must have one entry per view"),
    ("multiview.multiview_similarity", "fixed shape", lambda: importlib.import_module("diffdrr.multiview").multiview_similarity([tiny_drr()], seed_pose(), seed_pose(), [torch.rand(1, 1, 8, 8)]), VE, "fixed\\[0\\] must be a tensor \\(1, 1, 4, 4\\)"),
    ("multiview.register_views", "images type", lambda: importlib.import_module("diffdrr.multiview").register_views(_tiny_volume(), torch.rand(2, 8, 8), [torch.tensor([[100.0, 0, 2.0, 0], [0, 100.0, 2.0, 0], [0, 0, 1.0, 300.0]], dtype=torch.float64), torch.tensor([[100.0, 0, 2.0, 0], [0, 100.0, 2.0, 0], [0, 0, 1.0, 300.0]], dtype=torch.float64)]), TE, "images must be a list or tuple"),
    ("multiview.register_views", "count", lambda: importlib.import_module("diffdrr.multiview").register_views(_tiny_volume(), [torch.rand(8, 8)] * 2, [torch.tensor([[100.0, 0, 2.0, 0], [0, 100.0, 2.0, 0], [0, 0, 1.0, 300.0]], dtype=torch.float64)]), VE, "cameras must have one camera per image: 2 images; got 1"),
    ("multiview.register_views", "masks count", lambda: importlib.import_module("diffdrr.multiview").register_views(_tiny_volume(), [torch.rand(8, 8)] * 2, [torch.tensor([[100.0, 0, 2.0, 0], [0, 100.0, 2.0, 0], [0, 0, 1.0, 300.0]], dtype=torch.float64), torch.tensor([[100.0, 0, 2.0, 0], [0, 100.0, 2.0, 0], [0, 0, 1.0, 300.0]], dtype=torch.float64)], masks=[None]), VE, "masks must have one mask \\(or None\\) per image"),
    ("multiview.register_views", "image nan", lambda: importlib.import_module("diffdrr.multiview").register_views(_tiny_volume(), [torch.rand(8, 8), torch.full((8, 8), NAN)], [torch.tensor([[100.0, 0, 2.0, 0], [0, 100.0, 2.0, 0], [0, 0, 1.0, 300.0]], dtype=torch.float64), torch.tensor([[100.0, 0, 2.0, 0], [0, 100.0, 2.0, 0], [0, 0, 1.0, 300.0]], dtype=torch.float64)]), VE, "images\\[1\\] must be finite"),
    ("multiview.register_views", "image shape", lambda: importlib.import_module("diffdrr.multiview").register_views(_tiny_volume(), [torch.rand(2, 1, 8, 8)], [torch.tensor([[100.0, 0, 2.0, 0], [0, 100.0, 2.0, 0], [0, 0, 1.0, 300.0]], dtype=torch.float64)]), VE, "images\\[0\\] must have shape"),
    ("multiview.register_views", "mask shape", lambda: importlib.import_module("diffdrr.multiview").register_views(_tiny_volume(), [torch.rand(8, 8)], [torch.tensor([[100.0, 0, 2.0, 0], [0, 100.0, 2.0, 0], [0, 0, 1.0, 300.0]], dtype=torch.float64)], masks=[torch.ones(4, 8)]), VE, "masks\\[0\\] must have images\\[0\\]'s shape"),
    ("multiview.register_views", "method", lambda: importlib.import_module("diffdrr.multiview").register_views(_tiny_volume(), [torch.rand(8, 8)], [torch.tensor([[100.0, 0, 2.0, 0], [0, 100.0, 2.0, 0], [0, 0, 1.0, 300.0]], dtype=torch.float64)], method="sweep"), VE, "method must be one of"),
    # physics
    ("physics.mass_attenuation", "material", lambda: physics.mass_attenuation("unobtainium", 70.0), VE, "material must be one of"),
    ("physics.mass_attenuation", "energy", lambda: physics.mass_attenuation("water", 5.0), VE, "energy must lie within"),
    ("physics.linear_attenuation", "density", lambda: physics.linear_attenuation(["water", "bone"], 70.0, density=(-1.0, 1.0)), VE, "density must hold"),
    ("physics.hu_to_attenuation", "hu type", lambda: physics.hu_to_attenuation([0.0]), TE, "hu must be a torch.Tensor"),
    ("physics.structure_ids", "negative", lambda: physics.structure_ids([-1]), VE, "selection must hold non-negative"),
    ("physics.structure_groups", "overlap", lambda: physics.structure_groups({"a": [2], "b": [2]}), VE, "label 2 belongs to both"),
    ("physics.reweight", "type", lambda: physics.reweight([1.0]), (TE, VE), "line_integrals must be"),
    ("physics.StructureImages", "type", lambda: physics.StructureImages(("a",), [1.0]), TE, "line_integrals must be a torch.Tensor"),
    ("physics.render_structures", "drr type", lambda: physics.render_structures(torch.zeros(1), {"a": [1]}), TE, "drr must be a diffdrr.drr.DRR"),
    ("physics.MaterialMap", "materials", lambda: physics.MaterialMap(("unobtainium",), (1.0,), (torch.zeros(4, 4, 4, dtype=torch.long),)), (TE, VE), "material"),
    ("physics.decompose", "hu type", lambda: physics.decompose([0.0]), TE, "hu must be a torch.Tensor"),
    ("physics.render_materials", "material_map", lambda: physics.render_materials(tiny_drr(), "map"), TE, "material_map must be a MaterialMap"),
    ("physics.Spectrum", "fluence", lambda: physics.Spectrum(torch.tensor([50.0, 60.0]), torch.tensor([-1.0, 1.0])), VE, "fluence must be finite and non-negative"),
    ("physics.kramers_spectrum", "kvp", lambda: physics.kramers_spectrum(200.0), VE, "kvp must be one number in"),
    ("physics.kramers_spectrum", "kvp str", lambda: physics.kramers_spectrum("120"), TE, "kvp must be a number"),
    ("physics.detector_response", "thickness", lambda: physics.detector_response(torch.tensor([50.0]), thickness=0.0), VE, "thickness must be a positive"),
    ("physics.beer_lambert", "type", lambda: physics.beer_lambert([1.0]), TE, "line_integral must be a torch.Tensor"),
    ("physics.intensity_to_line_integral", "type", lambda: physics.intensity_to_line_integral(np.ones(2)), TE, "intensity must be a torch.Tensor"),
    ("physics.effective_spectrum", "spectrum", lambda: physics.effective_spectrum((1, 2), ["water"]), TE, "spectrum must be a Spectrum"),
    ("physics.effective_spectrum", "n_bins", lambda: physics.effective_spectrum(spectrum(), ["water"], n_bins=0), VE, "n_bins must be a positive integer"),
    ("physics.polychromatic_intensity", "mass_thickness", lambda: physics.polychromatic_intensity(torch.zeros(2), torch.ones(1), torch.ones(1, 1)), VE, "mass_thickness must be"),
    ("physics.PolychromaticDRR", "drr type", lambda: physics.PolychromaticDRR(torch.zeros(1)), TE, "drr must be a diffdrr.drr.DRR"),
    ("physics.poisson_gaussian_noise", "gain", lambda: physics.poisson_gaussian_noise(torch.ones(2), gain=0.0), VE, "gain must be positive"),
    ("physics.poisson_gaussian_noise", "signal type", lambda: physics.poisson_gaussian_noise(np.ones(2)), TE, "signal must be a floating-point torch.Tensor"),
    ("physics.poisson_gaussian_noise", "blur 1-D", lambda: physics.poisson_gaussian_noise(torch.ones(3), blur=1.0), VE, r"blur needs an image signal of shape \(B, C, H, W\)"),
    ("physics.detector_blur", "sigma", lambda: physics.detector_blur(IMG, -1.0), VE, "sigma must be a non-negative finite number of pixels"),
    ("physics.detector_blur", "image type", lambda: physics.detector_blur(np.ones((1, 1, 4, 4))), TE, "image must be a torch.Tensor"),
    ("physics.scatter_image", "spr", lambda: physics.scatter_image(IMG, -1.0), VE, "spr must be non-negative and finite"),
    ("physics.scatter_image", "sigma_mm", lambda: physics.scatter_image(IMG, 1.0, sigma_mm=0.0), VE, "sigma_mm must be a positive finite number of mm"),
    ("physics.scatter_image", "field shape", lambda: physics.scatter_image(IMG, 1.0, field=torch.ones(1, 1, 4, 4)), VE, r"field must have shape \(1, 1, 8, 8\)"),
    ("physics.add_scatter", "primary nan", lambda: physics.add_scatter(NAN_IMG, 1.0), VE, "primary must be finite"),
    ("physics.add_scatter", "field type", lambda: physics.add_scatter(IMG, 1.0, field=np.ones((1, 1, 8, 8))), TE, "field must be a torch.Tensor"),
    ("physics.heel_gain", "strength", lambda: physics.heel_gain((4, 4), 2.5), VE, r"strength must lie in \[0, 2\)"),
    ("physics.heel_gain", "shape", lambda: physics.heel_gain((4,), 0.1), VE, r"shape must be two positive integers \(H, W\)"),
    ("physics.heel_gain", "axis", lambda: physics.heel_gain((4, 4), 0.1, axis=2), VE, "axis must be 0 "),
    ("physics.metal_hu", "metal", lambda: physics.metal_hu("gold"), VE, "metal must be one of"),
    ("physics.Cylinder", "radius", lambda: physics.Cylinder([0, 0, 0], [0, 0, 1], 0.0), VE, "radius must be a positive finite number of mm"),
    ("physics.Cylinder", "start", lambda: physics.Cylinder("origin", [0, 0, 1], 1.0), TE, "start must be a point"),
    ("physics.Cylinder", "no length", lambda: physics.Cylinder([0, 0, 0], [0, 0, 0], 1.0), VE, "start and end must differ"),
    ("physics.cylinder_fraction", "cylinder type", lambda: physics.cylinder_fraction((4, 4, 4), AFF, "rod"), TE, "cylinder must be a Cylinder"),
    ("physics.cylinder_fraction", "affine", lambda: physics.cylinder_fraction((4, 4, 4), torch.zeros(4, 4), physics.Cylinder([0, 0, 0], [0, 0, 1], 1.0)), VE, "affine must be invertible"),
    ("physics.insert_metal", "hu type", lambda: physics.insert_metal(np.zeros((4, 4, 4)), AFF, []), TE, "hu must be a torch.Tensor"),
    ("physics.insert_metal", "objects", lambda: physics.insert_metal(VOL, AFF, ["screw"]), TE, r"objects\[0\] must be a Cylinder"),
    ("physics.insert_metal", "supersample", lambda: physics.insert_metal(VOL, AFF, [], supersample=0), VE, "supersample must be a positive integer"),
    ("physics.ecg_electrode", "normal", lambda: physics.ecg_electrode([0, 0, 0], [0, 0, 0]), VE, "normal must be a non-zero vector"),
    ("physics.ecg_electrode", "diameter", lambda: physics.ecg_electrode([0, 0, 0], [0, 0, 1], diameter=-1.0), VE, "diameter must be a positive finite number of mm"),
    ("physics.lead_marker", "letter", lambda: physics.lead_marker((8, 8), (4.0, 4.0), 4.0, "X"), VE, "letter must be one of"),
    ("physics.lead_marker", "transmission", lambda: physics.lead_marker((8, 8), (4.0, 4.0), 4.0, transmission=1.5), VE, r"transmission must be one number in \[0, 1\]"),
    ("physics.lead_marker", "size", lambda: physics.lead_marker((8, 8), (4.0, 4.0), 0.0), VE, "size must be a positive finite number of pixels"),
    ("physics.display_transform", "window", lambda: physics.display_transform(IMG, (0.9, 0.1)), VE, "window must be two quantiles"),
    ("physics.display_transform", "gamma", lambda: physics.display_transform(IMG, gamma=0.0), VE, "gamma must be positive and finite"),
    ("physics.display_transform", "image nan", lambda: physics.display_transform(NAN_IMG), VE, "image must be finite"),
    # dataset
    ("dataset.PoseDistribution", "theta", lambda: dataset.PoseDistribution(theta=200.0), VE, "theta must be a half-width"),
    ("dataset.PoseDistribution", "sdd str", lambda: dataset.PoseDistribution(sdd="600"), TE, "sdd must be a real number"),
    ("dataset.PoseDistribution", "translation_std", lambda: dataset.PoseDistribution(translation_std=-1.0), VE, "translation_std must be >= 0"),
    ("dataset.load_ct", "missing", lambda: dataset.load_ct("/nonexistent/ct.nii.gz"), (TE, VE), "ct|path"),
    ("dataset.Views", "volume type", lambda: dataset.Views("ct"), TE, "volume"),
    ("dataset.Views", "seed", lambda: dataset.Views(volume.Volume(VOL, AFF), height=4, delx=1.0, seed=-1), VE, "seed must be a non-negative integer"),
    ("dataset.Views", "height 2.5", lambda: dataset.Views(volume.Volume(VOL, AFF), height=2.5, delx=1.0), TE, "height must be a positive integer"),
    ("dataset.write_shard", "missing folder", lambda: dataset.write_shard("/nonexistent/x.tar", []), (TE, VE, FileNotFoundError), "nonexistent"),
    ("dataset.read_shard", "missing", lambda: dataset.read_shard("/nonexistent/shard.tar"), (TE, VE, FileNotFoundError), "path|shard|No such file"),
    ("dataset.check_out", "type", lambda: dataset.check_out(3), TE, "out must be a folder path"),
    ("dataset.generate", "n 0", lambda: dataset.generate(views(), 0, "/tmp/never-written"), VE, "n must be a positive integer"),
    ("dataset.generate", "image_dtype", lambda: dataset.generate(views(), 1, "/tmp/never-written", image_dtype="int8"), VE, "image_dtype must be"),
    ("dataset.DRRDataset", "n float", lambda: dataset.DRRDataset(views(), 2.5), TE, "n must be a positive integer"),
    ("dataset.RandomDRRs", "n 0", lambda: dataset.RandomDRRs(views(), 0), VE, "n must be a positive integer"),
    ("dataset.shard_paths", "missing folder", lambda: dataset.shard_paths("/nonexistent/ds"), VE, "shards must be a dataset folder"),
    ("dataset.shard_paths", "type", lambda: dataset.shard_paths(3), TE, "shards must be a folder path or a list"),
    ("dataset.shard_paths", "empty list", lambda: dataset.shard_paths([]), VE, "shards must name at least one shard"),
    ("dataset.ShardStream", "missing folder", lambda: dataset.ShardStream("/nonexistent/ds"), VE, "shards must be a dataset folder"),
    ("dataset.ShardStream", "no shards", lambda: dataset.ShardStream(_empty_folder()), VE, "shards must be a folder holding shard-"),
    ("dataset.ShardStream", "rank", lambda: dataset.ShardStream(_tiny_shard(), rank=1, world_size=1), VE, r"rank must be in \[0, world_size"),
    ("dataset.ShardStream", "world_size 0", lambda: dataset.ShardStream(_tiny_shard(), world_size=0), VE, "world_size must be a positive integer"),
    ("dataset.ShardStream", "world_size > shards", lambda: dataset.ShardStream(_tiny_shard(), rank=0, world_size=2), VE, "world_size must be at most the number of shards"),
    ("dataset.ShardStream", "buffer_size", lambda: dataset.ShardStream(_tiny_shard(), buffer_size=-1), VE, "buffer_size must be a non-negative integer"),
    ("dataset.ShardStream", "transform", lambda: dataset.ShardStream(_tiny_shard(), transform=1), TE, "transform must be a callable"),
    ("dataset.ShardDataset", "missing folder", lambda: dataset.ShardDataset("/nonexistent/ds"), VE, "shards must be a dataset folder"),
    ("dataset.ShardDataset", "shards float", lambda: dataset.ShardDataset(2.5), TE, "shards must be a folder path or a list"),
    ("dataset.ct_paths", "missing", lambda: dataset.ct_paths(["/nonexistent/ct.nii.gz"]), VE, r"cts\[0\] must be a DICOM folder"),
    ("dataset.ct_paths", "type", lambda: dataset.ct_paths(3), TE, "cts must be a path"),
    ("dataset.load_cts", "empty", lambda: dataset.load_cts([]), VE, "cts must name at least one CT"),
    ("dataset.Views", "several: labels", lambda: dataset.Views([volume.Volume(VOL, AFF)] * 2, height=4, delx=1.0, labels=torch.ones(4, 4, 4, dtype=torch.long)), VE, "labels and structures apply to one CT"),
    # volumes
    ("volumes.MultiDRR", "dtypes", lambda: volumes.MultiDRR([VOL, VOL.double()], 4, 1.0, affine=AFF), TE, "volumes must all have one dtype"),
    ("volumes.MultiDRR", "devices", lambda: volumes.MultiDRR([VOL, torch.rand(4, 4, 4, device="meta")], 4, 1.0, affine=AFF), VE, "volumes must all be on one device"),
    ("volumes.MultiDRR", "4-D volume", lambda: volumes.MultiDRR(VOL, 4, 1.0, affine=AFF), VE, r"volumes must be a \(V, X, Y, Z\) stack"),
    ("volumes.MultiDRR", "type", lambda: volumes.MultiDRR("ct", 4, 1.0, affine=AFF), TE, "volumes must be a"),
    ("volumes.MultiDRR", "NaN voxel", lambda: volumes.MultiDRR(torch.full((2, 4, 4, 4), NAN), 4, 1.0, affine=AFF), VE, r"volumes\[0\] must be finite"),
    ("volumes.MultiDRR", "affines", lambda: volumes.MultiDRR(torch.rand(2, 4, 4, 4), 4, 1.0, affine=torch.stack([AFF] * 3)), VE, "affine must be one"),
    ("volumes.MultiDRR", "index out of range", lambda: volumes.MultiDRR([VOL, VOL], 4, 1.0, affine=AFF, sdd=100.0)(POSE, [2]), VE, r"index must hold volume indices in \[0, 2\)"),
    ("volumes.MultiDRR", "index float", lambda: volumes.MultiDRR([VOL, VOL], 4, 1.0, affine=AFF, sdd=100.0)(POSE, torch.tensor([0.0])), TE, "index must be an integer tensor"),
    ("volumes.MultiDRR", "pose", lambda: volumes.MultiDRR([VOL], 4, 1.0, affine=AFF, sdd=100.0)(bad_pose(), 0), VE, "pose must have last row"),
    # cli
    ("cli.main", "missing ct", lambda: _cli(["/nonexistent/ct.nii.gz", "--out", "/tmp/never-written.png"]), (SystemExit,), "^2$"),  # argparse's error, on stderr; status 2
    ("cli.parser", "unknown option", lambda: _cli_parse(["--no-such-option"]), (SystemExit,), None),  # argparse's error, on stderr
    ("cli.main", "register: missing xray", lambda: _cli(["register", "/nonexistent/xray.dcm", "example", "--out", "/tmp/never-written.json"]), (SystemExit,), "^2$"),  # one line on stderr; status 2
    ("cli.parser", "register without --out", lambda: _cli_parse(["register", "xray.dcm", "ct.nii.gz"]), (SystemExit,), None),  # argparse's error, on stderr
]


def _cli(argv):
    "main's exit status, raised as the console script raises it (main returns it)."
    from diffdrr import cli

    raise SystemExit(cli.main(argv))


def _cli_parse(argv):
    from diffdrr import cli

    return cli.parser().parse_args(argv)


# explorer: only where ipywidgets imports
try:
    import ipywidgets  # noqa: F401

    from diffdrr import explorer

    CASES += [
        ("explorer.orbit_to_pose", "sod", lambda: explorer.orbit_to_pose(torch.zeros(1, 3), torch.zeros(1, 3), torch.zeros(3), -1.0), VE, "sod must be a positive"),
        ("explorer.pose_to_orbit", "pose", lambda: explorer.pose_to_orbit(bad_pose(), torch.zeros(3), 100.0), VE, "pose must have last row"),
        ("explorer.explore", "drr type", lambda: explorer.explore("drr"), TE, "drr must be a diffdrr.drr.DRR"),
        ("explorer.explore", "size 2.5", lambda: explorer.explore(tiny_drr(), size=2.5), TE, "size must be a positive integer"),
        ("explorer.explore", "sdd", lambda: explorer.explore(tiny_drr(), sdd=-1.0), VE, "sdd must be a positive"),
    ]
    HAVE_EXPLORER = True
except ImportError:
    HAVE_EXPLORER = False

# Modules whose `__all__` the meta-test reads.
MODULES = ["checks", "geometry", "phantoms", "volume", "detector", "render", "siddon", "trilinear", "torch_backend", "kernels",
           "drr", "data", "xray",
           "visualization", "metrics", "registration", "search", "xray_registration", "multiview", "physics", "dataset", "cli", "volumes"] + (["explorer"] if HAVE_EXPLORER else [])

# Public callables deliberately left out of the table, each with its reason.
NOT_COVERED = {
    "multiview.MultiViewResult": "a result record register_views fills in; users read it, never build it",
    "checks.is_checking": "takes no arguments",
    "checks.is_real": "a predicate: answers False for bad input, never raises",
    "siddon.siddon_weights": "internal: grid-space weights for renderers that already validated their inputs (trust the caller)",
    "siddon.siddon_grid": "internal: grid-space renderer behind siddon(), fed by prepare_rays (trust the caller)",
    "siddon.render_linear": "internal: chunked renderer fed by prepare_rays (trust the caller)",
    "trilinear.trilinear_grid": "internal: grid-space renderer behind trilinear() (trust the caller)",
    "trilinear.trilinear_weights": "internal: grid-space weights (trust the caller)",
    "kernels.numba_available": "takes no arguments",
    "kernels.ray_order": "internal: ray ordering of validated grid-space rays",
    "kernels.FusedRender": "torch.autograd.Function, called only through siddon_fused/trilinear_fused",
    "kernels.siddon_grid_fused": "internal: grid-space kernel fed by prepare_rays (trust the caller)",
    "kernels.trilinear_grid_fused": "internal: grid-space kernel fed by prepare_rays (trust the caller)",
    "volume.grid_center": "below the boundary: the centre of a grid whose affine the caller checked (Volume.center, volume_center)",
    "render.world_to_grid": "below the boundary: grid coordinates of points the caller validated (also traced by torch.compile)",
    "render.grid_rays": "below the boundary: the rays of a validated call in grid coordinates",
    "checks.check_once": "a validation helper: runs the check it is given",
    "render.clip_to_box": "below the boundary: grid-space clipping of validated rays",
    "render.weights_per_ray": "below the boundary: a count from a validated shape",
    "render.rays_per_chunk": "below the boundary: a count from a validated size",
    "render.one_walk": "a predicate on validated tensors; never raises",
    "render.LinearRender": "torch.autograd.Function behind render_linear (trust the caller)",
    "render.render_linear": "below the boundary: the PyTorch backend's chunked sums (trust the caller)",
    "render.GridRays": "a NamedTuple of the three tensors grid_rays builds",
    "render.Backend": "a row of the backend table, built by the library; register_backend checks a new row",
    "render.Renderer": "a row of the renderer table, built by the library",
    "render.line_integrals": "the seam's dispatch on validated grid-space rays and settings (trust the caller)",
    "torch_backend.torch_available": "takes only an optional device; answers True",
    "torch_backend.weights_function": "below the boundary: reads validated RenderSettings",
    "torch_backend.torch_line_integrals": "a backend: renders validated grid-space rays (trust the caller)",
    "torch_backend.siddon_sums": "internal: grid-space sums behind the PyTorch backend's image (trust the caller)",
    "torch_backend.trilinear_sums": "internal: grid-space sums behind the PyTorch backend's image (trust the caller)",
    "torch_backend.sums_function": "below the boundary: reads validated RenderSettings and grid-space rays",
    "kernels.numba_line_integrals": "a backend: renders validated grid-space rays (trust the caller)",
    "kernels.numba_max_index": "below the boundary: the Numba backend's arg-max walks on validated grid-space rays (trust the caller)",
    "torch_backend.max_index": "below the boundary: the PyTorch backend's arg-max on validated grid-space rays (trust the caller)",
    "torch_backend.value_at": "below the boundary: the value at indices max_index computed (trust the caller)",
    "render.chord_lengths": "below the boundary: grid-space chords of validated rays",
    "render.mean_along": "below the boundary: the seam's division of validated line integrals by their chords",
    "registration.RegistrationResult": "a result record the library fills in; users read it, never build it",
    "xray.XRay": "a result record read_xray fills in; users read it, never build it",
}

if not kernels.numba_available():
    NOT_COVERED["kernels.siddon_fused"] = NOT_COVERED["kernels.trilinear_fused"] = "numba is not installed here"
    CASES = [c for c in CASES if c[0] not in ("kernels.siddon_fused", "kernels.trilinear_fused")]


# Bad inputs that are NOT rejected properly today: strict xfail, so a fix turns them into failures to move out of here.
KNOWN_GAPS = {
}


def _ids():
    seen = {}
    out = []
    for name, label, *_ in CASES:
        i = f"{name}[{label}]"
        seen[i] = seen.get(i, 0) + 1
        out.append(i if seen[i] == 1 else f"{i}#{seen[i]}")
    return out


def _params():
    out = []
    for i, c in zip(_ids(), CASES):
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[i])] if i in KNOWN_GAPS else []
        out.append(pytest.param(*c, marks=marks, id=i))
    return out


@pytest.mark.parametrize("name,label,call,exc,pattern", _params())
def test_rejects(name, label, call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def _public_callables():
    out = set()
    for m in MODULES:
        mod = importlib.import_module(f"diffdrr.{m}")
        for n in getattr(mod, "__all__", []):
            obj = getattr(mod, n)
            if callable(obj):  # constants (tuples, dicts, numbers) are not callable
                out.add(f"{m}.{n}")
    return out


def test_table_covers_all():
    covered = {c[0] for c in CASES}
    missing = sorted(_public_callables() - covered - set(NOT_COVERED))
    assert not missing, f"public callables with no bad-input case in CASES (add one, or a reason in NOT_COVERED): {missing}"
    # an entry may leave `__all__` (made internal) and keep its case; one that no longer exists at all is stale
    gone = sorted(n for n in covered | set(NOT_COVERED) if not hasattr(importlib.import_module("diffdrr." + n.split(".")[0]), n.split(".")[1]))
    assert not gone, f"CASES/NOT_COVERED name entry points that no longer exist: {gone}"


def test_no_case_is_an_alias_only():
    "Names re-exported for compatibility resolve to the one definition in diffdrr.checks."
    assert volume.check_volume is checks.check_volume and volume.check_affine is checks.check_affine
    assert geometry.check_pose is checks.check_pose
    for f in inspect.getmembers(checks, inspect.isfunction):
        assert f[1].__module__ == "diffdrr.checks"
