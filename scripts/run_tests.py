"""Run the whole test suite: every notebook with `nbdev_test`, then `pytest tests/` if it exists.

Runs each notebook in a process of its own (a few at a time), prints each notebook as it starts and ends, and closes with one plain line
`N passed, N failed, N skipped`: passed and failed count notebooks plus pytest tests (so a run that tested nothing reads `0 passed, 0 failed`),
skipped counts the flagged cells (`tst_flags` in settings.ini: `slow`, `cuda`, `triton`) that this run did not execute, listed by flag on a
line before, plus pytest's skipped tests. Cells flagged `triton` run by default wherever triton is importable; where there is no GPU, `TRITON_INTERPRET=1` is set in the
notebooks' environment so that Triton's interpreter runs the kernels on CPU tensors (`triton_flags`, the one place that decides this; the docs
build uses it too). Exits non-zero on any failure and when nothing at all was tested.

    python scripts/run_tests.py [--flags "slow"] [--n-workers 2] [--path nbs/api/01_geometry.ipynb]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _tool(name):
    "Path of console script `name` installed beside this interpreter, else on PATH."
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else shutil.which(name)


def _stream(cmd, env):
    "Run `cmd`, echoing its merged stdout/stderr line by line; return (exit code, lines)."
    print("$ " + " ".join(cmd), flush=True)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1)
    lines = []
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        lines.append(line.rstrip("\n"))
    return proc.wait(), lines


def _notebooks(path):
    "The notebooks nbdev_test would run under `path` (a notebook or a folder; default: the whole nbs/ folder)."
    from nbdev.doclinks import nbglob

    if path and Path(path).suffix == ".ipynb":
        return [Path(path).resolve()]
    return sorted(Path(f) for f in nbglob(path or None))


def _test_one(exe, nb, flags, env):
    "Run one notebook in a fresh `nbdev_test` process; return (notebook, exit code, seconds, output)."
    cmd = [exe, "--do_print", "--n_workers", "0", "--path", str(nb)] + (["--flags", flags] if flags else [])
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return nb, proc.returncode, time.perf_counter() - t0, proc.stdout


def triton_flags(flags, env):
    """`flags` plus `triton` when triton is importable, and `env` with `TRITON_INTERPRET=1` when it is and there is no
    GPU: the interpreter reads the variable as the kernels are decorated, so it must be set before the notebook imports
    diffdrr.triton_kernels, which a fresh process per notebook guarantees."""
    import importlib.util

    names = flags.split()
    if importlib.util.find_spec("triton") is None: return " ".join(names), env
    if "triton" not in names: names.append("triton")
    import torch

    if not torch.cuda.is_available(): env = dict(env, TRITON_INTERPRET="1")
    return " ".join(names), env


def skipped_cells(notebooks, flags):
    "Code cells in `notebooks` not run because they carry a `tst_flags` flag not in `flags`: (count per flag, total cells)."
    from execnb.nbio import read_nb
    from nbdev.config import get_config
    from nbdev.process import extract_directives

    off = set(get_config().tst_flags.split()) - set(flags.split())
    counts, total = {f: 0 for f in sorted(off)}, 0
    for nb in notebooks:
        for cell in read_nb(nb).cells:
            if cell.cell_type != "code": continue
            hit = off & extract_directives(cell, remove=False).keys()
            for f in hit: counts[f] += 1
            total += bool(hit)
    return counts, total


def run_notebooks(flags, n_workers, path, env):
    """Run every notebook with `nbdev_test`, each in a process of its own, `n_workers` at a time; return
    (passed, failed, skipped) with the passed and failed notebook paths and `skipped_cells`. A process per notebook keeps notebooks from affecting each other through what
    a process keeps (native libraries such as Mesa's OpenGL, thread pools, environment variables): nbdev_test's own
    worker pool reuses processes, and a notebook that drew with VTK once crashed a later one's compiled code."""
    exe = _tool("nbdev_test")
    if exe is None: sys.exit("nbdev_test not found: run `make install` first")
    notebooks = _notebooks(path)
    passed, failed = [], []
    with ThreadPoolExecutor(max(1, n_workers)) as pool:
        for nb in notebooks:
            print(f"Starting {nb}", flush=True)
        for nb, rc, seconds, out in pool.map(lambda nb: _test_one(exe, nb, flags, env), notebooks):
            ok = rc == 0
            (passed if ok else failed).append(nb)
            print(f"- {'Completed' if ok else 'FAILED'} {nb} ({seconds:.1f} s)", flush=True)
            if not ok:
                print(out.rstrip(), flush=True)
                if rc < 0: print(f"  (the process was killed by signal {-rc})", flush=True)
    return passed, failed, skipped_cells(notebooks, flags)


def run_pytest(env):
    "Run `pytest tests/` if that folder exists; return (n passed, n failed, n skipped)."
    tests = ROOT / "tests"
    if not tests.is_dir(): return 0, 0, 0
    rc, lines = _stream([sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider"], env)
    if rc == 5:  # pytest: no tests were collected
        print("pytest: tests/ exists but holds no tests")
        return 0, 0, 0
    counts = {"passed": 0, "failed": 0, "error": 0, "errors": 0, "skipped": 0}
    summary = [l for l in lines if re.search(r"\d+ (passed|failed|errors?|skipped)\b", l)]
    if summary:
        for n, word in re.findall(r"(\d+) (passed|failed|errors?|skipped)\b", summary[-1]): counts[word] += int(n)
    n_failed = counts["failed"] + counts["error"] + counts["errors"]
    if rc != 0 and n_failed == 0: n_failed = 1  # pytest failed without a summary (e.g. interrupted)
    return counts["passed"], n_failed, counts["skipped"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--flags", default=os.environ.get("TEST_FLAGS", ""),
                   help="space-separated test flags to run that are skipped by default (e.g. 'slow'); 'triton' is added wherever triton is importable")
    p.add_argument("--n-workers", type=int, default=min(os.cpu_count() or 1, 2))
    p.add_argument("--path", default="", help="one notebook or a folder to test (default: all of nbs/)")
    args = p.parse_args()

    env = dict(os.environ)
    # Several notebooks run at once: share the cores between them rather than oversubscribe.
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // max(1, args.n_workers))))
    env.setdefault("MPLBACKEND", "Agg")
    env["PYTHONUNBUFFERED"] = "1"  # so each notebook's start and end show as they happen
    # A fresh cache folder for each run. Numba caches a function defined in a notebook cell under IPython's cache
    # folder ($XDG_CACHE_HOME/ipython/numba_cache; NUMBA_CACHE_DIR does not apply to cells) and checks only that
    # function's own source for changes: a caller whose helper (another cell), or an intrinsic it inlines, was edited
    # would run stale machine code, and a test could pass against code that no longer exists.
    cache = None
    if "XDG_CACHE_HOME" not in os.environ:
        cache = tempfile.TemporaryDirectory(prefix="diffdrr-test-cache-")
        env["XDG_CACHE_HOME"] = cache.name

    try:
        flags, env = triton_flags(args.flags, env)
        nb_passed, nb_failed, (skipped, n_skipped) = run_notebooks(flags, args.n_workers, args.path, env)
        py_passed, py_failed, py_skipped = run_pytest(env) if not args.path else (0, 0, 0)
    finally:
        if cache is not None: cache.cleanup()

    print()
    print(f"notebooks: {len(nb_passed)} passed, {len(nb_failed)} failed" + (f" (flags run: {flags})" if flags else ""))
    print("cells skipped, by flag: " + (", ".join(f"{f} {n}" for f, n in skipped.items()) or "none"))
    for f in nb_failed: print(f"  FAILED {f}")
    if (ROOT / "tests").is_dir() and not args.path: print(f"pytest: {py_passed} passed, {py_failed} failed, {py_skipped} skipped")
    passed, failed = len(nb_passed) + py_passed, len(nb_failed) + py_failed
    if passed + failed == 0: print("NOTHING WAS TESTED")
    print(f"{passed} passed, {failed} failed, {n_skipped + py_skipped} skipped", flush=True)
    sys.exit(1 if failed or passed + failed == 0 else 0)


if __name__ == "__main__":
    main()
