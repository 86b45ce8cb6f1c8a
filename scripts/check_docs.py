"""Open the built site in headless Chromium and check what a reader would see.

Serves `_build/html/` on a loopback port (as `python -m http.server` would), opens each page in
Debian's Chromium through its ChromeDriver (selenium), and checks that the page:
  - shows its title: a visible `<h1>` with the title of the page's notebook (`# Title`), also
    in the browser's window title;
  - shows at least one figure: an `<img>` in the page body that has loaded (natural width > 0),
    and no image that failed to load;
  - typesets its math (MathJax is served with the site, so this works offline);
  - shows no error text: no Python traceback anywhere on the page, no error output from a cell
    (myst-nb's `.output.error`/`.output.traceback`, or an output line such as `ValueError: ...`),
    no Sphinx/docutils system message, and no nbdev `#|` directive left in a code cell.
    Prose that names an exception (the docs document every `ValueError`) is allowed.
A screenshot of each page is saved to `_build/screenshots/<page>.png`.

    python scripts/check_docs.py [PAGE ...]

By default every page built from a notebook is checked for its title and for error text, and
the figure is required on the pages in FIGURE_PAGES (the index, the DRR and visualization pages,
and the tutorials that draw pictures), which must exist. Pages named on the command line are checked for all three.
"""
import functools
import http.server
import json
import os
import re
import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
BOOK = ROOT / "_build" / "proc"
SHOTS = ROOT / "_build" / "screenshots"
FIGURE_PAGES = ["index.html", "api/drr.html", "api/visualization.html", "api/explorer.html",
                "tutorials/introduction.html", "tutorials/conventions.html", "tutorials/validation.html",
                "tutorials/explorer.html", "tutorials/timing.html"]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,1000"]
_re_exc_line = re.compile(r"^\s*(\w+\.)*\w*(Error|Exception)(:|$)", re.MULTILINE)


def expected_title(page: str) -> str:
    "The `# Title` the page's notebook starts with (written by build_docs.py)."
    nb = BOOK / Path(page).with_suffix(".ipynb")
    if not nb.exists(): return ""
    first = json.loads(nb.read_text(encoding="utf-8"))["cells"][0]["source"]
    first = "".join(first) if isinstance(first, list) else first
    m = re.match(r"#\s+(.*)", first)
    return m.group(1).strip() if m else ""


def _plain(text: str) -> str: return text.translate(str.maketrans("‘’“”", "''\"\""))


def serve(folder: Path):
    "Serve `folder` on 127.0.0.1 in a daemon thread; return (server, base URL)."
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args): pass
    handler = functools.partial(Quiet, directory=str(folder))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}/"


