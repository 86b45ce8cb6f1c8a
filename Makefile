# diffdrr: the README's two commands are `make demo` and `make test`.
#
# Everything installs into the interpreter named by PYTHON (default: the `python3` on PATH), so
# a virtual environment is used by activating it first or with `make test PYTHON=.venv/bin/python`.
# The user's PyTorch is kept; if none is importable and pip can see a local CPU wheel of
# torch==2.13.0 (as on the project's machines), that wheel is installed first so that pip does
# not fetch a multi-GB CUDA build to satisfy `torch>=2.0`.

PYTHON ?= python3
PIP := $(PYTHON) -m pip
TORCH_LOCAL := torch==2.13.0
TEST_FLAGS ?=
DEMO_FLAGS ?=
DOCS_FLAGS ?=
DOCS_OPTS ?= --keep-going
export PIP_ROOT_USER_ACTION := ignore
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help install install-docs demo test docs docs-check explorer-check clean-check readme clean ref-venv compare compare-registration compare-geometry foreign-venv foreign-benchmark foreign-views engines-venv compare-engines benchmark-torch

help:
	@echo "make install      install diffdrr (editable) with the dev extra"
	@echo "make demo         install, then render the seed example (and the shared CT, or DEMO_FLAGS=\"--ct PATH\") to a PNG"
	@echo "make test         install, then run every notebook (nbdev_test) and tests/ (pytest)"
	@echo "make docs         install the docs extra, execute the notebooks, build _build/html"
	@echo "make docs-check   open the built site in headless Chromium and check it"
	@echo "make explorer-check  serve the explorer tutorial with Voila and drive it in headless Chromium"
	@echo "make clean-check  fail if nbdev_clean, nbdev_export or make readme change the tree"
	@echo "make readme       regenerate README.md from nbs/index.ipynb"
	@echo "make compare      time our renderers beside DiffDRR 0.6.1 and nanodrr 0.1.7 (their venv: REF_VENV)"
	@echo "make compare-registration  our register beside DiffDRR 0.6.1's registration on the same problems (slow)"
	@echo "make compare-geometry  our pose/detector converters: the same views rendered by DiffDRR 0.6.1 and nanodrr 0.1.7 (corr > 0.999)"
	@echo "make foreign-benchmark  register X-rays made by plastimatch and independent degradations (no diffdrr code), scored independently (slow)"
	@echo "make foreign-views      the same, one view against two views of one patient (90 and 30 degrees apart) (slow)"
	@echo "make compare-engines  time our CPU renderers beside plastimatch's drr and RTK's Joseph projector on the chest CT, and compare the images (their venv: ENGINES_VENV)"
	@echo "make benchmark-torch  time our PyTorch backend beside nanodrr 0.1.7's PyTorch renderer on the chest CT, before and after a change (their venv: REF_VENV)"

install:
	@if ! $(PYTHON) -c "import torch" >/dev/null 2>&1; then \
	  if $(PIP) install --dry-run --no-index --no-deps --quiet "$(TORCH_LOCAL)" >/dev/null 2>&1; then \
	    echo "PyTorch is not installed; installing the local wheel $(TORCH_LOCAL)"; \
	    $(PIP) install "$(TORCH_LOCAL)" || exit 1; \
	  else \
	    echo "PyTorch is not installed; pip will choose a build for this platform"; \
	  fi; \
	fi
	$(PIP) install --quiet -e ".[dev]"
	@$(PYTHON) -c "import torch, diffdrr; print('diffdrr', diffdrr.__version__, 'with torch', torch.__version__)"

install-docs: install
	$(PIP) install --quiet -e ".[dev,docs]"

demo: install
	$(PYTHON) -m diffdrr.tools.demo $(DEMO_FLAGS)

test: install
	$(PYTHON) scripts/run_tests.py --flags "$(TEST_FLAGS)"

docs: install-docs
	$(PYTHON) scripts/build_docs.py --flags "$(DOCS_FLAGS)" $(DOCS_OPTS)

docs-check:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
	  echo "installing Debian's chromium and chromium-driver"; \
	  $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium chromium-driver || exit 1; \
	fi
	@$(PYTHON) -c "import selenium" >/dev/null 2>&1 || $(PIP) install --quiet "selenium>=4.10"
	$(PYTHON) scripts/check_docs.py

explorer-check: install
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
	  echo "installing Debian's chromium and chromium-driver"; \
	  $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium chromium-driver || exit 1; \
	fi
	@$(PYTHON) -c "import voila, ipykernel, selenium, ipywidgets" >/dev/null 2>&1 || \
	  $(PIP) install --quiet "voila>=0.5" "ipykernel>=6" "selenium>=4.10" "ipywidgets>=8.0"
	$(PYTHON) scripts/check_explorer.py

clean-check: install
	bash scripts/check_clean.sh "$(PYTHON)"

readme:
	$(PYTHON) scripts/make_readme.py

