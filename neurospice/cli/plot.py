"""The ``plot`` command: a stored simulation or sweep, drawn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..params import ParameterError
from ._app import app
from .common import (
    JsonOpt,
    bad_input,
)


@app.command(rich_help_panel="Results")
def plot(
    run_dir: Annotated[
        Path, typer.Argument(help="a folder written by `neurospice simulate --out`, `sweep --out` or `mismatch --out`")
    ],
    out: Annotated[Path | None, typer.Option(help="PNG path (default RUN_DIR/waveforms.png)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Draw a run's waveforms with its spikes marked, a sweep's metrics with their mismatch bands, or a Monte Carlo
    run's histograms, as a PNG."""
    from ..present.plot import plot_mismatch, plot_run, plot_sweep
    from ..store import check_new_file
    from ..store.sweeps import is_sweep

    try:
        if out is not None:
            check_new_file(out)  # like every --out: never overwrite a file
        if is_sweep(run_dir):
            path = plot_sweep(run_dir, out)
        elif (run_dir / "manifest.json").is_file():  # a Monte Carlo run folder
            path = plot_mismatch(run_dir, out)
        else:
            path = plot_run(run_dir, out)
    except ParameterError as exc:
        bad_input(str(exc))
    except (FileNotFoundError, KeyError, ValueError) as exc:
        bad_input(f"parameter 'run_dir': {exc}")
    if as_json:
        import json

        typer.echo(json.dumps({"run_dir": str(run_dir), "wrote": [str(path)]}))
        return
    typer.echo(f"wrote {path}")
