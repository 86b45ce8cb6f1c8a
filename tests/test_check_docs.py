"""The docs check (`scripts/check_docs.py`) must fail on each defect a reader would see: its rules on their own,
then a small site in headless Chromium with one page that has every defect and one that has none (skipped
where Debian's chromium, chromedriver, selenium or the MathJax of sphinx-mathjax-offline are missing)."""
import importlib.util
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import check_docs  # noqa: E402


@pytest.mark.parametrize("tex, words", [
    (r"\alpha_0 < \alpha_1 < \dots", ""),
    (r"\mu = \mu_\text{water}(1 + \text{HU}/1000)", ""),
    (r"\mathrm{NCC}_w(x, y) = \operatorname{diag}(a)^{-1}", ""),
    ("(seed, i)", ""),
    (r"\frac{\partial I}{\partial s_a} = L\,\frac{Q_a - R_a}{d_a}", ""),
    (" (air's attenuation is about a thousandth of water's) this is ", "attenuation"),
    (" rows and ", "rows and"),
    ("\nwith the ", "with the"),
])
def test_prose_in_math(tex, words):
    assert check_docs.prose_in_math(tex) == words


@pytest.mark.parametrize("text, hit", [
    ("the value is 3 mm", None), ("set $DIFFDRR_SHARED to the folder", None), ("2 $", "$"),
    ("HU:\n$", "$"), (r"see \(x\)", r"\("), (r"\mu_\text{air} = 0", r"\mu"), ("#| hide", "#|"),
])
def test_tex_in_text(text, hit):
    m = check_docs._re_tex.search(text)
    assert (m.group(0) if m else None) == hit


def test_links(tmp_path, monkeypatch):
    monkeypatch.setattr(check_docs, "HTML", tmp_path)
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "a.html").write_text('<h2 id="here">x</h2><a name="named"></a>')
    (tmp_path / "index.html").write_text("<p>home</p>")
    base = "http://127.0.0.1:8000/"
    link = lambda href, main=True: {"href": base + href, "raw": href, "text": "t", "main": main}
    links = [link("api/a.html#here"), link("api/a.html#named"), link(""), link("api/a.html#gone"),
             link("api/b.html"), link("index.html#top", main=False), link("api/a.html#here"), link("api/a.html#15_x.ipynb"),
             {"href": "https://example.org/x.html#y", "raw": "", "text": "", "main": True}]
    problems = check_docs.check_links(links, base, "index.html", {"main"})
    assert [k for k, _ in problems] == ["broken-anchor", "broken-link", "broken-anchor", "broken-link"]
    assert "'gone'" in problems[0][1] and "api/b.html" in problems[1][1] and "(navigation)" in problems[2][1]
    assert "'15_x.ipynb'" in problems[3][1] and "no such page" in problems[3][1]


def test_clean_signature():
    from nbdocs import clean_signature
    sig = "def f(\n    spacing:NoneType=None, # voxel size\n    height:int=None, # rows\n    x = None\n):"
    assert clean_signature(sig) == "def f(\n    spacing=None, # voxel size\n    height:int=None, # rows\n    x = None\n):"
    assert clean_signature("| labels | NoneType | None | a map |") == "| labels | | None | a map |"


def _mathjax():
    spec = importlib.util.find_spec("sphinx_mathjax_offline") or importlib.util.find_spec("sphinx-mathjax-offline")
    if spec and spec.submodule_search_locations:
        folder = Path(list(spec.submodule_search_locations)[0]) / "static" / "mathjax"
    else:  # the package is a folder with a dash in its name, not an importable module
        import sysconfig
        folder = Path(sysconfig.get_paths()["purelib"]) / "sphinx-mathjax-offline" / "static" / "mathjax"
    return folder if (folder / "tex-chtml.js").exists() else None


_PAGE = """<!DOCTYPE html><html><head><title>{title}</title>
<script>window.MathJax = {{options: {{processHtmlClass: 'math'}}}};</script>
<script defer src="mathjax/tex-chtml.js"></script></head>
<body class="mathjax_ignore"><main><h1 id="top">{title}</h1>{body}</main></body></html>"""
_BAD = """
<p>A formula with an error: <span class="math">\\(x_a_b\\)</span>.</p>
<p>Prose set as math: <span class="math">\\( the ray enters at \\)</span>.</p>
<p>Raw TeX: HU:
$ \\mu_\\text{air} = 0 and \\(y\\).</p>
<p><img src="wide.png" style="width: 400px; height: 200px"></p>
<p><a href="good.html#missing">an anchor that is not there</a>, <a href="nowhere.html">a page that is not there</a>,
<a href="good.html#math">a good link</a>.</p>
<pre>def f(
    spacing:NoneType=None, # voxel size
)</pre>"""
_GOOD = """
<p id="math">A formula: <span class="math">\\(\\alpha_\\text{min} = \\tfrac12 x^2\\)</span>, the shell's
<code>$HOME</code> and a <a href="bad.html#top">link</a>.</p>
<p><img src="wide.png" style="width: 400px; height: 50px"></p>"""


def test_browser(tmp_path, monkeypatch):
    mathjax = _mathjax()
    if not (shutil.which("chromium") or shutil.which("chromium-browser")) or not shutil.which("chromedriver"):
        pytest.skip("needs Debian's chromium and chromium-driver")
    if importlib.util.find_spec("selenium") is None or mathjax is None:
        pytest.skip("needs selenium and sphinx-mathjax-offline (the docs extra)")
    import matplotlib.image
    html, book = tmp_path / "html", tmp_path / "proc"
    html.mkdir()
    book.mkdir()
    (html / "mathjax").symlink_to(mathjax, target_is_directory=True)
    matplotlib.image.imsave(html / "wide.png", np.linspace(0, 1, 800 * 100).reshape(100, 800), cmap="gray")
    for name, body in [("bad", _BAD), ("good", _GOOD)]:
        title = name.title()
        (html / f"{name}.html").write_text(_PAGE.format(title=title, body=body))
        nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": f"# {title}\n"}], "metadata": {},
              "nbformat": 4, "nbformat_minor": 5}
        (book / f"{name}.ipynb").write_text(json.dumps(nb))
    for k, v in {"ROOT": tmp_path, "HTML": html, "BOOK": book, "SHOTS": tmp_path / "shots"}.items():
        monkeypatch.setattr(check_docs, k, v)
    check_docs._ids_of.cache_clear()
    srv, base = check_docs.serve(html)
    profile = tmp_path / "profile"
    driver = check_docs.browser(str(profile))
    try:
        bad = check_docs.check_page(driver, base, "bad.html", need_figure=True)
        good = check_docs.check_page(driver, base, "good.html", need_figure=True)
    finally:
        driver.quit()
        srv.shutdown()
    assert good == []
    kinds = {k for k, _ in bad}
    assert kinds == {"mathjax-error", "prose-as-math", "tex-in-text", "image-aspect", "broken-anchor", "broken-link",
                     "nonetype-signature"}, bad
    aspect = next(m for k, m in bad if k == "image-aspect")
    assert "0.25 of its true aspect ratio" in aspect
    assert any("Double subscripts" in m for k, m in bad if k == "mathjax-error")
