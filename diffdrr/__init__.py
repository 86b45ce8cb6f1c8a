"""Auto-differentiable digitally reconstructed radiographs in PyTorch.

`import diffdrr as dd` gives the names a user needs (`dd.__all__`; the API overview page lists them), each imported
from its module on first use, so that `import diffdrr` itself loads neither PyTorch nor any optional extra. Every
other public name stays in its module (`diffdrr.geometry`, `diffdrr.metrics`, ...), which `dd.<module>` also reaches.
This file is written by hand: nbdev keeps only the version line up to date.
"""

__version__ = "0.4.0"

# the root names, in the order of the API overview page (nbs/api/000_overview.ipynb), each with the module defining it
_HOME = {
    # reading data
    "read": "data", "load_example_ct": "data", "read_xray": "xray", "Volume": "volume",
    # rendering
    "DRR": "drr", "Detector": "detector", "render_rays": "render",
    # poses and cameras
    "make_pose": "geometry", "pose_to_parameters": "geometry", "seed_to_pose": "geometry", "pose_to_seed": "geometry",
    "carm_to_pose": "geometry", "pose_to_carm": "geometry", "projection_matrix": "detector", "from_projection_matrix": "detector",
    # similarities
    "normalized_cross_correlation": "metrics", "multiscale_ncc": "metrics", "gradient_ncc": "metrics", "mutual_information": "metrics",
    # registration
    "register": "registration", "register_xray": "xray_registration", "global_register": "search", "register_views": "multiview",
    "RegistrationSettings": "registration", "RegistrationResult": "registration",
    # plots
    "plot_drr": "visualization", "plot_overlay": "visualization", "plot_scene": "visualization", "animate": "visualization",
    "explore": "explorer",
}
__all__ = list(_HOME)


def __getattr__(name: str):
    "A root name, imported from its module on first use (then kept here); or a submodule, imported."
    from importlib import import_module
    from importlib.util import find_spec

    if name in _HOME:
        value = getattr(import_module(f"{__name__}.{_HOME[name]}"), name)
    elif not name.startswith("_") and find_spec(f"{__name__}.{name}") is not None:
        value = import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


from typing import TYPE_CHECKING as _TYPE_CHECKING  # noqa: E402

if _TYPE_CHECKING:  # what static tools (type checkers, editors) see: the same names, imported eagerly
    from .data import load_example_ct, read
    from .detector import Detector, from_projection_matrix, projection_matrix
    from .render import render_rays
    from .drr import DRR
    from .explorer import explore
    from .geometry import carm_to_pose, make_pose, pose_to_carm, pose_to_parameters, pose_to_seed, seed_to_pose
    from .metrics import gradient_ncc, multiscale_ncc, mutual_information, normalized_cross_correlation
    from .multiview import register_views
    from .registration import RegistrationResult, RegistrationSettings, register
    from .search import global_register
    from .visualization import animate, plot_drr, plot_overlay, plot_scene
    from .volume import Volume
    from .xray import read_xray
    from .xray_registration import register_xray
