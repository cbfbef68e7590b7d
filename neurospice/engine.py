"""Run decks in ngspice's shared library (through PySpice's ``NgSpiceShared``).

One engine per process: libngspice keeps global state, so :func:`get_engine` hands out a
single :class:`Engine`; parallel work uses processes. The engine sets ngspice's OpenMP to one
thread before any circuit is loaded (the Debian build defaults to two, and two processes on
two cores then run about 100x slower), checks every load for ngspice's own error messages,
turns failed analyses into :class:`SimulationError` carrying ngspice's output, and returns
vectors as float64 numpy arrays in SI units.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from .params import ParameterError

__all__ = ["Engine", "NetlistError", "SimOptions", "SimulationError", "get_engine"]

Vectors = dict[str, NDArray[np.float64]]

# Messages ngspice prints without making the call fail, that mean the analysis did not finish.
# (intermediate messages such as "Dynamic gmin stepping failed" are followed by other methods)
_FAILURE = re.compile(r"timestep too small|simulation\(s\) aborted|iteration limit reached|fatal error", re.IGNORECASE)
_LOAD_ERROR = re.compile(r"error|unknown subckt|could not find|unable to find|no such file", re.IGNORECASE)


class SimulationError(RuntimeError):
    """ngspice refused a deck or an analysis failed; ``output`` holds ngspice's own messages."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(f"{message}\n{output}".strip())
        self.output = output


class NetlistError(SimulationError):
    """ngspice could not load the deck (syntax, missing model or subcircuit, bad value)."""


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


class Engine:
    """The process's ngspice shared library. Use :func:`get_engine`, not this constructor."""

    def __init__(self) -> None:
        if "NGSPICE_LIBRARY_PATH" not in os.environ:
            soname = ctypes.util.find_library("ngspice")
            if soname is None:
                raise SimulationError("libngspice not found: install Debian's ngspice libngspice0 libngspice0-dev")
            os.environ["NGSPICE_LIBRARY_PATH"] = soname
        for name in ("PySpice", "PySpice.Spice.NgSpice.Shared"):
            logging.getLogger(name).setLevel(logging.CRITICAL + 1)
        from PySpice.Spice.NgSpice.Shared import NgSpiceShared

        self._ng: Any = NgSpiceShared.new_instance()
        self._command("set num_threads=1")
        self.library_path: str = os.environ["NGSPICE_LIBRARY_PATH"]
        self.version: str = self._version()
        self._loaded = False

    def _version(self) -> str:
        text = self._command("version -f")
        match = re.search(r"ngspice-(\S+)", text)
        return match.group(1) if match else "unknown"

    def _output(self) -> str:
        return "\n".join([*self._ng._stdout, *self._ng._stderr])

    def _command(self, command: str) -> str:
        from PySpice.Spice.NgSpice.Shared import NgSpiceCommandError

        try:
            return str(self._ng.exec_command(command))
        except NgSpiceCommandError:
            raise SimulationError(f"ngspice command {command!r} failed", self._output()) from None

    def load(self, deck: str) -> None:
        """Load ``deck`` (replacing any loaded circuit); raise :class:`NetlistError` with ngspice's messages."""
        from PySpice.Spice.NgSpice.Shared import NgSpiceCircuitError

        self._clear()
        try:
            self._ng.load_circuit(deck)
        except NgSpiceCircuitError:
            raise NetlistError("ngspice could not load the netlist", self._output()) from None
        errors = [ln for ln in self._ng._stderr if _LOAD_ERROR.search(ln) and not ln.startswith("Warning")]
        errors += [ln for ln in self._ng._stdout if _LOAD_ERROR.search(ln)]
        if errors or not self._ng.plot_names:
            raise NetlistError("ngspice could not load the netlist", self._output())
        self._loaded = True

    def run(self, command: str = "run") -> Vectors:
        """Run the loaded deck's analysis (or ``command``) and return the new plot's vectors."""
        if not self._loaded:
            raise SimulationError("no circuit loaded")
        from PySpice.Spice.NgSpice.Shared import NgSpiceCommandError

        before = set(self._ng.plot_names)
        # PySpice calls any stderr line an error, ngspice's "Note:" lines included: judge the output ourselves
        with contextlib.suppress(NgSpiceCommandError):
            self._ng.exec_command(command)
        after = self._ng.plot_names
        text = self._output()
        if _FAILURE.search(text) or not set(after) - before:
            raise SimulationError(f"ngspice analysis {command!r} failed", text.strip())
        return self.vectors(after[0])

    def vectors(self, plot: str) -> Vectors:
        """All vectors of ``plot`` as real float64 arrays, keyed by ngspice's lower-case names."""
        data = self._ng.plot(None, plot)
        return {name.lower(): np.real(np.asarray(vec._data)).astype(np.float64) for name, vec in data.items()}

    def simulate(self, deck: str) -> Vectors:
        """Load ``deck`` and run it."""
        self.load(deck)
        return self.run()

    def command(self, command: str) -> str:
        """Run a validated ngspice control command (``alter``, ``setseed``, ``reset``...)."""
        return self._command(command)

    def _clear(self) -> None:
        if self._loaded:
            self._command("destroy all")
            self._command("remcirc")
            self._loaded = False
        self._ng.clear_output()


_ENGINE: Engine | None = None


def engine_loaded() -> bool:
    """Whether this process has started libngspice (a forked child would inherit its state)."""
    return _ENGINE is not None


def get_engine() -> Engine:
    """The process's single :class:`Engine`, created on first use."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = Engine()
    return _ENGINE


def select(vectors: Mapping[str, NDArray[np.float64]], name: str) -> NDArray[np.float64]:
    """Vector ``name`` or a :class:`KeyError` listing what exists."""
    try:
        return vectors[name.lower()]
    except KeyError:
        raise KeyError(f"no vector {name!r}; have {sorted(vectors)}") from None
