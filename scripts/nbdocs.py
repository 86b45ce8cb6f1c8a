"""Shared helpers for `build_docs.py` and `make_readme.py`: nbdev's processors without Quarto.

nbdev 2 renders its docs with Quarto, which reads the `#|` cell options and the YAML
front matter that nbdev's processors (`nbdev.processors.FilterDefaults`) leave in the processed
notebooks. Quarto is not available here, so these helpers translate that output for
jupyter-book (cell tags) and for a plain GitHub-flavoured README.
"""
import os
import re

import yaml
from execnb.nbio import mk_cell
from nbdev.config import get_config
from nbdev.processors import FilterDefaults, add_links

_re_opt = re.compile(r"^\s*#\|\s*([\w-]+)\s*:\s*(.*?)\s*$")
_re_dir = re.compile(r"^\s*#\|")


class ReadmeFilter(FilterDefaults):
    "nbdev's default processors, less `add_links`, so the README depends on `index.ipynb` alone."
    def base_procs(self): return [p for p in super().base_procs() if p is not add_links]


def process_nb(nb, procs=FilterDefaults):
    "Run nbdev's documentation processors over `nb` in place (as `nbdev.serve_drv` does)."
    old = os.environ.get("IN_TEST")
    os.environ["IN_TEST"] = "1"
    try: procs()(nb)
    finally:
        if old is None: os.environ.pop("IN_TEST", None)
        else: os.environ["IN_TEST"] = old
    return nb


def frontmatter(source):
    "The dict in a `---` YAML block (nbdev's front matter cell), else None."
    src = source.strip()
    if not (src.startswith("---") and src.endswith("---")): return None
    return yaml.safe_load(src.strip("-\n")) or {}


def pop_frontmatter(nb):
    "Remove the raw YAML front matter cell nbdev inserts first and return it as a dict."
    if nb.cells and nb.cells[0].cell_type == "raw":
        fm = frontmatter(nb.cells[0].source)
        if fm is not None:
            nb.cells.pop(0)
            return fm
    return {}


def split_options(source):
    "Split leading `#| key: value` lines from code; return ({key: value}, remaining code)."
    lines, opts = source.splitlines(), {}
    while lines and (_re_dir.match(lines[0]) or not lines[0].strip()):
        m = _re_opt.match(lines.pop(0))
        if m: opts[m.group(1)] = m.group(2).strip("'\"")
    return opts, "\n".join(lines).rstrip()


_re_nonetype_sig = re.compile(r"(\w)\s*:\s*NoneType(\s*=\s*None\b)")
_re_nonetype_row = re.compile(r"\|\s*NoneType\s*\|(\s*None\s*\|)")


def clean_signature(md):
    """`show_doc` markdown without the `NoneType` nbdev infers for a parameter that has no annotation
    and defaults to None (`spacing=None` is shown as `spacing:NoneType=None`): shown as `spacing=None`."""
    return _re_nonetype_row.sub(r"| |\1", _re_nonetype_sig.sub(r"\1\2", md))


def _text(v): return "".join(v) if isinstance(v, list) else (v or "")


def readme_markdown(nb):
    "GitHub-flavoured markdown for a processed notebook: title, prose, code and text outputs."
    fm = pop_frontmatter(nb)
    parts = []
    if fm.get("title"): parts.append(f"# {fm['title']}")
    if fm.get("description"): parts.append(f"> {fm['description'].strip()}")
    for cell in nb.cells:
        if cell.cell_type == "markdown": parts.append(cell.source.strip())
        elif cell.cell_type == "code":
            opts, code = split_options(cell.source)
            if opts.get("include") == "false": continue
            if code and opts.get("echo") != "false": parts.append(f"``` python\n{code}\n```")
            if opts.get("output") == "false": continue
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if "text/markdown" in data: parts.append(_text(data["text/markdown"]).strip())
                elif "text/plain" in data: parts.append(f"    " + _text(data["text/plain"]).rstrip().replace("\n", "\n    "))
                elif out.get("output_type") == "stream":
                    parts.append("    " + _text(out.get("text")).rstrip().replace("\n", "\n    "))
    return "\n\n".join(p for p in parts if p) + "\n"


def doc_url():
    "The published docs' base URL (`doc_host` + `doc_baseurl`) with a trailing slash."
    cfg = get_config()
    host, base = cfg.doc_host.rstrip("/"), cfg.doc_baseurl.strip("/")
    return f"{host}/{base}/" if base else f"{host}/"


def markdown_cell(source): return mk_cell(source, "markdown")