clean:
	rm -rf _build _proc _docs

# `make compare`: scripts/compare_libraries.py times our renderers beside DiffDRR 0.6.1 and nanodrr 0.1.7.
# Theirs live in a separate venv (their package is also named `diffdrr`), REF_VENV, built or repaired here
# when DiffDRR 0.6.1 (with its `diffdrr.metrics`, which imports torchvision) or nanodrr cannot be imported
# from outside the repository; no system site packages. DiffDRR needs torchvision, and PyPI's torchvision
# wheels are CUDA builds linked against PyPI's CUDA build of the same torch (torchvision 0.28.0 pairs with
# torch 2.13.0): beside the local CPU-only wheel 2.13.0+cpu its operators fail to load ("operator
# torchvision::nms does not exist"), and no CPU build of torchvision is on the package indexes here. So the
# reference venv gets PyPI's build of the same torch release as ours, pinned with `===` (which, unlike `==`,
# does not match the local 2.13.0+cpu), with its matching torchvision; it runs on the CPU like ours (about
# 3 GB of CUDA libraries are installed and never used). The two releases come from REF_WHEELS (or PyPI).
REF_VENV ?= $(abspath ..)/venv-ref
REF_WHEELS ?= /tmp/pkgs
REF_TORCH := torch===2.13.0
REF_TORCHVISION := torchvision==0.28.0
REF_PKGS := $(or $(wildcard $(REF_WHEELS)/diffdrr-0.6.1-py3-none-any.whl),diffdrr==0.6.1) \
            $(or $(wildcard $(REF_WHEELS)/nanodrr-0.1.7-py3-none-any.whl),nanodrr==0.1.7)
REF_CHECK := import torch, torchvision, torchvision.ops, diffdrr, diffdrr.metrics, diffdrr.registration, nanodrr; \
             assert diffdrr.__version__ == "0.6.1", diffdrr.__file__; \
             print("$(REF_VENV): DiffDRR", diffdrr.__version__, "with torch", torch.__version__, "and torchvision", torchvision.__version__)

ref-venv:
	@if ! (cd /tmp && $(REF_VENV)/bin/python -c '$(REF_CHECK)') >/dev/null 2>&1; then \
	  echo "building $(REF_VENV) (DiffDRR 0.6.1, nanodrr 0.1.7, $(REF_TORCH), $(REF_TORCHVISION))"; \
	  { [ -x $(REF_VENV)/bin/python ] || $(PYTHON) -m venv $(REF_VENV); } && \
	  $(REF_VENV)/bin/pip install --quiet "$(REF_TORCH)" "$(REF_TORCHVISION)" && \
	  $(REF_VENV)/bin/pip install --quiet "$(REF_TORCH)" "$(REF_TORCHVISION)" $(REF_PKGS) || exit 1; \
	fi
	@cd /tmp && $(REF_VENV)/bin/python -c '$(REF_CHECK)'

compare: install ref-venv
	$(PYTHON) scripts/compare_libraries.py --ref-python $(REF_VENV)/bin/python

compare-registration: install ref-venv
	$(PYTHON) scripts/compare_registration.py --ref-python $(REF_VENV)/bin/python

compare-geometry: install ref-venv
	$(PYTHON) scripts/compare_geometry.py --ref-python $(REF_VENV)/bin/python

# `make foreign-benchmark`: the cross-renderer registration benchmark of the registration page. scripts/foreign_xrays.py makes
# the X-rays in FOREIGN_VENV (numpy, scipy, nibabel and plastimatch 1.10's `drr` from PyPI; no torch, no diffdrr), from the
# shared chest CT; scripts/register_foreign.py registers them through diffdrr's public API (`register_xray`); the score is
# computed in FOREIGN_VENV again, against the generator's own ground truth, and written beside the registration page.
FOREIGN_VENV ?= $(abspath ..)/venv-foreign
FOREIGN_DATA ?= /tmp/diffdrr-foreign
SHARED ?= $(or $(DIFFDRR_SHARED),$(abspath ..)/shared)
FOREIGN_CT := --ct $(SHARED)/data/chest_ct_lidc0001.nii.gz

foreign-venv:
	@if ! $(FOREIGN_VENV)/bin/python -c "import numpy, scipy, nibabel" >/dev/null 2>&1 || [ ! -x $(FOREIGN_VENV)/bin/plastimatch ]; then \
	  echo "building $(FOREIGN_VENV) (plastimatch 1.10.0, numpy, scipy, nibabel)"; \
	  { [ -x $(FOREIGN_VENV)/bin/python ] || $(PYTHON) -m venv $(FOREIGN_VENV); } && \
	  $(FOREIGN_VENV)/bin/pip install --quiet "plastimatch==1.10.0" numpy scipy nibabel || exit 1; \
	fi

