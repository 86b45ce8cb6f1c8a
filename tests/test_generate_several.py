"""`diffdrr generate` with several CTs, in separate processes: each view records its CT, 2 ranks under torchrun equal
1 rank byte for byte, and a killed and resumed run equals an uninterrupted one.

Small on purpose (12 views at 32 x 32 of two phantom patients of different grids): each launch takes seconds, most of it
importing torch.
"""
import json
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import pytest
import torch
from torch.testing import assert_close

from diffdrr.data import read
from diffdrr.dataset import read_shard
from diffdrr.drr import DRR
from diffdrr.phantoms import Ellipsoid, Phantom

sys.path.insert(0, str(Path(__file__).parent))
from test_generate import _env, _files  # noqa: E402  (the single-CT tests' launcher environment and folder reader)

TIMEOUT = 600  # seconds per launch: generous for a loaded 2-core machine
ARGS = ["--num-views", "12", "--height", "32", "--shard-size", "4", "--batch-size", "3", "--theta", "60", "--phi", "20",
        "--translation-std", "5", "--seed", "5", "--quiet"]


def _generate(cts, out, ranks=1, **env):
    "Run `diffdrr generate` on `ranks` processes (torchrun for more than one); return the completed process."
    if ranks == 1:
        cmd = [sys.executable, "-m", "diffdrr.cli"]
    else:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(ranks), "-m", "diffdrr.cli"]
    cmd += ["generate", str(cts), "--out", str(out)] + ARGS
    return subprocess.run(cmd, env=_env(**env), capture_output=True, text=True, timeout=TIMEOUT)



@pytest.fixture(scope="module")
def cts(tmp_path_factory):
    "A folder of two phantom patients (HU) on different grids and at different places."
    d = tmp_path_factory.mktemp("cts")
    for name, center, semi, shape, spacing in (("p1.nii.gz", (0.0, 0.0, 0.0), (60.0, 45.0, 80.0), (30, 24, 32), (5.0, 5.0, 6.0)),
                                               ("p2.nii.gz", (40.0, -30.0, 20.0), (45.0, 55.0, 70.0), (22, 28, 26), (5.5, 5.0, 6.5))):
        c = torch.tensor(center, dtype=torch.float64)
        body = Phantom([Ellipsoid(c, semi, value=1000.0), Ellipsoid(c + 5.0, [s / 3 for s in semi], value=700.0)])
        A = torch.diag(torch.tensor(list(spacing) + [1.0], dtype=torch.float64))
        A[:3, 3] = c - (torch.tensor(shape, dtype=torch.float64) - 1) / 2 * torch.tensor(spacing, dtype=torch.float64)
        nib.save(nib.Nifti1Image(body.voxelize(shape, A).numpy() - 1000.0, A.numpy()), d / name)
    return d


@pytest.fixture(scope="module")
def one_rank(cts, tmp_path_factory):
    "The uninterrupted 1-rank dataset, as {file name: bytes}."
    out = tmp_path_factory.mktemp("one") / "ds"
    p = _generate(cts, out)
    assert p.returncode == 0, p.stderr
    return _files(out)


def test_each_view_records_and_shows_its_ct(cts, one_rank, tmp_path):
    "View i shows CT i mod 2, names it, and its image is the DRR of that CT (read independently) from the stored pose."
    assert sorted(one_rank) == ["config.json", "index.json"] + [f"shard-{k:06d}.tar" for k in range(3)]
    names = [str(cts / "p1.nii.gz"), str(cts / "p2.nii.gz")]
    assert [c["name"] for c in json.loads(one_rank["config.json"])["cts"]] == names
    drrs = [DRR(read(n, hu_to_mu=True), height=32, delx=800 / 32, sdd=600.0) for n in names]
    seen = []
    for k in range(3):
        (tmp_path / "s.tar").write_bytes(one_rank[f"shard-{k:06d}.tar"])
        for key, img, meta in read_shard(tmp_path / "s.tar"):
            seen.append((meta["index"], meta["ct"], meta["ct_name"]))
            pose = torch.tensor(meta["pose"], dtype=torch.float64)[None]
            own = drrs[meta["ct"]](pose.float())
            assert_close(torch.from_numpy(img)[None], own)
            assert (own - drrs[1 - meta["ct"]](pose.float())).abs().amax() > 0.1 * own.amax()  # not the other CT's image
    assert seen == [(i, i % 2, names[i % 2]) for i in range(12)]


def test_two_ranks_equal_one_rank(cts, one_rank, tmp_path):
    "torchrun with 2 ranks (gloo) writes the same files, byte for byte, as 1 rank."
    p = _generate(cts, tmp_path / "ds", ranks=2)
    assert p.returncode == 0, p.stdout + p.stderr
    assert _files(tmp_path / "ds") == one_rank


def test_killed_and_resumed_equals_uninterrupted(cts, one_rank, tmp_path):
    "A run stopped after one shard (leaving a half-written temporary) and restarted gives the uninterrupted files."
    out = tmp_path / "ds"
    p = _generate(cts, out, DIFFDRR_GENERATE_STOP_AFTER="1")
    assert p.returncode == 75, p.stderr
    assert sorted(f.name for f in out.iterdir()) == ["config.json", "shard-000000.tar", "shard-000001.tar.tmp"]
    p = _generate(cts, out)
    assert p.returncode == 0, p.stderr
    assert _files(out) == one_rank
