"""How a run is configured, as objects: what every run entry point takes besides the question it answers.

:func:`~neurospice.montecarlo.monte_carlo`, :func:`~neurospice.studies.design.design_sweep`,
:func:`~neurospice.studies.precision.precision_study` and
:func:`~neurospice.studies.budget.precision_budget` share the keywords of :class:`RunOptions`;
each validates them once into a :class:`RunConfig` (simulator settings, a :class:`RunFolder`,
an :class:`Execution`) and passes that inward. The keywords:

``tstop``
    Transient length (s); default the circuit's own.
``mismatch``
    ``pdk`` (the technology's statistical model) or ``pelgrom`` (offsets drawn here, stored);
    default ``pdk`` on ngspice, ``pelgrom`` on VACASK (which has no ``pdk`` mode).
``sampling``
    Pelgrom mode: ``random`` (each sample's own generator), ``lhs`` (Latin hypercube) or ``sobol``
    (scrambled Sobol'), :mod:`neurospice.montecarlo.sequential`; pdk mode is always random.
``options``, ``engine``
    Simulator options (default: the engine's ``default`` accuracy preset) and the engine
    (``ngspice``, or ``vacask`` when installed).
``out``, ``resume``
    Folder the run streams to (locked while written); ``resume=True`` completes an interrupted
    run there, running exactly the samples no readable part holds.
``workers``, ``client``
    Worker processes on this machine, 1..1024 (default: all cores), or a ``dask.distributed``
    client or scheduler address (then ``workers`` is ignored).
``progress``
    ``True`` shows a progress bar (samples done, failures, rate, time left; in Jupyter an HTML line
    updated in place: :class:`~neurospice.montecarlo.progress.ProgressDisplay`); a callable is called as
    ``progress(done, failed, total)`` after each stored sample; ``None`` or ``False`` (default) show nothing.
``timeout``, ``grace``
    Seconds one sample may take after its worker's set-up (local workers; the sample is then
    ``timeout``), and seconds running samples may take to finish after a first SIGINT.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from ..params import ParameterError
from ..params.options import EngineName, SimOptions
from .worker import MismatchMode

__all__ = ["Execution", "Progress", "RunConfig", "RunFolder", "RunOptions", "run_config"]

Progress = Callable[[int, int, int], None]


class RunOptions(TypedDict, total=False):
    """The keywords of a run entry point (see the module's documentation for each)."""

    tstop: float | None
    mismatch: MismatchMode | None
    sampling: str
    options: SimOptions | None
    engine: EngineName
    out: str | Path | None
    resume: bool
    workers: int | None
    client: Any
    progress: Progress | bool | None
    timeout: float | None
    grace: float


@dataclass(frozen=True)
class Execution:
    """Where a run's samples execute and how long they may take."""

    workers: int | None = None
    client: Any = None
    timeout: float | None = None
    grace: float = 5.0
    progress: Progress | bool | None = None


@dataclass(frozen=True)
class RunFolder:
    """Where a run streams its samples (None: kept in memory only), and whether it completes a run there."""

    out: Path | None = None
    resume: bool = False


@dataclass(frozen=True)
class RunConfig:
    """A run's validated configuration: simulator settings, its folder, its execution."""

    tstop: float | None = None
    mismatch: MismatchMode | None = None
    options: SimOptions | None = None
    engine: EngineName = "ngspice"
    folder: RunFolder = field(default_factory=RunFolder)
    execution: Execution = field(default_factory=Execution)
    sampling: str = "random"


def run_config(run: RunOptions, accepted: Collection[str] = RunOptions.__annotations__) -> RunConfig:
    """Validate the keywords ``run`` (only those in ``accepted``) into a :class:`RunConfig`;
    :class:`ParameterError` naming the keyword otherwise. Ranges of workers, timeout and grace
    are checked by the run itself (:func:`~neurospice.montecarlo.check_dispatch`)."""
    given: dict[str, Any] = dict(run)
    for name in given:
        if name not in accepted:
            raise ParameterError(name, f"not an option of this run; accepted: {', '.join(accepted)}")
    options = given.get("options")
    if options is not None and not isinstance(options, SimOptions):
        raise ParameterError("options", f"got {options!r}; accepted: a SimOptions")
    out = given.get("out")
    if out is not None and not isinstance(out, (str, Path)):
        raise ParameterError("out", f"got {out!r}; accepted: a folder path")
    folder = RunFolder(Path(out) if out is not None else None, bool(given.get("resume", False)))
    progress = given.get("progress")
    if progress is not None and not isinstance(progress, bool) and not callable(progress):
        raise ParameterError("progress", f"got {progress!r}; accepted: True, False, None or a callable")
    execution = Execution(
        given.get("workers"), given.get("client"), given.get("timeout"), given.get("grace", 5.0), given.get("progress")
    )
    engine = given.get("engine", "ngspice")  # checked against this machine by check_engine, before anything runs
    sampling = given.get("sampling", "random")  # checked against the mode by the run (check_sampling)
    return RunConfig(given.get("tstop"), given.get("mismatch"), options, engine, folder, execution, sampling)