foreign-benchmark: install foreign-venv
	$(FOREIGN_VENV)/bin/python scripts/foreign_xrays.py make $(FOREIGN_CT) --labels $(SHARED)/data/chest_ct_lidc0001_labels.nii.gz \
	  --labels-csv $(SHARED)/data/chest_ct_lidc0001_labels.csv --out $(FOREIGN_DATA) --n 50 --held-out 16
	$(PYTHON) scripts/register_foreign.py --data $(FOREIGN_DATA) $(FOREIGN_CT) --method local --out $(FOREIGN_DATA)/local.json
	$(PYTHON) scripts/register_foreign.py --data $(FOREIGN_DATA) $(FOREIGN_CT) --method global --out $(FOREIGN_DATA)/global.json
	$(PYTHON) scripts/register_foreign.py --data $(FOREIGN_DATA) $(FOREIGN_CT) --method local --config defaults --problems 0-49 --out $(FOREIGN_DATA)/defaults.json
	$(FOREIGN_VENV)/bin/python scripts/foreign_xrays.py score --out $(FOREIGN_DATA) --results $(FOREIGN_DATA)/local.json \
	  $(FOREIGN_DATA)/global.json $(FOREIGN_DATA)/defaults.json --json nbs/tutorials/foreign_results.json

# `make foreign-views`: the multi-view table of the registration page: 15 patients seen by three plastimatch views (0, 90 and
# 30 degrees, each degraded independently); view 0 alone (`register_xray`) against views 0 + 90 and 0 + 30 (`register_views`).
foreign-views: install foreign-venv
	$(FOREIGN_VENV)/bin/python scripts/foreign_xrays.py make-views $(FOREIGN_CT) --labels $(SHARED)/data/chest_ct_lidc0001_labels.nii.gz \
	  --labels-csv $(SHARED)/data/chest_ct_lidc0001_labels.csv --out $(FOREIGN_DATA)-views --n 15
	$(PYTHON) scripts/register_views.py --data $(FOREIGN_DATA)-views $(FOREIGN_CT) --single first --threads 2 --out $(FOREIGN_DATA)-views/views.json
	$(FOREIGN_VENV)/bin/python scripts/foreign_xrays.py score-views --out $(FOREIGN_DATA)-views --results $(FOREIGN_DATA)-views/views.json

# `make compare-engines`: scripts/compare_engines.py times our numba renderers (Siddon, trilinear) beside two CPU engines,
# plastimatch 1.10's `drr` and RTK 2.7's Joseph forward projector, on the shared chest CT at 200, 400 and 1000 pixels square,
# every engine handed the same 3x4 P and the same threads, interleaved; and compares the images (also on the CT padded with
# air). The foreign engines run in ENGINES_VENV (plastimatch and itk-rtk from PyPI, numpy, nibabel; no torch, no diffdrr),
# built here; ENGINES_FLAGS passes options (e.g. --uniform, --repeats 9, --json out.json).
ENGINES_VENV ?= $(abspath ..)/venv-engines
ENGINES_FLAGS ?=
ENGINES_PKGS := "plastimatch==1.10.0" "itk-rtk==2.7.0.post1" numpy nibabel
ENGINES_CHECK := import numpy, nibabel, importlib.metadata as m; \
                 assert m.version("plastimatch") == "1.10.0" and m.version("itk-rtk") == "2.7.0.post1"

engines-venv:
	@if ! $(ENGINES_VENV)/bin/python -c '$(ENGINES_CHECK)' >/dev/null 2>&1 || [ ! -x $(ENGINES_VENV)/bin/plastimatch ]; then \
	  echo "building $(ENGINES_VENV) (plastimatch 1.10.0, itk-rtk 2.7.0.post1, numpy, nibabel)"; \
	  { [ -x $(ENGINES_VENV)/bin/python ] || $(PYTHON) -m venv $(ENGINES_VENV); } && \
	  $(ENGINES_VENV)/bin/pip install --quiet $(ENGINES_PKGS) || exit 1; \
	fi

compare-engines: install engines-venv
	$(PYTHON) scripts/compare_engines.py --engines-python $(ENGINES_VENV)/bin/python --ct $(SHARED)/data/chest_ct_lidc0001.nii.gz $(ENGINES_FLAGS)

# `make benchmark-torch`: scripts/benchmark_torch_backend.py times our PyTorch backend (DRR(backend="torch"), Siddon and
# trilinear) beside nanodrr 0.1.7's PyTorch renderer (in REF_VENV) on the chest CT at 200 x 200: the forward render and the
# backward pass to the pose and to the volume, 2 threads, interleaved call by call, our package before (a git revision, in
# a temporary folder) and after a change (this working tree). TORCH_BENCH_FLAGS passes options (--repeats 5, --before REV, ...).
TORCH_BENCH_FLAGS ?=

benchmark-torch: install ref-venv
	$(PYTHON) scripts/benchmark_torch_backend.py --ref-python $(REF_VENV)/bin/python $(TORCH_BENCH_FLAGS)
