"""neurospice: subthreshold analog neuromorphic circuits in ngspice.

Layers, each importing only from the ones before it: :mod:`neurospice.analysis` (pure
functions); circuits, netlists and technologies (:mod:`neurospice.circuits`,
:mod:`neurospice.ngspice_models`) describe; :mod:`neurospice.store` keeps runs on disk; the
engine, simulation, Monte Carlo and studies run ngspice; :mod:`neurospice.present.report` and
:mod:`neurospice.present.plot` draw stored runs; :mod:`neurospice.cli` is the command line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "characterize",
    "design_sweep",
    "estimate_run",
    "get_circuit",
    "get_technology",
    "load_dataset",
    "load_run",
    "load_sweep",
    "monte_carlo",
    "precision_budget",
    "simulate",
    "stopping_rule",
]

if TYPE_CHECKING:  # pragma: no cover
    from .circuits import get_circuit
    from .montecarlo import load_run, monte_carlo
    from .ngspice_models import get_technology
    from .sim.characterization import characterize
    from .sim.simulation import simulate
    from .studies.budget import precision_budget
    from .studies.design import design_sweep, load_dataset, load_sweep
    from .studies.estimate import estimate_run, stopping_rule


def __getattr__(name: str) -> Any:
    """Import the public API lazily, so `import neurospice` does not load ngspice or sympy."""
    if name == "simulate":
        from .sim.simulation import simulate

        return simulate
    if name in ("monte_carlo", "load_run"):
        from . import montecarlo

        return getattr(montecarlo, name)
    if name in ("design_sweep", "load_dataset", "load_sweep"):
        from .studies import design

        return getattr(design, name)
    if name == "precision_budget":
        from .studies.budget import precision_budget

        return precision_budget
    if name in ("estimate_run", "stopping_rule"):
        from .studies import estimate

        return getattr(estimate, name)
    if name == "characterize":
        from .sim.characterization import characterize

        return characterize
    if name == "get_circuit":
        from .circuits import get_circuit

        return get_circuit
    if name == "get_technology":
        from .ngspice_models import get_technology

        return get_technology
    raise AttributeError(name)