def browser(profile: str):
    "Headless Debian Chromium driven by the system chromedriver (no driver download)."
    os.environ.setdefault("SE_OFFLINE", "true")  # selenium-manager must not try the network
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_exe = shutil.which("chromedriver")
    if not chromium or not driver_exe:
        sys.exit("check_docs: needs Debian's chromium and chromium-driver (`make docs-check` installs them)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for f in FLAGS + [f"--user-data-dir={profile}"]: opts.add_argument(f)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=driver_exe), options=opts)


_JS_STATE = """
const main = document.querySelector('main') || document.body;
const imgs = [...main.querySelectorAll('img')].filter(i => !i.closest('.navbar-brand, .logo, header, nav'));
const vis = e => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
const h1 = [...main.querySelectorAll('h1')].filter(vis).map(h => h.innerText.replace(/[#¶]\\s*$/, '').trim());
const q = s => [...main.querySelectorAll(s)].map(e => e.innerText);
return {
  title: document.title, h1: h1, text: main.innerText,
  imgs: imgs.map(i => ({src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0,
                        w: i.naturalWidth, shown: vis(i)})),
  outputs: q('.cell_output, .output'),
  errors: q('.output.error, .output.traceback, div.output.stderr pre.traceback'),
  stderr: q('.output.stderr'),
  system: q('.system-message, .problematic'),
  code: q('.cell_input pre, div.highlight pre'),
  height: Math.max(document.body.scrollHeight, document.documentElement.scrollHeight),
};
"""


def check_page(driver, base: str, page: str, need_figure: bool = True) -> list:
    "Open `page`, save a screenshot, and return the list of problems found."
    from selenium.webdriver.support.ui import WebDriverWait
    problems = []
    nb = BOOK / Path(page).with_suffix(".ipynb")
    if not (HTML / page).exists() or not nb.exists():
        problems.append(f"{page} was not built from a notebook (no {nb.relative_to(ROOT)}: did it fail to execute?)")
        print(f"FAILED {page}")
        for p in problems: print(f"       - {p}")
        return problems
    driver.set_window_size(1280, 1000)
    driver.get(base + page)
    WebDriverWait(driver, 30).until(lambda d: d.execute_script(
        "return document.readyState === 'complete' && [...document.images].every(i => i.complete)"))
    # Wait for MathJax (served with the site) to typeset the page's math, if it has any.
    driver.set_script_timeout(30)
    math = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const n = document.querySelectorAll('.math').length;
        if (!n) return done({n: 0, typeset: 0});
        const count = () => done({n: n, typeset: document.querySelectorAll('mjx-container').length});
        const wait = (k) => (window.MathJax && MathJax.startup && MathJax.startup.promise)
            ? MathJax.startup.promise.then(count, count) : (k > 0 ? setTimeout(() => wait(k - 1), 100) : count());
        wait(100);""")
    s = driver.execute_script(_JS_STATE)

    want = _plain(expected_title(page))  # Sphinx typesets ' as ’: compare with straight quotes
    h1, title = [_plain(h) for h in s["h1"]], _plain(s["title"])
    if not h1: problems.append("no visible <h1> title")
    elif want and h1[0] != want: problems.append(f"title shows {h1[0]!r}, expected {want!r}")
    if want and want not in title: problems.append(f"window title {title!r} lacks {want!r}")

    figs = [i for i in s["imgs"] if i["ok"] and i["shown"]]
    broken = [i["src"] for i in s["imgs"] if not i["ok"]]
    if need_figure and not figs: problems.append("no rendered figure (no loaded, visible <img> in the page body)")
    if broken: problems.append(f"images that failed to load: {broken}")

    if "Traceback (most recent call last)" in s["text"]: problems.append("a Python traceback is shown")
    if s["errors"]: problems.append(f"{len(s['errors'])} error output(s): {s['errors'][0][:200]!r}")
    for out in s["outputs"]:
        m = _re_exc_line.search(out)
        if m: problems.append(f"an output shows an exception: {out[m.start():m.start() + 200].strip()!r}"); break
    if s["system"]: problems.append(f"Sphinx/docutils system message: {s['system'][0][:200]!r}")
    if math["n"] and not math["typeset"]: problems.append(f"{math['n']} math element(s) not typeset by MathJax")
    raw = [c for c in s["code"] if re.search(r"^\s*#\|", c, re.MULTILINE)]
    if raw: problems.append(f"a code cell shows an nbdev directive: {raw[0][:120]!r}")
    if s["stderr"]: print(f"  note: {len(s['stderr'])} stderr output(s) on {page}: {s['stderr'][0][:160]!r}")

    # Screenshot of the whole page (capped), for a person to look at.
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / (page.replace("/", "_").replace(".html", "") + ".png")
    driver.set_window_size(1280, min(max(1000, s["height"]), 6000))
    driver.save_screenshot(str(shot))
    # JavaScript errors, and local files that failed to load (the site has no favicon; files
    # from the web, such as MathJax, cannot load on an offline machine and are not counted).
    local_errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"
                    and "127.0.0.1" in e["message"] and "favicon.ico" not in e["message"]
                    and ("Uncaught" in e["message"] or "Failed to load resource" in e["message"])]
    if local_errors: problems.append(f"browser errors for local resources: {local_errors[:3]}")
    print(f"{'ok' if not problems else 'FAILED':>6} {page}: title {s['h1'][:1]}, {len(figs)} figure(s), "
          f"{math['typeset']} of {math['n']} formulas typeset, screenshot {shot.relative_to(ROOT)}")
    for p in problems: print(f"       - {p}")
    return problems


def main():
    if not (HTML / "index.html").exists(): sys.exit(f"check_docs: no site in {HTML}; run `make docs` first")
    if sys.argv[1:]: pages = {p: True for p in sys.argv[1:]}
    else:
        built = sorted(str(p.relative_to(BOOK).with_suffix(".html")) for p in BOOK.rglob("*.ipynb")
                       if not any(part.startswith((".", "_")) for part in p.relative_to(BOOK).parts))
        pages = {p: p in FIGURE_PAGES for p in built}
        pages.update({p: True for p in FIGURE_PAGES})  # these must exist
    srv, base = serve(HTML)
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    driver = browser(profile)
    try: results = {p: check_page(driver, base, p, fig) for p, fig in pages.items()}
    finally:
        driver.quit()
        srv.shutdown()
        shutil.rmtree(profile, ignore_errors=True)
    failed = [p for p, probs in results.items() if probs]
    print(f"docs-check: {len(pages) - len(failed)} of {len(pages)} pages ok"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
