r"""Open the built site in headless Chromium and check what a reader would see.

Serves `_build/html/` on a loopback port (as `python -m http.server` would), opens each page in
Debian's Chromium through its ChromeDriver (selenium), and checks that the page:
  - shows its title: a visible `<h1>` with the title of the page's notebook (`# Title`), also
    in the browser's window title;
  - shows at least one figure: an `<img>` in the page body that has loaded (natural width > 0),
    and no image that failed to load;
  - draws every image at its true aspect ratio: the displayed width / height of each visible
    `<img>` (its content box) is within 2 % (or one pixel) of its natural width / height;
  - typesets its math (MathJax is served with the site, so this works offline): every math
    element becomes a MathJax container, and no formula is a MathJax error (`mjx-merror`, the
    red "Math input error"/"Double subscripts"/... boxes);
  - leaves no TeX in its text: no `$`, `\(`, `\)`, `\[`, `\]` or `\command` in a text node of the
    page body outside code and typeset math (hidden text too, which a toggle may show; a `$NAME`
    shell variable is allowed), and no `#|` nbdev directive in text or in a code cell;
  - sets no prose as math: a typeset formula whose TeX, once the arguments of `\text{}`-like
    commands and the `\commands` themselves are removed, still holds a run of five or more
    letters or two words (two or more letters each) separated by a space is prose that a stray
    `$` pulled into math (TeX ignores spaces in math, so formulas do not write words that way);
  - has no broken links: every link to a page of the site names a file that exists, and every
    `#anchor` is an id (or `<a name>`) on the target page;
  - shows no `NoneType=None` in an API signature (a code block or table cell);
  - shows no error text: no Python traceback anywhere on the page, no error output from a cell
    (myst-nb's `.output.error`/`.output.traceback`, or an output line such as `ValueError: ...`),
    no Sphinx/docutils system message.
    Prose that names an exception (the docs document every `ValueError`) is allowed.
Each defect is reported with its kind, the page and a short excerpt, and a table at the end
counts the defects of each kind on each page. A screenshot of each page is saved to
`_build/screenshots/<page>.png`.

    python scripts/check_docs.py [PAGE ...] [--build-dir DIR/_build]

By default every page built from a notebook is checked, and the figure is required on the pages
in FIGURE_PAGES (the index, the DRR and visualization pages, and the tutorials that draw
pictures), which must exist. Pages named on the command line are checked for all of it (links
to pages that were not built are then reported too).
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
import urllib.parse
from collections import Counter, defaultdict
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


def _rel(path: Path) -> str: return os.path.relpath(path, ROOT) if path.is_relative_to(ROOT) else str(path)


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


_JS_STATE = r"""
const main = document.querySelector('main') || document.body;
const imgs = [...main.querySelectorAll('img')].filter(i => !i.closest('.navbar-brand, .logo, header, nav'));
const vis = e => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
const h1 = [...main.querySelectorAll('h1')].filter(vis).map(h => h.innerText.replace(/[#¶]\s*$/, '').trim());
const q = s => [...main.querySelectorAll(s)].map(e => e.innerText);
const px = v => parseFloat(v) || 0;
const box = i => {  // the content box an image is drawn in
  const r = i.getBoundingClientRect(), c = getComputedStyle(i);
  return {w: r.width - px(c.paddingLeft) - px(c.paddingRight) - px(c.borderLeftWidth) - px(c.borderRightWidth),
          h: r.height - px(c.paddingTop) - px(c.paddingBottom) - px(c.borderTopWidth) - px(c.borderBottomWidth),
          fit: c.objectFit};
};
// The page body's text outside code and typeset math, one entry per text node (hidden text too:
// a toggle may show it).
const skip = 'pre, code, kbd, samp, script, style, textarea, mjx-container, .MathJax';
const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
const texts = [];
for (let n; (n = walker.nextNode());) {
  const el = n.parentElement;
  if (n.nodeValue.trim() && el && !el.closest(skip)) texts.push(n.nodeValue);
}
// Every formula MathJax saw: its TeX, and whether it came out as an error.
const formulas = [];
if (window.MathJax && MathJax.startup && MathJax.startup.document && MathJax.startup.document.math) {
  for (const it of MathJax.startup.document.math) {
    const root = it.typesetRoot, err = root && root.querySelector('mjx-merror, [data-mjx-error]');
    formulas.push({tex: it.math, display: !!it.display,
                   error: err ? (err.getAttribute('data-mjx-error') || err.textContent || 'error') : null});
  }
}
const merrors = [...document.querySelectorAll('mjx-merror, .MathJax_Error')]  // not the assistive MathML's copy
  .map(e => e.getAttribute('data-mjx-error') || e.textContent);
// A MyST reference Sphinx could not resolve is left as a span, not a link.
const unresolved = [...main.querySelectorAll('.xref')].filter(e => !e.closest('a')).map(e => e.textContent.trim());
const untypeset = [...main.querySelectorAll('.math')].filter(e => !e.querySelector('mjx-container') && !e.closest('mjx-container'))
  .map(e => e.textContent);
const ids = [...document.querySelectorAll('[id]')].map(e => e.id)
  .concat([...document.querySelectorAll('a[name]')].map(e => e.getAttribute('name')));
return {
  title: document.title, h1: h1, text: main.innerText,
  imgs: imgs.map(i => Object.assign({src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0,
                                     w: i.naturalWidth, h: i.naturalHeight, shown: vis(i)}, {box: box(i)})),
  outputs: q('.cell_output, .output'),
  errors: q('.output.error, .output.traceback, div.output.stderr pre.traceback'),
  stderr: q('.output.stderr'),
  system: q('.system-message, .problematic'),
  code: q('.cell_input pre, div.highlight pre'),
  signatures: q('pre, td'),  // show_doc writes a signature as a code block (or a table)
  texts: texts, formulas: formulas, merrors: merrors, untypeset: untypeset, ids: ids, unresolved: unresolved,
  links: [...document.querySelectorAll('a[href]')].map(a => ({href: a.href, raw: a.getAttribute('href'),
          text: a.textContent.trim().slice(0, 60), main: main.contains(a)})),
  height: Math.max(document.body.scrollHeight, document.documentElement.scrollHeight),
};
"""

# TeX in text: a dollar (not a `$NAME` shell variable), \( \) \[ \], a \command, or an nbdev `#|`.
_re_tex = re.compile(r"\$(?![A-Z][A-Z0-9_]+\b)|\\[()\[\]]|\\[A-Za-z]+|#\|")
# Arguments that TeX sets as text (or that are names), then any \command, removed before looking for words.
_re_textarg = re.compile(r"\\(?:text\w*|math(?:rm|bf|sf|tt|it|cal|bb|frak)|operatorname\*?|mbox|hbox|label|tag\*?|"
                         r"begin|end|boldsymbol|bm|href|url)\s*\{[^{}]*\}")
_re_cmd = re.compile(r"\\[A-Za-z]+|\\.")
_re_prose = re.compile(r"[A-Za-z]{5,}|[A-Za-z]{2,}[ \t\n]+[A-Za-z]{2,}")
_re_nonetype = re.compile(r"NoneType\s*=\s*None")


def excerpt(text: str, start: int, end: int = None, width: int = 50) -> str:
    "A short excerpt of `text` around text[start:end], on one line."
    end = start + 1 if end is None else end
    a, b = max(0, start - width), min(len(text), end + width)
    return ("..." if a else "") + re.sub(r"\s+", " ", text[a:b]).strip() + ("..." if b < len(text) else "")


def prose_in_math(tex: str) -> str:
    "The words that make formula `tex` look like prose typeset as math, or ''."
    t = _re_cmd.sub(" ", _re_textarg.sub(" ", tex))
    m = _re_prose.search(t)
    return m.group(0) if m else ""


@functools.lru_cache(maxsize=None)
def _ids_of(path: Path) -> frozenset:
    "The ids (and `<a name>`s) in a built HTML file."
    html = path.read_text(encoding="utf-8", errors="replace")
    return frozenset(urllib.parse.unquote(v) for v in re.findall(r"""\s(?:id|name)=["']([^"']+)["']""", html))


def check_links(links: list, base: str, page: str, ids_here: set) -> list:
    "Problems for links to pages of the site that do not exist, or to anchors that are not there."
    problems, seen = [], set()
    for a in links:
        url = urllib.parse.urlsplit(a["href"])
        if url.scheme not in ("http", "https") or not a["href"].startswith(base): continue  # the web, mailto:, javascript:
        if (a["href"], a["main"]) in seen: continue
        seen.add((a["href"], a["main"]))
        rel = urllib.parse.unquote(url.path)[len(urllib.parse.urlsplit(base).path):]
        target = HTML / rel
        if not rel or rel.endswith("/"): target = target / "index.html"
        where = "" if a["main"] else " (navigation)"
        if re.search(r"\.(ipynb|md)$", url.fragment):  # MyST's href for a link to a page that is not in the book
            problems.append(("broken-link", f"link to {urllib.parse.unquote(url.fragment)!r} ({a['text']!r}){where}: "
                                            "no such page in the site"))
            continue
        if not target.is_file():
            problems.append(("broken-link", f"link {a['raw']!r} ({a['text']!r}){where}: no file {target.relative_to(HTML)}"))
            continue
        frag = urllib.parse.unquote(url.fragment)
        if not frag or target.suffix != ".html": continue
        same = target.resolve() == (HTML / page).resolve()
        if frag not in (ids_here if same else _ids_of(target)):
            problems.append(("broken-anchor", f"link {a['raw']!r} ({a['text']!r}){where}: "
                                              f"no id {frag!r} on {target.relative_to(HTML)}"))
    return problems


def check_page(driver, base: str, page: str, need_figure: bool = True) -> list:
    "Open `page`, save a screenshot, and return the list of problems found, as (kind, message) pairs."
    from selenium.webdriver.support.ui import WebDriverWait
    problems = []
    nb = BOOK / Path(page).with_suffix(".ipynb")
    if not (HTML / page).exists() or not nb.exists():
        problems.append(("not-built", f"{page} was not built from a notebook (no {_rel(nb)}: did it fail to execute?)"))
        print(f"FAILED {page}")
        for k, p in problems: print(f"       - [{k}] {p}")
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
    add = lambda kind, msg: problems.append((kind, msg))

    want = _plain(expected_title(page))  # Sphinx typesets ' as ’: compare with straight quotes
    h1, title = [_plain(h) for h in s["h1"]], _plain(s["title"])
    if not h1: add("title", "no visible <h1> title")
    elif want and h1[0] != want: add("title", f"title shows {h1[0]!r}, expected {want!r}")
    if want and want not in title: add("title", f"window title {title!r} lacks {want!r}")

    # Figures: present, loaded, and drawn at their natural aspect ratio.
    figs = [i for i in s["imgs"] if i["ok"] and i["shown"]]
    broken = [i["src"] for i in s["imgs"] if not i["ok"]]
    if need_figure and not figs: add("figure", "no rendered figure (no loaded, visible <img> in the page body)")
    if broken: add("figure", f"images that failed to load: {broken}")
    for i in figs:
        b = i["box"]
        if b["fit"] in ("contain", "scale-down", "cover") or b["w"] <= 0 or b["h"] <= 0: continue
        ratio = (b["w"] / b["h"]) / (i["w"] / i["h"])
        tol = max(0.02, 1.0 / min(b["w"], b["h"]))  # a pixel of rounding on small images
        if abs(ratio - 1) > tol:
            add("image-aspect", f"{Path(i['src']).name[:24]} ({i['w']}x{i['h']} px) drawn {b['w']:.0f}x{b['h']:.0f}: "
                                f"{ratio:.2f} of its true aspect ratio")

    # Error text.
    if "Traceback (most recent call last)" in s["text"]: add("error-output", "a Python traceback is shown")
    if s["errors"]: add("error-output", f"{len(s['errors'])} error output(s): {s['errors'][0][:200]!r}")
    for out in s["outputs"]:
        m = _re_exc_line.search(out)
        if m: add("error-output", f"an output shows an exception: {out[m.start():m.start() + 200].strip()!r}"); break
    for msg in s["system"][:5]: add("system-message", f"Sphinx/docutils system message: {msg[:200]!r}")

    # Math: typeset, without MathJax errors, and only math.
    if math["n"] and not math["typeset"]: add("math-not-typeset", f"{math['n']} math element(s) not typeset by MathJax")
    for t in s["untypeset"]: add("math-not-typeset", f"math element left as text: {excerpt(t, 0, width=80)!r}")
    errs = [f for f in s["formulas"] if f["error"]]
    for f in errs: add("mathjax-error", f"{f['error']}: in {excerpt(f['tex'], 0, width=70)!r}")
    for e in s["merrors"][len(errs):]:  # error nodes MathJax's list of formulas does not account for
        add("mathjax-error", f"MathJax error node: {e[:120]!r}")
    for f in s["formulas"]:
        words = "" if f["error"] else prose_in_math(f["tex"])
        if words: add("prose-as-math", f"formula holds prose ({words!r}): {excerpt(f['tex'], 0, width=70)!r}")
    for t in s["texts"]:
        m = _re_tex.search(t)
        if m: add("tex-in-text", f"{m.group(0)!r} in text: {excerpt(t, m.start(), m.end())!r}")
    raw = [c for c in s["code"] if re.search(r"^\s*#\|", c, re.MULTILINE)]
    if raw: add("nbdev-directive", f"a code cell shows an nbdev directive: {raw[0][:120]!r}")
    for sig in s["signatures"]:
        for m in _re_nonetype.finditer(sig):
            add("nonetype-signature", f"'NoneType=None' in a signature: {excerpt(sig, m.start(), m.end(), 40)!r}")

    # Links within the site and their anchors.
    problems += check_links(s["links"], base, page, set(s["ids"]))
    for t in s["unresolved"]: add("broken-link", f"unresolved reference {t[:80]!r} (shown as text, not a link)")
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
    if local_errors: add("browser-error", f"browser errors for local resources: {local_errors[:3]}")
    print(f"{'ok' if not problems else 'FAILED':>6} {page}: title {s['h1'][:1]}, {len(figs)} figure(s), "
          f"{math['typeset']} of {math['n']} formulas typeset, {len(s['links'])} links, "
          f"screenshot {_rel(shot)}")
    for k, p in problems: print(f"       - [{k}] {p}")
    return problems


def summary(results: dict) -> str:
    "A table of the number of defects of each kind on each page that has any."
    kinds = sorted({k for probs in results.values() for k, _ in probs})
    if not kinds: return ""
    counts = {p: Counter(k for k, _ in probs) for p, probs in results.items() if probs}
    w = max(len(p) for p in counts)
    lines = ["defects per kind and page:", " " * w + "  " + "  ".join(kinds) + "  total"]
    for p, c in counts.items():
        lines.append(f"{p:<{w}}  " + "  ".join(f"{c.get(k, 0) or '.':>{len(k)}}" for k in kinds) + f"  {sum(c.values()):>5}")
    tot = Counter(k for probs in results.values() for k, _ in probs)
    lines.append(f"{'total':<{w}}  " + "  ".join(f"{tot[k]:>{len(k)}}" for k in kinds) + f"  {sum(tot.values()):>5}")
    return "\n".join(lines)


def main():
    import argparse
    global HTML, BOOK, SHOTS
    ap = argparse.ArgumentParser(description="Open the built site in headless Chromium and check it.")
    ap.add_argument("pages", nargs="*", help="pages to check (e.g. api/drr.html); default: every page")
    ap.add_argument("--build-dir", type=Path, default=HTML.parent,
                    help="the site's build folder, as given to build_docs.py (default: the repository's _build)")
    args = ap.parse_args()
    build = args.build_dir.resolve()
    HTML, BOOK, SHOTS = build / "html", build / "proc", build / "screenshots"
    if not (HTML / "index.html").exists(): sys.exit(f"check_docs: no site in {HTML}; run `make docs` first")
    if args.pages: pages = {p: True for p in args.pages}
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
    table = summary(results)
    if table: print(table)
    print(f"docs-check: {len(pages) - len(failed)} of {len(pages)} pages ok"
          + (f"; {sum(map(len, results.values()))} defects on {', '.join(failed)}" if failed else ""))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
