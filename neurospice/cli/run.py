"""The ``run`` command: a study file (sweep, mismatch or budget) from start to report; rerun to resume."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ._app import app
from .common import FailOnSpecOpt, IncludeDirOpt, JsonOpt, bad_input, guard, progress_bar

StudyArg = Annotated[Path, typer.Argument(help="a study file (TOML): see `neurospice.studies.studyfile`")]


@app.command("run", rich_help_panel="Simulate and study")
def run_study(
    study: StudyArg,
    out: Annotated[Path | None, typer.Option(help="run folder (default: the file's `out`)")] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bar")] = False,
    include_dir: IncludeDirOpt = None,
    fail_on_spec: FailOnSpecOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Run a study file. Its folder keeps a copy of the file; running the same file again resumes it."""
    import dataclasses

    from ..store import atomic_write
    from ..studies.run import plan_study, run_study
    from ..studies.studyfile import StudyError, read_study

    spec = guard(lambda: read_study(study), "reading the study file")
    if include_dir:  # folders the user names, besides those inside the study file's folder
        spec = dataclasses.replace(spec, include_dirs=(*spec.include_dirs, *(str(d.resolve()) for d in include_dir)))
    folder = out or spec.out
    if folder is None:
        bad_input(str(StudyError(spec.path, "out", None, "no folder: set `out` in the file or give --out")))
    plan = guard(lambda: plan_study(spec, folder), "checking the study")
    with progress_bar(not quiet and not as_json and sys.stderr.isatty(), plan.total) as update:
        table = guard(lambda: run_study(plan, update), "running the study")
    guard(lambda: _draw(plan), "drawing the study's figures")
    atomic_write(folder / "study.toml", lambda p: p.write_text(spec.text))
    files = [str(folder / n) for n in ("summary.csv", "sweep.png", "report.html", "budget.csv", "budget.png")]
    if as_json:
        _print_json(spec, plan, table, folder, [f for f in files if Path(f).is_file()])
        return
    if spec.kind == "sweep":
        from .sweep import print_sweep

        opts = {"samples": spec.samples, "mismatch": spec.mismatch, "seed": spec.seed}
        summary = table.attrs["summary"]  # a study always has a folder: the summary was stored with the run
        print_sweep(plan.circuit, spec.technology, plan.grid, summary, table, opts, folder, False)
    met = _judge(plan, table)
    typer.echo(f"{spec.kind} study {spec.path.name}: {'resumed and ' if plan.resume else ''}finished in {folder}")
    for name in ("summary.csv", "sweep.png", "report.html", "budget.csv", "budget.png"):
        if (folder / name).is_file():
            typer.echo(f"  {folder / name}")
    if fail_on_spec and not met:
        raise typer.Exit(1)


def _judge(plan: Any, table: Any) -> bool:
    """The study's ``[specs]`` over what it ran (per point for a sweep, with its worst case)."""
    from ..analysis.specs import spec_table
    from .common import print_specs
    from .sweep import judge_sweep

    if not plan.specs:
        return True
    if plan.study.kind == "sweep":
        return judge_sweep(plan.circuit, plan.grid, table, list(plan.specs), plan.study.samples == 0, False)
    judged = spec_table(table.set_index("sample"), plan.specs)
    return print_specs(judged, {m.name: m.unit for m in plan.circuit.metrics}, nominal=False)


def _draw(plan: Any) -> None:
    """What the study file asks to see, drawn from the stored run: a sweep's plot, a mismatch report, a budget."""
    from ..present.plot import plot_budget, plot_sweep

    if plan.study.kind == "sweep" and plan.study.report:
        plot_sweep(plan.folder)
    elif plan.study.kind == "mismatch" and plan.study.report:
        from .report import write_report

        write_report(plan.folder, plan.study.seed)
    elif plan.study.kind == "budget":
        plot_budget(plan.folder)


def _print_json(spec: Any, plan: Any, table: Any, folder: Path, files: list[str]) -> None:
    """The study's outcome as one JSON object: its kind, folder, files, sample counts and specs."""
    import json

    from ..analysis.specs import spec_table
    from ..store.simrun import json_safe

    doc: dict[str, Any] = {
        "study": str(spec.path),
        "kind": spec.kind,
        "folder": str(folder),
        "resumed": bool(plan.resume),
        "files": files,
        "rows": len(table),
        "ok": int((table["status"] == "ok").sum()) if "status" in table else len(table),
    }
    if "summary" in table.attrs:
        doc["summary"] = table.attrs["summary"].to_dict("records")
    if plan.specs and spec.kind != "sweep":
        doc["specs"] = spec_table(table.set_index("sample"), plan.specs).reset_index().to_dict("records")
    typer.echo(json.dumps(json_safe(doc), default=str))
