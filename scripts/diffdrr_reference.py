"""DiffDRR 0.6.1's own images for given calls, rendered in the reference virtual environment (for the migration page).

DiffDRR 0.6.1 is also a package named `diffdrr`, so it cannot be imported beside ours: this script runs it under the
interpreter of a separate virtual environment (`make ref-venv` builds `../venv-ref`; `$DIFFDRR_REF_VENV` or
`--ref-python` name another), in a temporary working folder so that our package in the repository is not imported
instead. The caller (our interpreter) describes the calls as plain data; the worker (their interpreter) makes them
with DiffDRR's public API only and writes every result to one `.npz` file, which the caller reads back.

A call is a dict:

- `read`: keyword arguments of DiffDRR's `read(volume, labelmap, ...)` besides the two files (`labels`, `orientation`,
  `bone_attenuation_multiplier`, `center_volume`);
- `drr`: keyword arguments of `DRR(subject, ...)` (`sdd`, `height`, `delx`, `width`, `dely`, `x0`, `y0`,
  `reverse_x_axis`, `renderer`, ...); `rescale`: a factor for `drr.rescale_detector_` (optional);
- `view`: `rotations` and `translations` (nested lists; `translations` None for `"matrix"`), `parameterization`,
  `convention`, `degrees`;
- `op`: `"render"` (`drr(rotations, translations, parameterization=, convention=, degrees=, mask_to_channels=)`),
  `"registration"` (the moving image of `Registration(drr, rotations, translations, parameterization, convention)`)
  or `"project"` (`drr.perspective_projection(pose, points)` for `points`, a nested list (1, N, 3) in DiffDRR's world);
- `mask_to_channels`: bool, for `"render"`.

From Python (our interpreter):

    from diffdrr_reference import reference_calls
    results, why = reference_calls("ct.nii.gz", calls, labelmap="labels.nii.gz")  # results None (and why) without the venv

From the shell: `python scripts/diffdrr_reference.py calls.json out.npz [--ref-python ../venv-ref/bin/python]`, where
calls.json holds {"volume": ..., "labelmap": ..., "calls": {name: call}}.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REF_VERSION = "0.6.1"


def default_ref_python() -> Path:
    "The reference venv's interpreter: $DIFFDRR_REF_VENV/bin/python, else ../venv-ref/bin/python beside the repository."
    return Path(os.environ.get("DIFFDRR_REF_VENV", ROOT.parent / "venv-ref")) / "bin" / "python"


def find_ref_python(ref_python=None) -> tuple:
    "(interpreter, None) if it runs DiffDRR 0.6.1, else (None, why not)."
    exe = Path(ref_python) if ref_python is not None else default_ref_python()
    if not exe.exists():
        return None, f"the reference venv is absent ({exe} does not exist; `make ref-venv` builds it)"
    r = subprocess.run([str(exe), "-c", "import diffdrr; print(diffdrr.__version__)"], capture_output=True, text=True,
                       cwd=tempfile.gettempdir(), timeout=120)
    got = r.stdout.strip()
    if r.returncode or got != REF_VERSION:
        why = r.stderr.strip().splitlines()[-1] if r.returncode and r.stderr.strip() else f"it has diffdrr {got!r}"
        return None, f"{exe} must provide diffdrr=={REF_VERSION}; {why}"
    return exe, None


def reference_calls(
    volume,  # path of the CT file DiffDRR's read takes (NIfTI, ...), in HU
    calls: dict,  # {name: call} as described in this module's docstring
    labelmap=None,  # path of the labelmap file on the CT's grid, or None
    ref_python=None,  # the reference venv's interpreter (default: `default_ref_python()`)
    timeout: float = 600.0,  # seconds for the worker
) -> tuple:  # ({name: numpy array}, None), or (None, why) when the reference venv is absent or the worker failed
    "DiffDRR 0.6.1's results for `calls`, made in the reference venv by this script's worker."
    exe, why = find_ref_python(ref_python)
    if exe is None:
        return None, why
    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        spec = dict(volume=str(Path(volume).resolve()), labelmap=None if labelmap is None else str(Path(labelmap).resolve()), calls=calls)
        (tmp / "calls.json").write_text(json.dumps(spec))
        r = subprocess.run([str(exe), str(Path(__file__).resolve()), "--worker", str(tmp / "calls.json"), str(tmp / "out.npz")],
                           capture_output=True, text=True, cwd=tmp, timeout=timeout)
        if r.returncode:
            return None, "DiffDRR's worker failed: " + (r.stderr.strip().splitlines() or ["(no message)"])[-1]
        with np.load(tmp / "out.npz") as f:
            return {k: f[k] for k in f.files}, None


def worker(spec_path: Path, out_path: Path) -> None:
    "Make every call with DiffDRR 0.6.1 (runs under the reference venv's interpreter)."
    import numpy as np
    import torch
    from diffdrr.data import read
    from diffdrr.drr import DRR
    from diffdrr.pose import convert
    from diffdrr.registration import Registration

    from torchio import LabelMap, ScalarImage

    t0 = time.perf_counter()
    spec = json.loads(Path(spec_path).read_text())
    volume = ScalarImage(spec["volume"])  # the files are loaded once; each `read` gets fresh images made from them
    labelmap = None if spec["labelmap"] is None else LabelMap(spec["labelmap"])
    subjects, results = {}, {}
    for name, call in spec["calls"].items():
        key = json.dumps(call.get("read", {}), sort_keys=True)
        if key not in subjects:  # one read per distinct set of read arguments (read's centring moves its images' affines)
            vol = ScalarImage(tensor=volume.data.clone(), affine=volume.affine.copy())
            lab = None if labelmap is None else LabelMap(tensor=labelmap.data.clone(), affine=labelmap.affine.copy())
            subjects[key] = read(vol, lab, **call.get("read", {}))
        drr = DRR(subjects[key], **call["drr"])
        if call.get("rescale") is not None:
            drr.rescale_detector_(call["rescale"])
        view = call["view"]
        args = [torch.tensor(view["rotations"], dtype=torch.float32)]
        if view.get("translations") is not None:
            args.append(torch.tensor(view["translations"], dtype=torch.float32))
        kw = dict(parameterization=view["parameterization"], convention=view.get("convention"))
        op = call.get("op", "render")
        with torch.no_grad():
            if op == "render":
                out = drr(*args, **kw, degrees=view.get("degrees", False), mask_to_channels=call.get("mask_to_channels", False))
            elif op == "registration":
                out = Registration(drr, *args, **kw)()
            elif op == "project":
                pose = convert(*args, **kw, degrees=view.get("degrees", False))
                out = drr.perspective_projection(pose, torch.tensor(call["points"], dtype=torch.float32))
            else:
                raise ValueError(f"op must be 'render', 'registration' or 'project'; got {op!r}")
        results[name] = out.double().numpy()
        print(f"{name}: {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)  # seconds since the worker started
    np.savez(out_path, **results)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("calls", type=Path, nargs="?", help="JSON file: {'volume': path, 'labelmap': path or null, 'calls': {name: call}}")
    p.add_argument("out", type=Path, nargs="?", help=".npz file to write, one array per call")
    p.add_argument("--ref-python", type=Path, default=None, help="interpreter of the venv holding DiffDRR 0.6.1 (default: ../venv-ref/bin/python or $DIFFDRR_REF_VENV)")
    p.add_argument("--worker", nargs=2, type=Path, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.worker:
        return worker(*a.worker)
    if a.calls is None or a.out is None:
        p.error("give the calls file and the output file")
    import numpy as np

    spec = json.loads(a.calls.read_text())
    results, why = reference_calls(spec["volume"], spec["calls"], spec.get("labelmap"), a.ref_python)
    if results is None:
        sys.exit(f"diffdrr_reference: {why}")
    np.savez(a.out, **results)
    print(f"wrote {len(results)} results to {a.out}")


if __name__ == "__main__":
    main()
