"""Run a study file: every value checked before anything runs (an error names the file's key and line),
then the sweep, Monte Carlo run or precision budget it describes, streamed to its folder and resumable.

Drawing what a study ran (its report, its plot) is the present layer's: the command line does it
after :func:`run_study` returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..analysis.specs import Spec
from ..circuits import Circuit, get_circuit
from ..engines import check_engine
from ..montecarlo import RUN_OPTIONS, monte_carlo
from ..montecarlo.config import Progress, RunOptions
from ..montecarlo.sequential import Stopping, check_sweep_estimator, parse_target
from ..ngspice_models import Technology, get_technology
from ..params import ParameterError
from ..params.grid import Grid
from ..params.options import accuracy
from ..params.specs import parse_spec, spec_from_table
from ..store import check_new_dir
from .budget import Targets, precision_budget
from .design import check_total, design_sweep
from .estimate import rule_with_models
from .studyfile import Study, StudyError

__all__ = ["StudyPlan", "plan_study", "run_study"]


@dataclass(frozen=True)
class StudyPlan:
    """A study checked against its circuit and technology, before anything runs."""

    study: Study
    folder: Path
    #: whether the folder already holds this study's run (running the file again completes it)
    resume: bool
    circuit: Circuit
    tech: Technology
    grid: Grid | None
    #: simulations it runs in all
    total: int
    #: its ``[specs]``, checked against the circuit's metrics
    specs: tuple[Spec, ...] = ()
    #: its ``[stopping]`` rule, checked (its cheap models built)
    stopping: Stopping | None = None


def _where(study: Study, exc: ParameterError, section: str) -> StudyError:
    """``exc`` as the study file's error: the key (``section.name`` when that key is in the file) and its line."""
    key = f"{section}.{exc.name}" if section and study.line_of(f"{section}.{exc.name}") else exc.name
    message = str(exc).split(": ", 1)[1] if ": " in str(exc) else str(exc)
    return StudyError(study.path, key, study.line_of(key), message)


def plan_study(study: Study, folder: Path) -> StudyPlan:
    """Check ``study`` against its circuit and technology, its grid and its folder; :class:`StudyError` otherwise."""
    resume = (folder / "manifest.json").is_file()
    try:
        circuit = get_circuit(study.circuit, study.describe, study.include_dirs)
        tech = get_technology(study.technology)
        check_engine(study.engine, tech)
    except ParameterError as exc:
        raise _where(study, exc, "") from None
    try:
        circuit.values(study.params, tech)
    except ParameterError as exc:
        raise _where(study, exc, "params") from None
    grid, total = None, max(study.samples, 1)
    if study.kind == "sweep":
        try:
            grid = Grid.from_table(study.vary, circuit.params, study.zipped)
            check_total(len(grid), study.samples, study.allow_large)
            for point in grid.points():
                circuit.values({**study.params, **point}, tech)
        except ParameterError as exc:
            raise _where(study, exc, "vary") from None
        total = len(grid) * max(study.samples, 1)
    if study.kind == "budget":
        total = len(study.budget.get("scales", (1, 2, 4, 8))) * (study.samples or 32)
    specs = _specs(study, circuit)
    rule = _stopping(study, circuit, tech)
    if not resume:
        check_new_dir(folder)
    return StudyPlan(study, folder, resume, circuit, tech, grid, total, specs, rule)


def _stopping(study: Study, circuit: Circuit, tech: Technology) -> Stopping | None:
    """The study's ``[stopping]`` rule, checked against the circuit; :class:`StudyError` naming the line."""
    table = study.stopping
    if not table:
        return None
    try:
        units = {m.name: m.unit for m in circuit.metrics}
        targets = tuple(parse_target(str(t), units) for t in table["target_ci"])
    except ParameterError as exc:
        raise StudyError(study.path, "stopping.target_ci", study.line_of("stopping.target_ci"), str(exc)) from None
    try:
        pilot, batch, estimator = (
            RUN_OPTIONS[k].coerce(table.get(k, RUN_OPTIONS[k].default)) for k in ("pilot", "batch", "estimator")
        )
        assert isinstance(pilot, int) and isinstance(batch, int)
        rule = Stopping(targets, pilot=pilot, batch=batch, estimator=str(estimator))
        rule.check(max(study.samples, 1), study.mismatch)
        if study.kind == "sweep":
            check_sweep_estimator(rule.estimator)
        if rule.estimator in ("closed-form", "equation"):
            rule = rule_with_models(rule, circuit, tech, circuit.values(study.params, tech))
    except ParameterError as exc:
        raise _where(study, exc, "stopping") from None
    return rule


def _specs(study: Study, circuit: Circuit) -> tuple[Spec, ...]:
    """The study's ``[specs]`` against the circuit's declared metrics; :class:`StudyError` naming the line."""
    units = {m.name: m.unit for m in circuit.metrics}
    found = []
    for name, limits in study.specs.items():
        try:
            found.append(
                spec_from_table(name, limits, units)
                if isinstance(limits, dict)
                else parse_spec(f"{name}={limits}", units)
            )
        except ParameterError as exc:
            key = f"specs.{name}"
            raise StudyError(study.path, key, study.line_of(key), str(exc).split(": ", 1)[1]) from None
    return tuple(found)


def run_study(plan: StudyPlan, progress: Progress | None = None) -> pd.DataFrame:
    """Run what ``plan`` describes into its folder (resuming it when it holds the run); the sample table."""
    study = plan.study
    run: RunOptions = {
        "tstop": study.tstop,
        "out": plan.folder,
        "resume": plan.resume,
        "workers": study.workers,
        "options": accuracy(study.accuracy, study.engine),
        "mismatch": study.mismatch,  # type: ignore[typeddict-item]
        "sampling": study.sampling,
        "engine": study.engine,  # type: ignore[typeddict-item]
        "progress": progress,
    }
    if study.kind == "sweep":
        assert plan.grid is not None
        return design_sweep(
            plan.circuit,
            plan.tech,
            plan.grid,
            samples=study.samples,
            seed=study.seed,
            overrides=study.params,
            stopping=plan.stopping,
            **run,
        )
    if study.kind == "mismatch":
        return monte_carlo(
            plan.circuit,
            plan.tech,
            samples=study.samples,
            seed=study.seed,
            overrides=study.params,
            stopping=plan.stopping,
            **run,
        )
    b = study.budget
    targets = Targets(**{arg: b[key] for arg, key in (("cluster_sizes", "clusters"), ("bits", "bits")) if key in b})
    extra = {arg: b[arg] for arg in ("metric", "scales") if arg in b}
    result = precision_budget(
        plan.circuit,
        plan.tech,
        samples=study.samples or 32,
        seed=study.seed,
        overrides=study.params,
        targets=targets,
        **extra,
        **run,
    )
    return result.samples
