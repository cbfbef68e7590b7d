"""Provenance: what produced a result (library and simulator versions, technology files, options, seeds)."""

from __future__ import annotations

import dataclasses
import platform
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..ngspice_models import Technology
    from ..options import SimOptions

__all__ = ["provenance_record", "versions"]


def versions(ngspice: str | None = None) -> dict[str, str]:
    """Versions of neurospice, the libraries on the simulation path, Python and (when known) ngspice."""
    import numpy
    import pandas
    import PySpice

    from .. import __version__

    found = {"neurospice": __version__, "pyspice": PySpice.__version__, "numpy": numpy.__version__,
             "pandas": pandas.__version__, "python": platform.python_version()}  # fmt: skip
    if ngspice:
        found["ngspice"] = ngspice
    return found


def provenance_record(
    tech: Technology, options: SimOptions, ngspice: str | None = None, **extra: Any
) -> dict[str, Any]:
    """One record for a run: the technology with its model files' SHA-256, versions, options, and ``extra``."""
    from ..options import accuracy_name

    return {
        **tech.provenance(),
        "versions": versions(ngspice),
        "options": dataclasses.asdict(options),
        "accuracy": accuracy_name(options),
        **extra,
    }
