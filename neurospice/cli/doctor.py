"""The ``doctor`` command: what this machine can run, checked."""

from __future__ import annotations

import typer

from ._app import app


@app.command()
def doctor() -> None:
    """Report ngspice, its library and the installed technologies; exit 1 if something is missing."""
    from ..sim.doctor import run_checks

    checks = run_checks()
    for check in checks:
        typer.echo(f"{'ok ' if check.ok else 'MISSING'} {check.name}: {check.detail}")
    if not all(c.ok for c in checks):
        raise typer.Exit(1)
