"""`diffdrr generate` end to end, in separate processes: 2 ranks under torchrun equal 1 rank byte for byte, a killed
and resumed run equals an uninterrupted one, and bad input fails with a clear message before anything is written.

Small on purpose (16 views at 64 x 64 of a 40 x 40 x 16 phantom): each launch takes seconds, most of it importing torch.
"""
import os
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch
from torch.testing import assert_close

from diffdrr.cli import main
from diffdrr.data import load_example_ct, read
from diffdrr.dataset import read_shard
from diffdrr.drr import DRR

TIMEOUT = 600  # seconds per launch: generous for a loaded 2-core machine
ARGS = ["--num-views", "16", "--height", "64", "--shard-size", "4", "--batch-size", "3", "--theta", "60", "--phi", "20",
        "--translation-std", "5", "--sod", "280", "320", "--seed", "11", "--quiet"]


def _env(**extra):
    env = dict(os.environ, OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    env.pop("DIFFDRR_GENERATE_STOP_AFTER", None)
    env.update(extra)
    return env


def _generate(ct, out, ranks=1, **env):
    "Run `diffdrr generate` on `ranks` processes (torchrun for more than one); return the completed process."
    if ranks == 1:
        cmd = [sys.executable, "-m", "diffdrr.cli"]
    else:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(ranks), "-m", "diffdrr.cli"]
    cmd += ["generate", str(ct), "--out", str(out)] + ARGS
    return subprocess.run(cmd, env=_env(**env), capture_output=True, text=True, timeout=TIMEOUT)


def _files(folder) -> dict:
    "{name: bytes} of every file in a folder."
    return {f.name: f.read_bytes() for f in sorted(Path(folder).iterdir())}


@pytest.fixture(scope="module")
def ct(tmp_path_factory):
    "A small CT as a NIfTI file: the embedded phantom on a coarse grid, in HU."
    d = tmp_path_factory.mktemp("ct")
    vol, spacing = load_example_ct(shape=(40, 40, 16), spacing=(9.0, 9.0, 20.75))
    nib.save(nib.Nifti1Image(vol - 1000.0, np.diag([*spacing, 1.0])), d / "ct.nii.gz")
    return d / "ct.nii.gz"


@pytest.fixture(scope="module")
def one_rank(ct, tmp_path_factory):
    "The uninterrupted 1-rank dataset, as {file name: bytes}."
    out = tmp_path_factory.mktemp("one") / "ds"
    p = _generate(ct, out)
    assert p.returncode == 0, p.stderr
    return _files(out)


def test_one_rank_dataset(ct, one_rank, tmp_path):
    "4 shards, a config and a manifest; every stored image is the DRR of the pose stored beside it."
    assert sorted(one_rank) == ["config.json", "index.json"] + [f"shard-{k:06d}.tar" for k in range(4)]
    volume = read(ct, hu_to_mu=True)
    drr = DRR(volume, height=64, delx=800 / 64, sdd=600.0)
    indices = []
    for k in range(4):
        (tmp_path / "s.tar").write_bytes(one_rank[f"shard-{k:06d}.tar"])
        for key, img, meta in read_shard(tmp_path / "s.tar"):
            indices.append(meta["index"])
            assert key == f"{meta['index']:09d}" and img.shape == (1, 64, 64) and img.dtype == np.float32
            pose = torch.tensor(meta["pose"], dtype=torch.float64)[None]
            assert_close(torch.from_numpy(img)[None], drr(pose.float()))
            # the stored source sits sod mm from the stored isocentre
            assert_close(torch.linalg.norm(pose[0, :3, 3] - torch.tensor(meta["isocenter"], dtype=torch.float64)),
                         torch.tensor(meta["sod"], dtype=torch.float64))
    assert indices == list(range(16))


def test_two_ranks_equal_one_rank(ct, one_rank, tmp_path):
    "torchrun with 2 ranks (gloo) writes the same files, byte for byte, as 1 rank."
    p = _generate(ct, tmp_path / "ds", ranks=2)
    assert p.returncode == 0, p.stdout + p.stderr
    assert _files(tmp_path / "ds") == one_rank


def test_killed_and_resumed_equals_uninterrupted(ct, one_rank, tmp_path):
    "A run stopped after one shard (leaving a half-written temporary) and restarted gives the uninterrupted files."
    out = tmp_path / "ds"
    p = _generate(ct, out, DIFFDRR_GENERATE_STOP_AFTER="1")
    assert p.returncode == 75, p.stderr
    left = sorted(f.name for f in out.iterdir())
    assert left == ["config.json", "shard-000000.tar", "shard-000001.tar.tmp"]  # no manifest, no half shard under a final name
    assert (out / "shard-000000.tar").read_bytes() == one_rank["shard-000000.tar"]
    p = _generate(ct, out)
    assert p.returncode == 0, p.stderr
    assert _files(out) == one_rank


def test_killed_on_two_ranks_resumed_on_one(ct, one_rank, tmp_path):
    "Ranks stopped after their first shard (torchrun then ends the run); the rest rendered by one process: the same files again."
    out = tmp_path / "ds"
    p = _generate(ct, out, ranks=2, DIFFDRR_GENERATE_STOP_AFTER="1")
    assert p.returncode != 0
    assert not (out / "index.json").exists()
    # the rank that stops first makes torchrun kill the other, maybe mid-shard: only whole shards bear final names
    finished = [f.name for f in out.iterdir() if f.suffix == ".tar"]
    assert finished and all((out / f).read_bytes() == one_rank[f] for f in finished)
    p = _generate(ct, out)
    assert p.returncode == 0, p.stderr
    assert _files(out) == one_rank


