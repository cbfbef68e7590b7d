"""The ``circuits`` command: the built-in circuits."""

from __future__ import annotations

import typer

from ._app import app


@app.command()
def circuits() -> None:
    """List the circuits."""
    from ..circuits import CIRCUITS

    for name, cls in CIRCUITS.items():
        typer.echo(f"{name:16s} {cls.title}")
