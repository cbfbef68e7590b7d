"""The ``report`` command: a stored Monte Carlo run's HTML report, drawn again."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._app import app
from .common import (
    JsonOpt,
    guard,
)


def write_report(out: Path, seed: int) -> Path:
    """Compute what the report needs beyond the samples (stored with the run), then draw it."""
    from ..present.report import check_reportable, write_mismatch_report
    from ..studies.mismatch import REPORT_INPUTS, store_report_inputs

    guard(lambda: check_reportable(out))
    if not (out / REPORT_INPUTS).is_file():
        guard(lambda: store_report_inputs(out, seed=seed))
    return guard(lambda: write_mismatch_report(out))


@app.command(rich_help_panel="Results")
def report(
    run_dir: Annotated[Path, typer.Argument(help="a folder written by `neurospice mismatch --out`")],
    as_json: JsonOpt = False,
) -> None:
    """Draw a Monte Carlo run's HTML report again from its folder (report.html)."""
    from ..store import read_manifest

    guard(lambda: read_manifest(run_dir))
    path = write_report(run_dir, seed=1)
    if as_json:
        import json

        typer.echo(json.dumps({"run_dir": str(run_dir), "wrote": [str(path)]}))
        return
    typer.echo(f"wrote {path}")
