"""The package root: `import diffdrr as dd` is lazy, and `dd.__all__` is the list on the API overview page."""

import json
import re
import subprocess
import sys
from pathlib import Path

import diffdrr as dd

PAGE = Path(__file__).resolve().parent.parent / "nbs" / "api" / "000_overview.ipynb"


def test_import_is_lazy():
    "`import diffdrr` loads no PyTorch and no optional extra; a root name imports its module on first use."
    probe = ("import sys, diffdrr as dd; print(sorted(m for m in ('torch', 'numba', 'triton', 'matplotlib') if m in sys.modules)); "
             "dd.Volume; print('diffdrr.volume' in sys.modules, 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[:2] == ["[]", "True False"], out


def test_root_names_resolve_and_match_the_page():
    page = "\n".join("".join(c["source"]) for c in json.loads(PAGE.read_text())["cells"] if c["cell_type"] == "markdown")
    listed = re.findall(r"^\| \[`(\w+)`\]\(\w+\.ipynb#[\w-]+\) \|", page, re.MULTILINE)
    assert listed == dd.__all__
    for name in dd.__all__:
        obj = getattr(dd, name)
        assert obj.__module__.startswith("diffdrr.") and obj is getattr(sys.modules[obj.__module__], name)
