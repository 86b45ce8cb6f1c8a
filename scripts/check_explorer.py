"""Serve the explorer tutorial with Voila, drive it in headless Chromium, and check that it responds.

What a person would do, done by a browser:
  1. `voila nbs/tutorials/explorer.ipynb` on a free loopback port (127.0.0.1 only): Voila runs the
     notebook in a kernel and shows its outputs, the explorer widget among them;
  2. Debian's Chromium (headless, through the system chromedriver, a fresh profile) opens the page
     and waits until the notebook has run and the explorer shows its DRR;
  3. it drags the first rotation slider's handle with the mouse and checks that, while the handle
     is held, the image changes to the low-resolution preview and then to the full render once the
     handle rests; and after release, that the readout changed and the image changed (its `src`
     and the pixels of an element screenshot);
  4. it picks the other renderer in the dropdown and checks that the image changes again;
     and the status line must name the backend that rendered (the compiled numba kernels: the explorer
     renders through `DRR` and its backend, `backend="auto"` on a CPU volume);
  5. the page must show no Python traceback or error output.
Screenshots go to `_build/screenshots/explorer_*.png`. Exit code 0 when every check passed, 1 when
one failed. If Chromium cannot be started at all (no binary, or it dies on start), the check is
skipped with a message that says why, and exits 0; every other problem is a failure.

    python scripts/check_explorer.py [--timeout 300]
"""
import argparse
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "nbs" / "tutorials" / "explorer.ipynb"
SHOTS = ROOT / "_build" / "screenshots"
sys.path.insert(0, str(ROOT / "scripts"))
from check_docs import FLAGS  # noqa: E402  the same Chromium flags as the docs check


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_browser(profile: str):
    "Headless Chromium, or (None, reason) if it cannot start."
    os.environ.setdefault("SE_OFFLINE", "true")  # selenium-manager must not try the network
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_exe = shutil.which("chromedriver")
    if not chromium or not driver_exe:
        return None, f"no chromium ({chromium}) or chromedriver ({driver_exe}) on PATH"
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for f in FLAGS + [f"--user-data-dir={profile}"]:
        opts.add_argument(f)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(executable_path=driver_exe), options=opts)
        driver.get("about:blank")
    except WebDriverException as e:
        return None, f"Chromium did not start: {str(e).strip().splitlines()[0]}"
    return driver, ""


def start_voila(port: int, log):
    "Voila serving the explorer notebook on 127.0.0.1:port, in its own process group."
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-m", "voila", str(NOTEBOOK), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
           "--show_tracebacks=True"]
    return subprocess.Popen(cmd, cwd=NOTEBOOK.parent, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_port(port: int, proc, timeout: float):
    "Wait until Voila accepts connections (a GET of the page would start a kernel, so only connect)."
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"voila exited with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"voila did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


_JS_STATE = """
const img = document.querySelector('img.diffdrr-explorer-image');
const box = document.querySelector('.diffdrr-explorer');
const readouts = box ? [...box.querySelectorAll('.widget-readout')].map(e => e.innerText || e.value || '') : [];
const text = document.body.innerText;
const errors = [...document.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"], .jp-OutputArea-output.jp-mod-error, .voila-error, pre.traceback')]
  .map(e => e.innerText).filter(t => /Error|Traceback/.test(t));
const loading = document.querySelector('#loading, .voila-spinner, #voila-spinner');
const busy = !!(loading && (loading.offsetWidth || loading.offsetHeight)) || /Executing \\d+ of \\d+/.test(text);
return {has_img: !!img, src: img ? img.getAttribute('src') : null, w: img ? img.naturalWidth : 0,
        h: img ? img.naturalHeight : 0, complete: img ? img.complete : false, readouts: readouts,
        traceback: text.includes('Traceback (most recent call last)'), errors: errors, busy: busy,
        status: box ? (box.querySelector('.widget-html') || {}).innerText : ''};
"""


def state(driver) -> dict:
    return driver.execute_script(_JS_STATE)


def wait_for(driver, cond, timeout: float, what: str, poll: float = 0.25) -> dict:
    t0 = time.time()
    s = state(driver)
    while time.time() - t0 < timeout:
        s = state(driver)
        if cond(s):
            return s
        time.sleep(poll)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}; last state: "
                       f"img={s['has_img']} {s['w']}x{s['h']}, busy={s['busy']}, readouts={s['readouts'][:2]}, status={s['status']!r}")


