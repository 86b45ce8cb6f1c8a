"""Write README.md from the notebook named by `readme_nb` in settings.ini (nbs/index.ipynb).

`nbdev_readme` needs Quarto; this runs the same nbdev processors (hidden cells dropped, front
matter made from the `# Title` and `> summary`) and writes GitHub-flavoured markdown directly.
Stored outputs are included as text; the notebooks are kept without outputs, so the README
holds the prose and the code.

    python scripts/make_readme.py [--quiet]
"""
import sys

from execnb.nbio import read_nb
from nbdev.config import get_config

from nbdocs import ReadmeFilter, process_nb, readme_markdown


def main():
    cfg = get_config()
    src = cfg.nbs_path / cfg.get("readme_nb", "index.ipynb")
    nb = process_nb(read_nb(src), ReadmeFilter)
    dst = cfg.config_path / "README.md"
    text = readme_markdown(nb)
    if not dst.exists() or dst.read_text(encoding="utf-8") != text:
        dst.write_text(text, encoding="utf-8")
    if "--quiet" not in sys.argv: print(f"wrote {dst.relative_to(cfg.config_path)} from {src.relative_to(cfg.config_path)}")


if __name__ == "__main__":
    main()
