"""Packaging for diffdrr: every setting comes from `settings.ini`, nbdev's single source (`pyproject.toml` names the
build system only, so that pip builds through setuptools' PEP 517 backend, which runs this file)."""
from configparser import ConfigParser
from pathlib import Path

import setuptools

HERE = Path(__file__).resolve().parent
config = ConfigParser(delimiters=["="])
if not config.read(HERE / "settings.ini", encoding="utf-8"):
    raise SystemExit(f"setup.py: settings.ini not found in {HERE}")
cfg = config["DEFAULT"]


def _reqs(key):
    "Split a space-separated requirement list from settings.ini."
    return cfg.get(key, "").split()


extras = {name: _reqs(f"{name}_requirements") for name in ("fast", "widgets", "viz3d", "formats", "cuda", "dev", "docs")}
extras["all"] = sorted({r for name in ("fast", "widgets", "viz3d", "formats") for r in extras[name]})

long_description = (HERE / "README.md").read_text(encoding="utf-8")

setuptools.setup(
    name=cfg["lib_name"],
    version=cfg["version"],
    description=cfg["description"],
    long_description=long_description,
    long_description_content_type="text/markdown",
    author=cfg["author"],
    author_email=cfg["author_email"],
    license="MIT",
    url=cfg["git_url"],
    keywords=cfg["keywords"],
    classifiers=[
        "Development Status :: 3 - Alpha",
        "Intended Audience :: Science/Research",
        "License :: OSI Approved :: MIT License",
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Medical Science Apps.",
    ],
    packages=setuptools.find_packages(include=["diffdrr", "diffdrr.*"]),
    include_package_data=True,
    python_requires=f">={cfg['min_python']}",
    install_requires=_reqs("requirements"),
    extras_require=extras,
    entry_points={"console_scripts": cfg.get("console_scripts", "").split()},
    zip_safe=False,
)
