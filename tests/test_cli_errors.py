"""The `diffdrr` console script as a user runs it, in its own process: every failure is one line on standard error that
names the option, with exit status 2 (bad input) or 1 (a bug), and never a traceback; --debug shows the traceback.

Each case is one launch of `python -m diffdrr.cli` (about 2 s, most of it importing torch), on the embedded phantom at a
small size, so nothing here renders much.
"""
import os
import subprocess
import sys

import pytest

import diffdrr

TIMEOUT = 300  # seconds per launch: generous for a loaded 2-core machine

# a stand-in for a full disk: generate's shard writer fails as write(2) does when the device is full
FULL_DISK = """
import errno, os, sys
import diffdrr.dataset
def full(path, samples):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path) + ".tmp")
diffdrr.dataset.write_shard = full
from diffdrr.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _run(*args, code=None, **extra_env):
    "Run the console script (or `code`, a program that runs it) with `args`; return the completed process."
    cmd = [sys.executable, "-m", "diffdrr.cli"] if code is None else [sys.executable, "-c", code]
    env = dict(os.environ, OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    env.pop("DIFFDRR_DEBUG", None)
    env.update(extra_env)
    return subprocess.run(cmd + [str(a) for a in args], env=env, capture_output=True, text=True, timeout=TIMEOUT)


def _one_line(p, status: int, *contains):
    "The process ended with `status` and exactly one line on standard error holding each of `contains`, and no traceback."
    assert p.returncode == status, (p.returncode, p.stderr)
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in p.stderr, p.stderr
    for c in contains:
        assert c in lines[0], (c, lines[0])
    return lines[0]


def test_version():
    p = _run("--version")
    assert p.returncode == 0 and p.stdout.strip() == f"diffdrr {diffdrr.__version__}" and p.stderr == ""


@pytest.mark.parametrize("args,contains", [
    (["--height", "0"], ["diffdrr render: error: --height must be a positive number of pixels; got 0"]),
    (["--height", "1000000"], ["--height 1000000 x --width 1000000", "(164000000000000 bytes)", "choose a smaller --height or --width"]),
    (["--device", "cuda:99"], ["diffdrr render: error: --device cuda:99"]),
    (["--height", "x"], ["diffdrr render: error: argument --height: invalid int value: 'x'"]),
], ids=["height 0", "height 1000000", "device cuda:99", "height x"])
def test_render_bad_input(args, contains, tmp_path):
    p = _run("render", "example", "--out", tmp_path / "x.npy", *args)
    _one_line(p, 2, *contains)
    assert not (tmp_path / "x.npy").exists()


def test_render_into_a_missing_folder(tmp_path):
    "--out's folder is created (the file used to go to an internal temporary name in a folder that did not exist)."
    out = tmp_path / "new" / "folder" / "ap.png"
    p = _run("render", "example", "--height", "16", "--out", out)
    assert p.returncode == 0 and out.is_file(), p.stderr
    assert "Traceback" not in p.stderr


def test_generate_full_disk(tmp_path):
    p = _run("generate", "example", "--n", "2", "--height", "8", "--out", tmp_path / "ds", "--quiet", code=FULL_DISK)
    _one_line(p, 2, "diffdrr generate: error: --out", "no space left on the device", "run the same command again")
    p = _run("generate", "example", "--n", "2", "--height", "8", "--out", tmp_path / "ds", "--quiet")  # room again: it finishes
    assert p.returncode == 0 and (tmp_path / "ds" / "shard-000000.tar").is_file(), p.stderr


def test_debug_shows_the_traceback(tmp_path):
    for p in (_run("render", "example", "--height", "0", "--out", tmp_path / "x.npy", "--debug"),
              _run("render", "example", "--height", "0", "--out", tmp_path / "x.npy", DIFFDRR_DEBUG="1")):
        assert p.returncode == 1 and "Traceback" in p.stderr and "ValueError: --height must be a positive" in p.stderr, p.stderr
