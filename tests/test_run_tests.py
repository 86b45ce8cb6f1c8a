"""The test runner's accounting (`scripts/run_tests.py`): which flagged cells a run skips and how it counts them, which
flags it adds for triton, and the final line that `.ci/run` parses."""
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import run_tests  # noqa: E402


def _notebook(path, sources):
    cells = [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [], "source": s}
             for i, s in enumerate(sources)]
    cells.append({"cell_type": "markdown", "id": "m", "metadata": {}, "source": "#| slow (markdown: never counted)"})
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_skipped_cells(tmp_path):
    nb = _notebook(tmp_path / "a.ipynb", ["x = 1", "#| slow\nx = 2", "#| hide\n#| cuda\nx = 3", "#| slow\n#| cuda\nx = 4",
                                           "#| triton\nx = 5", "#| export\nx = 6"])
    assert run_tests.skipped_cells([nb], "") == ({"cuda": 2, "slow": 2, "triton": 1}, 4)  # the slow+cuda cell once
    assert run_tests.skipped_cells([nb], "triton") == ({"cuda": 2, "slow": 2}, 3)
    assert run_tests.skipped_cells([nb, nb], "slow cuda triton") == ({}, 0)


def test_triton_flags():
    flags, env = run_tests.triton_flags("slow", {"A": "1"})
    if importlib.util.find_spec("triton") is None:
        assert (flags, env) == ("slow", {"A": "1"})
        return
    import torch

    assert flags == "slow triton"
    assert env.get("TRITON_INTERPRET") == (None if torch.cuda.is_available() else "1") and env["A"] == "1"
    assert run_tests.triton_flags("triton cuda", {})[0] == "triton cuda"  # not added twice


def test_final_line_matches_ci(tmp_path):
    "A run of one tiny notebook ends with the line `.ci/run` greps for, and counts its skipped cell."
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    nb = _notebook(nbs / "t.ipynb", ["assert 1 + 1 == 2", "#| cuda\nraise RuntimeError('must not run')"])
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "run_tests.py"), "--path", str(nb)], cwd=ROOT,
                         capture_output=True, text=True, timeout=600).stdout
    last = out.strip().splitlines()[-1]
    ci = (ROOT / ".ci" / "run").read_text()
    pattern = re.search(r"grep -E '(\^\[0-9\]\+ passed[^']*)'", ci).group(1)
    assert re.fullmatch(pattern, last), (pattern, last)
    assert last == "1 passed, 0 failed, 1 skipped"
    assert "cells skipped, by flag: cuda 1" in out
