"""What every engine shares: the errors it raises, the protocol it follows, and how a worker process dies with its
parent. An engine module (:mod:`.ngspice`, :mod:`.vacask`) imports this; the registry (:mod:`neurospice.engines`)
imports the engines lazily, so no engine knows another."""

from __future__ import annotations

import contextlib
import ctypes
import signal
from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

__all__ = ["NetlistError", "SimEngine", "SimulationError", "Vectors", "die_with_parent", "select"]

Vectors = dict[str, NDArray[np.float64]]


class SimulationError(RuntimeError):
    """ngspice refused a deck or an analysis failed; ``output`` holds ngspice's own messages."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(f"{message}\n{output}".strip())
        self.output = output


class NetlistError(SimulationError):
    """ngspice could not load the deck (syntax, missing model or subcircuit, bad value)."""


def die_with_parent() -> None:
    """Ask Linux to SIGKILL the calling process when its parent dies (``prctl(PR_SET_PDEATHSIG)``): a
    Monte Carlo worker, or a simulator process a worker started, must not outlive a killed parent.
    Elsewhere nothing (the callers have their own end-of-file or exit-code checks)."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: no prctl
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # 1: PR_SET_PDEATHSIG


class SimEngine(Protocol):
    """What runs a deck: :class:`Engine` (ngspice) or :class:`neurospice.engines.vacask.VacaskEngine`."""

    name: str
    version: str

    def load(self, deck: str, settings: tuple[str, ...] = (), tech: Any = None, options: Any = None) -> None: ...
    def run(self, command: str = "run") -> Vectors: ...
    def simulate(self, deck: str, settings: tuple[str, ...] = (), tech: Any = None, options: Any = None) -> Vectors: ...
    def command(self, command: str) -> str: ...
    def measure(self, analysis: str, command: str) -> float: ...


def select(vectors: Mapping[str, NDArray[np.float64]], name: str) -> NDArray[np.float64]:
    """Vector ``name`` or a :class:`KeyError` listing what exists."""
    try:
        return vectors[name.lower()]
    except KeyError:
        raise KeyError(f"no vector {name!r}; have {sorted(vectors)}") from None