def element_pixels(driver):
    "The explorer image as the browser draws it: an (h, w, 3) uint8 array from an element screenshot."
    import numpy as np
    from PIL import Image
    from selenium.webdriver.common.by import By

    el = driver.find_element(By.CSS_SELECTOR, "img.diffdrr-explorer-image")
    return np.asarray(Image.open(io.BytesIO(el.screenshot_as_png)).convert("RGB")).astype(float)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--timeout", type=float, default=300, help="seconds to wait for the notebook to run in Voila")
    args = p.parse_args()
    SHOTS.mkdir(parents=True, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    driver, why = start_browser(profile)
    if driver is None:
        shutil.rmtree(profile, ignore_errors=True)
        print(f"explorer-check SKIPPED: {why}")
        return 0
    port = free_port()
    log_path = SHOTS.parent / "voila.log"
    log = open(log_path, "w")
    voila = start_voila(port, log)
    problems = []
    try:
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select

        url = f"http://127.0.0.1:{port}/"
        t0 = time.time()
        wait_port(port, voila, 120)
        driver.set_window_size(1280, 1000)
        driver.get(url)
        s = wait_for(driver, lambda s: s["has_img"] and s["w"] > 0 and not s["busy"] and s["complete"], args.timeout,
                     "the notebook to run and the explorer to show an image")
        # The notebook's last cell resets the explorer: wait until its full render has settled.
        time.sleep(2.0)
        s = wait_for(driver, lambda s: s["w"] == 128 and s["complete"], 60, "the full 128 x 128 render")
        print(f"voila: notebook ran and the explorer shows a {s['w']} x {s['h']} DRR after {time.time() - t0:.1f} s ({s['status']})")
        if " on numba" not in (s["status"] or ""):  # frames are DRR calls on the DRR's backend: numba's kernels for a CPU volume
            problems.append(f"the explorer's status does not name the numba backend: {s['status']!r}")
        driver.save_screenshot(str(SHOTS / "explorer_before.png"))
        before_src, before_px, before_readout = s["src"], element_pixels(driver), s["readouts"][0]

        # Drag the first slider's handle, as a person would: press, move, hold still, move again, release.
        handle = driver.find_element(By.CSS_SELECTOR, ".diffdrr-explorer .widget-slider .noUi-handle")
        t1 = time.time()
        ActionChains(driver).click_and_hold(handle).move_by_offset(15, 0).perform()
        s = wait_for(driver, lambda s: s["src"] != before_src, 60, "the image to change while the slider is held", poll=0.05)
        print(f"drag: the image changed {time.time() - t1:.2f} s after the handle moved, while still held: "
              f"{s['w']} x {s['h']} ({s['status']})")
        if s["w"] != 64:
            problems.append(f"the first image while dragging was {s['w']} x {s['h']}, not the 64 x 64 preview")
        s = wait_for(driver, lambda s: s["w"] == 128 and "full" in (s["status"] or ""), 60,
                     "the full render once the held slider rests")
        print(f"hold: the full {s['w']} x {s['h']} render followed after {time.time() - t1:.2f} s ({s['status']})")
        ActionChains(driver).move_by_offset(15, 0).release().perform()
        s = wait_for(driver, lambda s: s["readouts"][0] != before_readout and s["w"] == 128 and s["complete"]
                     and "full" in (s["status"] or ""), 60, "the readout to change and the full render after release")
        print(f"release: readout {before_readout} -> {s['readouts'][0]}; full render shown after {time.time() - t1:.2f} s ({s['status']})")
        time.sleep(0.5)
        after_px = element_pixels(driver)
        driver.save_screenshot(str(SHOTS / "explorer_after.png"))
        if before_px.shape != after_px.shape:
            problems.append(f"the image element changed size: {before_px.shape} -> {after_px.shape}")
        else:
            diff = abs(after_px - before_px).mean()
            print(f"pixels: mean |after - before| = {diff:.1f} gray levels over the image element")
            if diff < 2.0:
                problems.append(f"the picture barely changed after moving the slider (mean difference {diff:.2f})")
        if after_px.std() < 5:
            problems.append("the explorer image is blank (uniform)")

        # Switch the renderer.
        src = s["src"]
        Select(driver.find_element(By.CSS_SELECTOR, ".diffdrr-explorer .widget-dropdown select")).select_by_visible_text("trilinear")
        s = wait_for(driver, lambda s: s["src"] != src and "trilinear" in (s["status"] or ""), 120, "a trilinear render")
        print(f"renderer: switched to trilinear ({s['status']})")
        if " on numba" not in (s["status"] or ""):
            problems.append(f"the trilinear frame was not rendered by the numba backend: {s['status']!r}")
        driver.save_screenshot(str(SHOTS / "explorer_trilinear.png"))

        s = state(driver)
        if s["traceback"]:
            problems.append("the page shows a Python traceback")
        if s["errors"]:
            problems.append(f"the page shows error output: {s['errors'][0][:200]!r}")
    except Exception as e:  # a check that could not complete is a failure, with the reason
        problems.append(f"{type(e).__name__}: {e}")
        try:
            driver.save_screenshot(str(SHOTS / "explorer_failed.png"))
        except Exception:
            pass
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
        try:
            os.killpg(voila.pid, signal.SIGTERM)  # voila and the kernel it started
            voila.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(voila.pid, signal.SIGKILL)
        log.close()
    for prob in problems:
        print(f"  FAILED: {prob}")
    if problems:
        print(f"voila's log: {log_path.relative_to(ROOT)}; last lines:")
        print("\n".join(log_path.read_text(errors="replace").splitlines()[-25:]))
    print(f"explorer-check: {'ok' if not problems else 'FAILED'}; screenshots in {SHOTS.relative_to(ROOT)}/explorer_*.png")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
