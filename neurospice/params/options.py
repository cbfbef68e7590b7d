"""Simulator options: the ``.options`` line of every deck, validated like circuit parameters,
and the named accuracy presets (``--accuracy fast|default|reference|legacy``).

A description, not a run: circuits write it into their decks, the engine and Monte Carlo runs
record it in their provenance.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from . import ParameterError

__all__ = [
    "ACCURACY",
    "ACCURACY_NAMES",
    "ENGINES",
    "VACASK_ACCURACY",
    "EngineName",
    "SimOptions",
    "accuracy",
    "accuracy_name",
    "default_mismatch",
    "default_options",
    "presets",
]

#: Simulation engines: ngspice (the default, in-process) and VACASK (optional: ``neurospice[vacask]``).
EngineName = Literal["ngspice", "vacask"]
ENGINES: tuple[EngineName, ...] = ("ngspice", "vacask")

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
        Integration method. Trapezoidal (the default) with ``trtol=2`` and ``bypass`` is both
        faster than gear and closer to the reference on the spike times of the DPI neuron
        (``benchmarks/spike_accuracy.py``; the table is in docs/benchmarks/). Gear damps the ringing
        trapezoidal integration can show on fast positive feedback; the ``legacy`` and
        ``reference`` presets use it.
    points : int
        Transient output step = tstop/points, which ngspice also uses as the largest time step.
        5000 keeps a DPI synapse's peak within 0.06 % and tau within 0.001 % of a reltol=1e-6
        reference; 50 lets ngspice choose its steps (2.5x faster on a 200 ms synapse, tau within
        0.2 %, but the sampled peak 2 % low). The spiking neuron's cost does not depend on it.
    trtol : float
        ngspice's truncation-error overestimate factor (its default 7): smaller is more careful.
    bypass : bool
        Let ngspice skip re-evaluating a device whose terminal voltages did not move (``bypass=1``).
    max_step : float or None
        Upper bound (s) on the output step: the step is ``min(tstop/points, max_step)``.
    xmu : float
        ngspice's trapezoidal weight (its default 0.5, pure trapezoidal; written only with
        ``method="trap"``). 0.49 damps the ringing trapezoidal integration can start on a node that
        only leakage holds (the DPI neuron's adaptation tail with I_ahw = 0, switched by a fast
        acknowledge): at 0.5 one sample of the precision study stopped with "timestep too small",
        at 0.49 it runs, and the default neuron's steady rate moves by 0.01 % (closer to reference).
    """

    gmin: float = 1e-15
    abstol: float = 1e-15
    chgtol: float = 1e-16
    reltol: float = 1e-4
    method: Literal["gear", "trap"] = "trap"
    points: int = 5000
    trtol: float = 2.0
    bypass: bool = True
    max_step: float | None = None
    xmu: float = 0.49

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
        trtol = self.trtol
        if isinstance(trtol, bool) or not isinstance(trtol, (int, float)) or not 0.1 <= trtol <= 100:
            raise ParameterError("trtol", f"got {trtol!r}; accepted: a number in [0.1, 100]")
        if not isinstance(self.bypass, bool):
            raise ParameterError("bypass", f"got {self.bypass!r}; accepted: true, false")
        xmu = self.xmu
        if isinstance(xmu, bool) or not isinstance(xmu, (int, float)) or not 0 < xmu <= 0.5:
            raise ParameterError("xmu", f"got {xmu!r}; accepted: a number in (0, 0.5]")
        step = self.max_step
        if step is not None and (isinstance(step, bool) or not isinstance(step, (int, float)) or not 0 < step <= 1):
            raise ParameterError("max_step", f"got {step!r}; accepted: none or a number in (0, 1] s")

    def step(self, tstop: float) -> float:
        """The transient's output step (s) for a run of ``tstop`` seconds."""
        step = tstop / self.points
        return step if self.max_step is None else min(step, self.max_step)

    def spice(self) -> str:
        """The ``.options`` line."""
        return (
            f".options gmin={self.gmin!r} abstol={self.abstol!r} chgtol={self.chgtol!r} "
            f"reltol={self.reltol!r} method={self.method} trtol={self.trtol!r} bypass={int(self.bypass)}"
            + (f" xmu={self.xmu!r}" if self.method == "trap" else "")
        )


