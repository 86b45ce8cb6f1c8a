"""Build the documentation site from the notebooks with jupyter-book 1 (no Quarto needed).

For each notebook under `nbs/` (the files `nbdev_test` would test), in a fresh process:
  1. execute it with execnb, as `nbdev_test` does (cells flagged with a `tst_flags` flag, e.g.
     `slow` or `cuda`, are skipped unless named in --flags; `triton` cells run wherever triton is
     importable, as in `scripts/run_tests.py`; `#| eval: false` cells are skipped),
     keeping every output, figures included;
  2. run nbdev's documentation processors over it (`nbdev.processors.FilterDefaults`: hidden and
     exported cells dropped, `show_doc` cells added and executed, links to symbols added).
Then, in this process, the Quarto-specific parts of the result are translated for jupyter-book:
the YAML front matter becomes a `# Title` and a summary line, `#| echo/output/include` options
become the cell tags `remove-input`, `remove-output`, `remove-cell`, links to the published
site become relative links, and numbered file names lose their number (`api/01_geometry.ipynb`
becomes `api/geometry.ipynb`, the name nbdev's links use). The processed notebooks go to
`_build/proc/` (not `_proc/`, which is nbdev's own Quarto cache) with a generated `_toc.yml` and
`_config.yml` and the site's stylesheet `nbs/styles.css` (in `_static/`), and `jupyter-book build`
writes the HTML into `_build/html/`. Signatures from `show_doc` lose the `NoneType` nbdev infers
for an unannotated `x=None`, and `$$...$$` inside a paragraph is display math, as in Jupyter.

    python scripts/build_docs.py [--flags "slow"] [--n-workers 2] [--keep-going] [--build-dir DIR/_build]

`--build-dir` puts all of it (stage, proc, html) in another folder named `_build` (jupyter-book
always writes into a `_build` folder), so that two builds of one checkout do not clear each
other's files; `python scripts/check_docs.py --build-dir DIR/_build` checks that site.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
STAGE = BUILD / "stage"  # executed + nbdev-processed notebooks, as nbdev would hand them to Quarto
BOOK = BUILD / "proc"  # the same, translated for jupyter-book: the book's source folder
HTML = BUILD / "html"


def _set_build(folder: Path) -> None:
    "Use `folder` (named `_build`) instead of `<repo>/_build` for the stage, the book and the HTML."
    global BUILD, STAGE, BOOK, HTML
    BUILD = Path(os.path.abspath(folder))
    if BUILD.name != "_build": sys.exit(f"--build-dir must name a folder called _build (jupyter-book writes there); got {folder}")
    STAGE, BOOK, HTML = BUILD / "stage", BUILD / "proc", BUILD / "html"


# ---------------------------------------------------------------- one notebook, in a child process
def _execute_and_process(src: Path, dst: Path, flags: str) -> None:
    "Execute notebook `src` (skipping flagged cells), run nbdev's processors, write to `dst`."
    from execnb.nbio import read_nb, write_nb
    from execnb.shell import CaptureShell
    from nbdev.config import get_config
    from nbdev.process import extract_directives

    sys.path.insert(0, str(ROOT / "scripts"))
    from nbdocs import process_nb

    cfg = get_config()
    skip = set(cfg.tst_flags.split()) - set(flags.split())

    def _no_eval(cell):  # the rule nbdev_test applies (nbdev.test.test_nb)
        if cell.cell_type != "code": return True
        if "nbdev_export" + "(" in cell.source: return True
        direc = extract_directives(cell, remove=False)
        if direc.get("eval:", [""])[0].lower() == "false": return True
        return bool(skip & direc.keys())

    sys.path.insert(0, str(cfg.config_path))
    nb = read_nb(src)
    shell = CaptureShell(src)
    os.chdir(src.parent)
    try:
        shell.run_all(nb, exc_stop=True, preproc=_no_eval)
    except Exception:
        sys.stderr.write(shell.prettytb(fname=src) + "\n")
        sys.exit(1)
    process_nb(nb)
    dst.parent.mkdir(parents=True, exist_ok=True)
    write_nb(nb, dst)


# ---------------------------------------------------------------- translation for jupyter-book
_re_num = re.compile(r"^\d+[a-zA-Z]?_")
_re_mdlink = re.compile(r"\]\(([^)\s]+)\)")
_re_hr = re.compile(r"^ {0,3}([-*_])( *\1){2,} *$\n?", re.MULTILINE)


def _page_name(rel: Path, fm: dict) -> Path:
    "Book path of a notebook: nbdev's `output-file` if set, else its name without a number."
    out = fm.get("output-file")
    name = Path(out).stem if out else _re_num.sub("", rel.stem)
    return rel.with_name(name + ".ipynb")


_re_heading = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$", re.MULTILINE)
_re_fence = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1", re.MULTILINE | re.DOTALL)


def _slug(text: str) -> str:
    "The anchor MyST gives a heading (GitHub's rule, as myst_parser's default_slugify)."
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link shows its text
    text = re.sub(r"[`*]", "", text)
    return re.sub(r"[^\w\u4e00-\u9fff\- ]", "", text.lower().replace(" ", "-"))


def _src(cell) -> str: return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _load_page(stage_nb: Path, page: Path) -> dict:
    "Translate one nbdev-processed notebook into a jupyter-book notebook (links still unresolved)."
    from nbdocs import clean_signature, frontmatter, split_options
    nb = json.loads(stage_nb.read_text(encoding="utf-8"))
    cells = nb["cells"]
    fm = frontmatter(_src(cells[0])) if cells and cells[0]["cell_type"] == "raw" else None
    if fm is not None: cells.pop(0)  # nbdev's front matter, for Quarto
    fm = fm or {}
    title = fm.get("title") or _re_num.sub("", page.stem).replace("_", " ").title()
    head = f"# {title}\n"
    if fm.get("description"): head += f"\n{fm['description'].strip()}\n"
    out = [{"cell_type": "markdown", "id": "page-title", "metadata": {}, "source": head}]
    for c in cells:
        if c["cell_type"] == "code":
            opts, code = split_options(_src(c))
            outs = c.get("outputs", [])
            md = [o["data"]["text/markdown"] for o in outs if "text/markdown" in o.get("data", {})]
            if code.startswith("show_doc(") and opts.get("echo") == "false" and len(md) == 1:
                # show_doc's markdown (a `### name` heading, the signature, the docstring) becomes
                # page text, so each symbol is a heading with an anchor, as in nbdev's Quarto site.
                # Its opening `---` is dropped: a transition may not open a section.
                text = clean_signature(_re_hr.sub("", "".join(md[0]))).strip()
                text = re.sub(r"(```\w*\n)\s*\n", r"\1", text)  # no blank lines around the signature
                text = re.sub(r"\n\s*\n(```)", r"\n\1", text)
                c = {"cell_type": "markdown", "id": c.get("id", ""), "metadata": {}, "source": text + "\n"}
            else:
                tags = []
                if opts.get("include") == "false": tags.append("remove-cell")
                if opts.get("echo") == "false": tags.append("remove-input")
                if opts.get("output") == "false": tags.append("remove-output")
                c["source"], c["metadata"] = code, ({"tags": tags} if tags else {})
                for o in outs:
                    if "text/markdown" in o.get("data", {}):
                        # a transition inside an output makes Sphinx abort
                        o["data"]["text/markdown"] = clean_signature(_re_hr.sub("", "".join(o["data"]["text/markdown"])))
        elif c["cell_type"] == "markdown": c["source"] = _src(c)
        out.append(c)
    nb["cells"] = out
    nb["metadata"] = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                      "language_info": {"name": "python"}}
    return {"nb": nb, "title": title, "slugs": _page_slugs(nb)}


def _page_slugs(nb) -> set:
    "Anchors of the headings in a page's markdown cells."
    slugs = set()
    for c in nb["cells"]:
        if c["cell_type"] == "markdown":
            slugs |= {_slug(h) for h in _re_heading.findall(_re_fence.sub("", _src(c)))}
    return slugs


def _rewrite_links(text: str, page: Path, pages: dict, renamed: dict, site: str) -> str:
    "Point links to the published site and to notebooks at this book's pages and anchors."
    def fix(m):
        url = m.group(1)
        target, _, anchor = url.partition("#")
        if target.startswith(site) and target.endswith(".html"):  # nbdev: api/geometry.html#seed_affine
            dest = Path(target[len(site):]).with_suffix(".ipynb")
        elif "://" not in target and target.endswith((".ipynb", ".html")):
            dest = Path(os.path.normpath(page.parent / target)).with_suffix(".ipynb")
            dest = renamed.get(dest, dest)
        elif not target and anchor: dest = page  # a link within the page
        else: return m.group(0)
        if dest not in pages: return m.group(0)  # not built: leave it, Sphinx will warn
        slugs = pages[dest]["slugs"]
        # a heading's anchor, or the anchor as written (never dropped: check_docs.py reports it if it is not there)
        anchor = next((a for a in (anchor, _slug(anchor)) if anchor and a in slugs), anchor)
        link = "" if dest == page else os.path.relpath(dest, page.parent)
        if not link and not anchor: link = dest.name
        return f"]({link}{'#' + anchor if anchor else ''})"
    return _re_mdlink.sub(fix, text)


def _write_pages(pages: dict, renamed: dict, site: str) -> None:
    "Resolve every page's links and write the book's notebooks."
    for page, d in pages.items():
        for c in d["nb"]["cells"]:
            if c["cell_type"] == "markdown":
                c["source"] = _rewrite_links(c["source"], page, pages, renamed, site)
            for o in c.get("outputs", []):
                if "text/markdown" in o.get("data", {}):
                    o["data"]["text/markdown"] = _rewrite_links(o["data"]["text/markdown"], page, pages, renamed, site)
        dst = BOOK / page
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(json.dumps(d["nb"], indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_book_config(cfg, pages: list) -> None:
    "Write `_toc.yml` (index first, then one part per folder: tutorials (the introduction first), API, then top-level pages) and `_config.yml`."
    import yaml
    root = [p for p in pages if p == Path("index.ipynb")]
    parts = {}
    for p in pages:
        if p == Path("index.ipynb"): continue
        parts.setdefault(p.parts[0] if len(p.parts) > 1 else "", []).append(p)
    names = {"api": "API", "tutorials": "Tutorials", "": "Development"}
    order = lambda k: (["tutorials", "api"].index(k) if k in ("api", "tutorials") else 2, k)  # tutorials before the reference
    toc = {"format": "jb-book", "root": "index",
           "parts": [{"caption": names.get(k, k.replace("_", " ").title()),
                      "chapters": [{"file": str(p.with_suffix(""))} for p in sorted(parts[k], key=lambda p: p.stem != "introduction")]}
                     for k in sorted(parts, key=order)]}
    if not root:  # without the index, the first page is the root: it leaves its part's chapters, and a part left empty goes
        toc["root"] = toc["parts"][0]["chapters"].pop(0)["file"]
        toc["parts"] = [part for part in toc["parts"] if part["chapters"]]
        if not toc["parts"]: del toc["parts"]
    (BOOK / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False), encoding="utf-8")
    config = {
        "title": cfg.title, "author": cfg.author, "copyright": cfg.copyright,
        "only_build_toc_files": True,
        "execute": {"execute_notebooks": "off"},  # executed above, as nbdev_test runs them
        "repository": {"url": cfg.git_url, "branch": cfg.branch, "path_to_book": "nbs"},
        "html": {"use_repository_button": True, "home_page_in_navbar": True},
        "launch_buttons": {"binderhub_url": "", "colab_url": "", "thebe": False},
        # MyST's defaults less `linkify`, which turns names such as `demo.py` into web links.
        "parse": {"myst_enable_extensions": ["amsmath", "colon_fence", "deflist", "dollarmath",
                                             "html_image", "substitution", "tasklist"]},
        "sphinx": {
            "local_extensions": {"docs_sphinx_ext": str(ROOT / "scripts")},
            "extra_extensions": ["sphinx-mathjax-offline"],  # MathJax 3 served with the site
            "config": {
            "nb_render_markdown_format": "myst",  # show_doc output is markdown with tables
            "html_show_sourcelink": False,
            "myst_heading_anchors": 4,  # headings get GitHub-style anchors, which links use
            # `$$...$$` inside a paragraph is display math, as Jupyter, Quarto and GitHub show it
            # (MyST's default reads it as a pair of `$` and sets the prose between as math).
            "myst_dmath_double_inline": True,
            "suppress_warnings": ["myst.header"],  # show_doc's `###` may follow the `#` title
            "html_title": cfg.title,
        }},
    }
    (BOOK / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    # The site's stylesheet (shared with nbdev's Quarto site): jupyter-book adds every .css in _static.
    (BOOK / "_static").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "nbs" / "styles.css", BOOK / "_static" / "styles.css")


# ---------------------------------------------------------------- driver
def _notebooks(cfg, only: str):
    from nbdev.doclinks import nbglob
    files = sorted(nbglob(cfg.nbs_path, as_path=True))
    if only: files = [f for f in files if re.search(only, str(f.relative_to(cfg.nbs_path)))]
    return files


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--flags", default=os.environ.get("DOCS_FLAGS", ""),
                   help="space-separated test flags whose cells to run too (e.g. 'slow')")
    p.add_argument("--n-workers", type=int, default=min(os.cpu_count() or 1, 2))
    p.add_argument("--only", default="", help="regex: build only the notebooks whose path matches")
    p.add_argument("--keep-going", action="store_true", help="build the site even if a notebook fails")
    p.add_argument("--reuse", action="store_true",
                   help="reuse the executed notebooks in the build folder's stage/ (to rework the site's layout only)")
    p.add_argument("--build-dir", type=Path, default=BUILD,
                   help="build into this folder (named _build) instead of the repository's _build")
    p.add_argument("--one", nargs=2, metavar=("SRC", "DST"), help=argparse.SUPPRESS)
    args = p.parse_args()
    _set_build(args.build_dir)
    if args.one: return _execute_and_process(Path(args.one[0]), Path(args.one[1]), args.flags)

    sys.path.insert(0, str(ROOT / "scripts"))
    os.chdir(ROOT)
    from nbdev.config import get_config
    from nbdocs import doc_url
    cfg = get_config()
    t0 = time.time()
    files = _notebooks(cfg, args.only)
    if not files: sys.exit("no notebooks found under " + str(cfg.nbs_path))
    shutil.rmtree(BOOK, ignore_errors=True)
    if not args.reuse: shutil.rmtree(STAGE, ignore_errors=True)

    env = dict(os.environ, PYTHONUNBUFFERED="1", MPLBACKEND="Agg")
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // max(1, args.n_workers))))
    from run_tests import triton_flags  # the test runner's rule: `triton` cells run where triton is importable
    args.flags, env = triton_flags(args.flags, env)

    def run_one(src):
        rel = src.relative_to(cfg.nbs_path)
        if args.reuse:
            print(f"reusing {STAGE / rel}" if (STAGE / rel).exists() else f"missing {rel}")
            return rel, (STAGE / rel).exists()
        t = time.time()
        r = subprocess.run([sys.executable, __file__, "--flags", args.flags, "--one", str(src), str(STAGE / rel)],
                           cwd=ROOT, env=env, capture_output=True, text=True)
        status = "ok" if r.returncode == 0 else "FAILED"
        msg = f"{status:>6} {time.time() - t:6.1f} s  executed {rel}"
        if r.returncode != 0: msg += "\n" + (r.stdout + r.stderr)[-6000:]
        print(msg, flush=True)
        return rel, r.returncode == 0

    flags = args.flags.strip()
    print(f"executing {len(files)} notebooks with {args.n_workers} workers"
          + (f" (flags run: {flags})" if flags else " (cells flagged " + cfg.tst_flags + " skipped)"), flush=True)
    with ThreadPoolExecutor(max(1, args.n_workers)) as pool:
        results = list(pool.map(run_one, files))
    failed = [rel for rel, ok in results if not ok]
    done = [rel for rel, ok in results if ok]
    print(f"executed {len(done)} notebooks, {len(failed)} failed in {time.time() - t0:.0f} s", flush=True)
    if failed and not args.keep_going:
        sys.exit("docs: notebooks failed to execute: " + ", ".join(map(str, failed)))

    if not done: sys.exit("docs: no notebook executed; nothing to build")

    # Name each page as nbdev would, then translate and write the book.
    from execnb.nbio import read_nb
    from nbdocs import pop_frontmatter
    renamed = {rel: _page_name(rel, pop_frontmatter(read_nb(STAGE / rel))) for rel in done}
    pages = {renamed[rel]: _load_page(STAGE / rel, renamed[rel]) for rel in done}
    _write_pages(pages, renamed, doc_url())
    _write_book_config(cfg, [renamed[rel] for rel in done])

    exe = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(exe) if exe.exists() else "jupyter-book", "build", str(BOOK), "--path-output", str(BUILD.parent),
           "--builder", "html"]
    for d in (HTML, BUILD / ".doctrees", BUILD / "jupyter_execute"):  # no stale pages from earlier builds
        shutil.rmtree(d, ignore_errors=True)
    print("$ " + " ".join(cmd), flush=True)
    r = subprocess.run(cmd, cwd=ROOT)
    if r.returncode != 0: sys.exit(f"docs: jupyter-book failed (exit code {r.returncode})")
    html = os.path.relpath(HTML, ROOT) if HTML.is_relative_to(ROOT) else str(HTML)
    print(f"docs: {len(done)} pages in {html}/ ({time.time() - t0:.0f} s); "
          f"open {html}/index.html or run `python -m http.server -d {html}`")
    if failed: sys.exit("docs: built without the notebooks that failed: " + ", ".join(map(str, failed)))


if __name__ == "__main__":
    main()
