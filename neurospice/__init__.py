"""neurospice: subthreshold analog neuromorphic circuits in ngspice.

Circuits (:mod:`neurospice.circuits`) and technologies (:mod:`neurospice.ngspice_models`)
describe; the engine (:mod:`neurospice.engine`, :mod:`neurospice.simulation`) runs ngspice;
:mod:`neurospice.analysis` is pure numpy; :mod:`neurospice.cli` is the command line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["characterize", "get_circuit", "get_technology", "load_run", "monte_carlo", "simulate"]

if TYPE_CHECKING:  # pragma: no cover
    from .characterization import characterize
    from .circuits import get_circuit
    from .montecarlo import load_run, monte_carlo
    from .ngspice_models import get_technology
    from .simulation import simulate


def __getattr__(name: str) -> Any:
    """Import the public API lazily, so `import neurospice` does not load ngspice or sympy."""
    if name == "simulate":
        from .simulation import simulate

        return simulate
    if name in ("monte_carlo", "load_run"):
        from . import montecarlo

        return getattr(montecarlo, name)
    if name == "characterize":
        from .characterization import characterize

        return characterize
    if name == "get_circuit":
        from .circuits import get_circuit

        return get_circuit
    if name == "get_technology":
        from .ngspice_models import get_technology

        return get_technology
    raise AttributeError(name)