#: Named accuracy presets (``--accuracy``). Each one's spike-time error against ``reference`` and
#: its cost are measured by ``benchmarks/spike_accuracy.py`` (table in docs/benchmarks/).
ACCURACY: dict[str, SimOptions] = {
    "fast": dataclasses.replace(SimOptions(), trtol=7.0),
    "default": SimOptions(),
    "reference": SimOptions(
        method="gear", reltol=1e-7, abstol=1e-16, chgtol=1e-18, trtol=7.0, bypass=False, max_step=2e-6
    ),
    # the default before xmu was set (pure trapezoidal, ngspice's xmu = 0.5): runs made with it then resume with it
    "undamped": dataclasses.replace(SimOptions(), xmu=0.5),
    # the defaults before trapezoidal integration was measured to be both faster and closer to
    # the reference: runs made then resume, and reproduce, with this preset. Spelled out in full
    # so that a later change of the defaults does not change it.
    "legacy": SimOptions(
        gmin=1e-15,
        abstol=1e-15,
        chgtol=1e-16,
        reltol=1e-4,
        method="gear",
        points=5000,
        trtol=7.0,
        bypass=False,
        xmu=0.5,
    ),
}

#: What the options older manifests do not record were then: the legacy preset's (ngspice's own defaults).
IMPLICIT = {name: getattr(ACCURACY["legacy"], name) for name in ("trtol", "bypass", "max_step", "xmu")}


#: VACASK's presets (``--engine vacask``), chosen on its own measured frontier: the same names, other
#: numbers, because its truncation-error control and Newton iterations are not ngspice's (VACASK at
#: reltol 1e-4 is slower than at 1e-3 and no closer to the reference: docs/benchmarks/). ``trtol`` is
#: written as VACASK's ``tran_lteratio`` and ``bypass`` as ``nr_bypass``. There is no ``legacy``.
VACASK_ACCURACY: dict[str, SimOptions] = {
    "fast": SimOptions(reltol=1e-3, trtol=7.0, bypass=True),
    "default": SimOptions(reltol=1e-3),
    "reference": SimOptions(reltol=1e-5, trtol=2.0, bypass=False, max_step=2e-6),
}


def default_mismatch(engine: str) -> Literal["pdk", "pelgrom"]:
    """The mismatch mode a run on ``engine`` uses when none is given: ``pdk`` on ngspice, ``pelgrom`` on VACASK
    (the PDK's own draws happen inside ngspice's parser)."""
    return "pelgrom" if engine == "vacask" else "pdk"


#: every preset name of any engine (which engine has which: :func:`presets`)
ACCURACY_NAMES = tuple(dict.fromkeys([*ACCURACY, *VACASK_ACCURACY]))


def presets(engine: str = "ngspice") -> dict[str, SimOptions]:
    """The accuracy presets of ``engine`` (``ngspice`` or ``vacask``)."""
    return VACASK_ACCURACY if engine == "vacask" else ACCURACY


def accuracy(name: str, engine: str = "ngspice") -> SimOptions:
    """The options of ``engine``'s accuracy preset ``name``; :class:`ParameterError` naming ``accuracy`` otherwise."""
    table = presets(engine)
    if not isinstance(name, str) or name not in table:
        raise ParameterError("accuracy", f"got {name!r}; accepted: {', '.join(table)}")
    return table[name]


def default_options(engine: str = "ngspice") -> SimOptions:
    """The options a run on ``engine`` uses when none are given (its ``default`` preset)."""
    return presets(engine)["default"]


def accuracy_name(options: SimOptions, engine: str = "ngspice") -> str:
    """The preset of ``engine`` that ``options`` equal, or ``custom``."""
    return next((name for name, preset in presets(engine).items() if preset == options), "custom")
