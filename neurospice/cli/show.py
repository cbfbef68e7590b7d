"""The ``show`` command: a circuit's parameters, probes and metrics."""

from __future__ import annotations

import typer

from ._app import app
from .common import (
    CircuitArg,
    DescribeOpt,
    IncludeDirOpt,
    JsonOpt,
    circuit_named,
    guard,
)


@app.command(rich_help_panel="Circuits and netlists")
def show(
    circuit: CircuitArg, describe: DescribeOpt = None, include_dir: IncludeDirOpt = None, as_json: JsonOpt = False
) -> None:
    """Print a circuit's parameters with units, defaults and ranges, its probes, what it runs and its metrics."""
    from ..params.units import format_si

    c = guard(lambda: circuit_named(circuit, describe, include_dir))
    if as_json:
        _show_json(c)
        return
    typer.echo(f"{c.name}: {c.title}\n")
    typer.echo(f"{'parameter':14s} {'unit':5s} {'default':>12s}  accepted / description")
    for p in c.params:
        default = (
            p.default
            if isinstance(p.default, str)
            else (format_si(float(p.default), p.unit) if not isinstance(p.default, tuple) else "-")
        )
        typer.echo(f"{p.name:14s} {p.unit:5s} {default!s:>12s}  {p.accepted()}\n{'':34s}{p.description}")
    typer.echo("\nprobes:")
    for probe in c.probes:
        typer.echo(f"  {probe.name:10s} {probe.unit:3s} {probe.description}")
    runs = [card for card in c.analysis_cards()]
    runs += [f"a {format_si(c.default_tstop, 's')} transient (--tstop sets it)"] if c.default_tstop else []
    typer.echo("\nruns: " + ("; ".join(runs) if runs else "its own analyses only (--tstop adds a transient)"))
    typer.echo("\nmetrics:")
    for metric in c.metrics:
        kind = f" [{metric.kind}]" if metric.kind != "measured" else ""
        typer.echo(f"  {metric.name:22s} {metric.unit:4s} {metric.description}{kind}")
    for note in getattr(getattr(c, "source", None), "notes", ()):
        typer.echo(f"note: {note}")


def _show_json(c: object) -> None:
    """The same as one JSON object: parameters (SI defaults, accepted range), probes, analyses, metrics, notes."""
    import json

    from ..store.simrun import json_safe

    def default(value: object) -> object:
        return list(value) if isinstance(value, tuple) else value

    doc = {
        "circuit": c.name,  # type: ignore[attr-defined]
        "title": c.title,  # type: ignore[attr-defined]
        "parameters": [
            {
                "name": p.name,
                "unit": p.unit,
                "default": default(p.default),
                "accepted": p.accepted(),
                "description": p.description,
            }
            for p in c.params  # type: ignore[attr-defined]
        ],
        "probes": [{"name": p.name, "unit": p.unit, "description": p.description} for p in c.probes],  # type: ignore[attr-defined]
        "analyses": list(c.analysis_cards()),  # type: ignore[attr-defined]
        "tstop_s": c.default_tstop,  # type: ignore[attr-defined]
        "metrics": [
            {"name": m.name, "unit": m.unit, "kind": m.kind, "description": m.description}
            for m in c.metrics  # type: ignore[attr-defined]
        ],
        "notes": list(getattr(getattr(c, "source", None), "notes", ())),
    }
    typer.echo(json.dumps(json_safe(doc)))