def test_sigkill_then_resume(ct, one_rank, tmp_path):
    "A real SIGKILL once the first shard exists; the restart completes the dataset identically."
    out = tmp_path / "ds"
    cmd = [sys.executable, "-m", "diffdrr.cli", "generate", str(ct), "--out", str(out)] + ARGS
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import time

        t0 = time.monotonic()
        while not (out / "shard-000000.tar").exists() and proc.poll() is None and time.monotonic() - t0 < TIMEOUT:
            time.sleep(0.01)
        proc.kill()
    finally:
        proc.wait(timeout=60)
    assert not any(f.name.startswith("shard-") and f.suffix == ".tar" and f.read_bytes() != one_rank[f.name] for f in out.iterdir())
    p = _generate(ct, out)
    assert p.returncode == 0, p.stderr
    assert _files(out) == one_rank


DDP_SCRIPT = """
import json, sys
import torch, torch.distributed as dist
from torch.utils.data import DataLoader
from diffdrr.dataset import PoseDistribution, RandomDRRs, Views
from diffdrr.data import read

dist.init_process_group("gloo")
views = Views(read(sys.argv[1], hu_to_mu=True), PoseDistribution(theta=60), height=24, seed=5)
ds = RandomDRRs(views, 10)  # rank and world size from the process group
out = {int(b["index"]): b["image"].sum().item() for b in DataLoader(ds, batch_size=None, num_workers=2)}
with open(sys.argv[2] + f".{dist.get_rank()}", "w") as f:
    json.dump(out, f)
dist.destroy_process_group()
"""


def test_iterable_dataset_under_ddp(ct, tmp_path):
    "Under torchrun (2 ranks, 2 DataLoader workers each) the ranks yield disjoint halves of the views, as rendered alone."
    (tmp_path / "ddp.py").write_text(DDP_SCRIPT)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           str(tmp_path / "ddp.py"), str(ct), str(tmp_path / "out")]
    p = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=TIMEOUT)
    assert p.returncode == 0, p.stdout + p.stderr
    import json

    got = [{int(k): v for k, v in json.loads((tmp_path / f"out.{r}").read_text()).items()} for r in range(2)]
    assert sorted(got[0]) == [0, 2, 4, 6, 8] and sorted(got[1]) == [1, 3, 5, 7, 9]
    from diffdrr.dataset import PoseDistribution, Views

    views = Views(read(ct, hu_to_mu=True), PoseDistribution(theta=60), height=24, seed=5)
    alone, _ = views.render(list(range(10)))
    for r in range(2):
        for i, v in got[r].items():
            assert_close(torch.tensor(v), alone[i].sum(), rtol=1e-5, atol=1e-4)


def _fails(capsys, args, contains, out):
    "main exits with status 2, prints the message, and `out` is not created."
    assert main([str(a) for a in args]) == 2
    err = capsys.readouterr().err
    assert contains in err, err
    assert not Path(out).exists()


@pytest.mark.parametrize("what", ["missing", "corrupt nifti", "corrupt dicom", "empty folder"])
def test_bad_ct(what, tmp_path, capsys):
    ct = {"missing": tmp_path / "nothing.nii.gz", "corrupt nifti": tmp_path / "bad.nii.gz",
          "corrupt dicom": tmp_path / "dicom", "empty folder": tmp_path / "empty"}[what]
    (tmp_path / "bad.nii.gz").write_bytes(b"\x1f\x8b\x08\x00 truncated gzip, not a NIfTI image")
    (tmp_path / "dicom").mkdir()
    (tmp_path / "dicom" / "1.dcm").write_bytes(b"\x00" * 128 + b"DICM" + b"\x02\x00\x10\x00UI\xff\xff broken")
    (tmp_path / "empty").mkdir()
    contains = "CT must be a DICOM folder, a NIfTI file" if what == "missing" else "CT could not be read as a CT scan"
    _fails(capsys, ["generate", ct, "--n", 4, "--out", tmp_path / "out"], contains, tmp_path / "out")


@pytest.mark.parametrize("out,contains", [
    ("{tmp}/ct.nii.gz/ds", "--out must be a folder path; got"),
    ("{tmp}/ct.nii.gz", "--out must be a folder; got"),
    ("/proc/diffdrr-test-out/ds", "--out must be a folder this process can write to"),
])
def test_unwritable_out(out, contains, ct, tmp_path, capsys):
    out = out.format(tmp=ct.parent)
    before = sorted(os.listdir(ct.parent))
    assert main(["generate", str(ct), "--n", "4", "--out", out]) == 2
    assert contains in capsys.readouterr().err
    assert sorted(os.listdir(ct.parent)) == before


@pytest.mark.parametrize("args,contains", [
    (["--theta", "181"], "theta must be a half-width in degrees in [0, 180]"),
    (["--phi", "-5"], "phi must be a half-width in degrees in [0, 180]"),
    (["--gamma", "400"], "gamma must be a half-width"),
    (["--sdd", "-600"], "sdd must be a positive source-to-detector distance"),
    (["--sod", "0", "300"], "sod must satisfy 0 < low <= high < sdd"),
    (["--sod", "300", "600"], "sod must satisfy 0 < low <= high < sdd"),
    (["--translation-std", "-0.1"], "--translation-std must be >= 0 mm"),
    (["--center", "0", "0", "720"], "center must hold angles in [-360, 360] degrees"),
])
def test_pose_distribution_out_of_range(args, contains, ct, tmp_path, capsys):
    _fails(capsys, ["generate", ct, "--n", 4, "--out", tmp_path / "out"] + args, contains, tmp_path / "out")
