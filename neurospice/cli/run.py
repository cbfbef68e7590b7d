"""The ``run`` command: a study file (sweep, mismatch or budget) from start to report; rerun to resume."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..engines import check_engine
from ..params import ParameterError
from ..params.options import accuracy
from ._app import app
from .common import IncludeDirOpt, bad_input, guard, progress_bar

StudyArg = Annotated[Path, typer.Argument(help="a study file (TOML): see `neurospice.studies.studyfile`")]


@app.command("run")
def run_study(
    study: StudyArg,
    out: Annotated[Path | None, typer.Option(help="run folder (default: the file's `out`)")] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
    include_dir: IncludeDirOpt = None,
) -> None:
    """Run a study file. Its folder keeps a copy of the file; running the same file again resumes it."""
    import dataclasses

    from ..store import atomic_write
    from ..studies.studyfile import StudyError, read_study

    spec = guard(lambda: read_study(study))
    if include_dir:  # folders the user names, besides those inside the study file's folder
        spec = dataclasses.replace(spec, include_dirs=(*spec.include_dirs, *(str(d.resolve()) for d in include_dir)))
    folder = out or spec.out
    if folder is None:
        bad_input(str(StudyError(spec.path, "out", None, "no folder: set `out` in the file or give --out")))
    resume = (folder / "manifest.json").is_file()
    plan = _checked(spec, folder, resume)
    total = plan.pop("_total")
    with progress_bar(not quiet and sys.stderr.isatty(), total) as update:
        guard(lambda: _execute(spec, folder, resume, update, plan))
    atomic_write(folder / "study.toml", lambda p: p.write_text(spec.text))
    if "sweep" in plan:
        from .sweep import print_sweep

        table = plan["sweep"]
        opts = {"samples": spec.samples, "mismatch": spec.mismatch, "seed": spec.seed}
        summary = table.attrs["summary"]  # a study always has a folder: the summary was stored with the run
        print_sweep(plan["circuit"], spec.technology, plan["grid"], summary, table, opts, folder, False)
    typer.echo(f"{spec.kind} study {spec.path.name}: {'resumed and ' if resume else ''}finished in {folder}")
    for name in ("summary.csv", "sweep.png", "report.html", "budget.csv", "budget.png"):
        if (folder / name).is_file():
            typer.echo(f"  {folder / name}")


def _checked(spec: Any, folder: Path, resume: bool) -> dict[str, Any]:
    """Every value validated before anything runs; an error names the study file's key and line."""
    from ..circuits import get_circuit
    from ..ngspice_models import get_technology
    from ..params.grid import Grid
    from ..store import check_new_dir
    from ..studies.studyfile import StudyError
    from .sweep import check_total

    def where(exc: ParameterError, section: str) -> StudyError:
        key = f"{section}.{exc.name}" if section and spec.line_of(f"{section}.{exc.name}") else exc.name
        message = str(exc).split(": ", 1)[1] if ": " in str(exc) else str(exc)
        return StudyError(spec.path, key, spec.line_of(key), message)

    try:
        circuit = get_circuit(spec.circuit, spec.describe, spec.include_dirs)
        tech = get_technology(spec.technology)
    except ParameterError as exc:
        bad_input(str(where(exc, "")))
    try:
        circuit.values(spec.params, tech)
    except ParameterError as exc:
        bad_input(str(where(exc, "params")))
    try:
        check_engine(spec.engine, tech)
    except ParameterError as exc:
        bad_input(str(where(exc, "")))
    plan: dict[str, Any] = {"circuit": circuit, "tech": tech, "_total": max(spec.samples, 1)}
    if spec.kind == "sweep":
        try:
            grid = Grid.parse(spec.vary, circuit.params, spec.zipped)
            check_total(len(grid), spec.samples, spec.allow_large)
            for point in grid.points():
                circuit.values({**spec.params, **point}, tech)
        except ParameterError as exc:
            bad_input(str(where(exc, "vary")))
        plan.update(grid=grid, _total=len(grid) * max(spec.samples, 1))
    if spec.kind == "budget":
        plan["_total"] = len(spec.budget.get("scales", (1, 2, 4, 8))) * (spec.samples or 32)
    if not resume:
        guard(lambda: check_new_dir(folder))
    return plan


def _execute(spec: Any, folder: Path, resume: bool, update: Any, plan: dict[str, Any]) -> None:
    common = {
        "seed": spec.seed,
        "tstop": spec.tstop,
        "out": folder,
        "resume": resume,
        "workers": spec.workers,
        "options": accuracy(spec.accuracy, spec.engine),
    }
    engine = {"engine": spec.engine}
    if spec.kind == "sweep":
        from ..studies.design import design_sweep

        table = design_sweep(
            plan["circuit"],
            plan["tech"],
            plan["grid"],
            samples=spec.samples,
            overrides=spec.params,
            mismatch=spec.mismatch,
            progress=update,
            **common,
            **engine,
        )
        plan["sweep"] = table
        if spec.report:
            from ..present.plot import plot_sweep

            plot_sweep(folder)
    elif spec.kind == "mismatch":
        from ..montecarlo import monte_carlo

        monte_carlo(
            plan["circuit"],
            plan["tech"],
            samples=spec.samples,
            overrides=spec.params,
            mismatch=spec.mismatch,
            progress=update,
            **common,
            **engine,
        )
        if spec.report:
            from .mc import write_report

            write_report(folder, spec.seed)
    else:
        from ..studies.budget import precision_budget

        b = spec.budget
        named = (("metric", "metric"), ("scales", "scales"), ("cluster_sizes", "clusters"), ("bits", "bits"))
        extra = {arg: b[key] for arg, key in named if key in b}
        precision_budget(
            plan["circuit"],
            plan["tech"],
            samples=spec.samples or 32,
            overrides=spec.params,
            mismatch=spec.mismatch,
            progress=update,
            **extra,
            **common,
        )
        from ..present.plot import plot_budget

        plot_budget(folder)
