"""Simulator options: the ``.options`` line of every deck, validated like circuit parameters.

A description, not a run: circuits write it into their decks, the engine and Monte Carlo runs
record it in their provenance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .params import ParameterError

__all__ = ["SimOptions"]

_OPTION_RANGES = {"gmin": 1e-3, "abstol": 1e-3, "chgtol": 1e-6, "reltol": 0.1}


@dataclass(frozen=True)
class SimOptions:
    """Simulator options for subthreshold circuits (written as one ``.options`` line).

    Attributes
    ----------
    gmin : float
        Conductance (S) ngspice puts across every junction. ngspice's default 1e-12 S leaves a
        current floor near 0.5 pA; 1e-15 S keeps it near femtoamperes.
    abstol : float
        Absolute current tolerance (A). The default 1 pA is the size of the signals here;
        1 fA resolves them to 0.1 %.
    chgtol : float
        Charge tolerance (C) for truncation error: 1.5 pF moving 1 mV holds 1.5 fC.
    reltol : float
        Relative tolerance.
    method : {"gear", "trap"}
        Integration method; gear does not ring on fast positive feedback (spiking neurons).
    points : int
        Transient output step = tstop/points, which ngspice also uses as the largest time step.
        5000 keeps a DPI synapse's peak within 0.06 % and tau within 0.001 % of a reltol=1e-6
        reference; 50 lets ngspice choose its steps (2.5x faster on a 200 ms synapse, tau within
        0.2 %, but the sampled peak 2 % low). The spiking neuron's cost does not depend on it.
    """

    gmin: float = 1e-15
    abstol: float = 1e-15
    chgtol: float = 1e-16
    reltol: float = 1e-4
    method: Literal["gear", "trap"] = "gear"
    points: int = 5000

    def __post_init__(self) -> None:
        """Refuse anything that is not a finite positive tolerance, a known method, a whole point count."""
        for name, high in _OPTION_RANGES.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= high:
                raise ParameterError(name, f"got {value!r}; accepted: a number in (0, {high:g}]")
        if self.method not in ("gear", "trap"):
            raise ParameterError("method", f"got {self.method!r}; accepted: gear, trap")
        points = self.points
        if isinstance(points, bool) or not isinstance(points, int) or not 10 <= points <= 10_000_000:
            raise ParameterError("points", f"got {points!r}; accepted: a whole number in [10, 10000000]")

    def spice(self) -> str:
        """The ``.options`` line."""
        return (
            f".options gmin={self.gmin!r} abstol={self.abstol!r} chgtol={self.chgtol!r} "
            f"reltol={self.reltol!r} method={self.method}"
        )
