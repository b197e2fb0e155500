"""steppe: freight and energy corridor modelling.

The public API is pandas-first: build or load a :class:`~steppe.model.Network` and a
:class:`~steppe.model.Demand`, then call :func:`steppe.assign.assign`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("steppe")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
