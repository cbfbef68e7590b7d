"""The ``plot`` command: a stored simulation or sweep, drawn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..params import ParameterError
from ._app import app
from .common import (
    bad_input,
)


@app.command()
def plot(
    run_dir: Annotated[Path, typer.Argument(help="a folder written by `neurospice simulate --out` or `sweep --out`")],
    out: Annotated[Path | None, typer.Option(help="PNG path (default RUN_DIR/waveforms.png)")] = None,
) -> None:
    """Draw a run's waveforms with its spikes marked, or a sweep's metrics with their mismatch bands, as a PNG."""
    from ..present.plot import plot_run, plot_sweep
    from ..store import check_new_file
    from ..store.sweeps import is_sweep

    try:
        if out is not None:
            check_new_file(out)  # like every --out: never overwrite a file
        path = plot_sweep(run_dir, out) if is_sweep(run_dir) else plot_run(run_dir, out)
    except ParameterError as exc:
        bad_input(str(exc))
    except (FileNotFoundError, KeyError, ValueError) as exc:
        bad_input(f"parameter 'run_dir': {exc}")
    typer.echo(f"wrote {path}")
