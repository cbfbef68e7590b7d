"""The ``circuits`` command: the built-in circuits."""

from __future__ import annotations

import json

import typer

from ._app import app
from .common import JsonOpt


@app.command(rich_help_panel="Circuits and netlists")
def circuits(as_json: JsonOpt = False) -> None:
    """List the circuits."""
    from ..circuits import CIRCUITS

    if as_json:
        typer.echo(json.dumps({"circuits": [{"name": name, "title": cls.title} for name, cls in CIRCUITS.items()]}))
        return
    for name, cls in CIRCUITS.items():
        typer.echo(f"{name:16s} {cls.title}")
