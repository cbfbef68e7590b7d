"""The ``doctor`` command: what this machine can run, checked."""

from __future__ import annotations

import dataclasses
import json

import typer

from ._app import app
from .common import JsonOpt


@app.command(rich_help_panel="Tools")
def doctor(as_json: JsonOpt = False) -> None:
    """Report ngspice, its library and the installed technologies; exit 1 if something is missing.

    libngspice is looked for in $NGSPICE_LIBRARY_PATH, then a conda environment ($CONDA_PREFIX/lib,
    sys.prefix/lib), then the system's library paths (Debian), then Homebrew's."""
    from ..sim.doctor import run_checks

    checks = run_checks()
    if as_json:
        typer.echo(json.dumps({"ok": all(c.ok for c in checks), "checks": [dataclasses.asdict(c) for c in checks]}))
    for check in [] if as_json else checks:
        typer.echo(f"{'ok ' if check.ok else 'MISSING'} {check.name}: {check.detail}")
    if not all(c.ok for c in checks):
        raise typer.Exit(1)
