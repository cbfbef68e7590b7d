"""The ``export`` command: a Monte Carlo run's per-sample DPI-equation parameters for a network simulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ..params import ParameterError
from ._app import app
from .common import guard

TO_HELP = "json (neurospice names and statistics), dynapsim (rockpool DynapSim) or brian2 (teili DPI neuron names)"


@app.command(rich_help_panel="Results")
def export(
    run: Annotated[Path, typer.Argument(help="a pelgrom-mode dpi-neuron Monte Carlo folder (its --out)")],
    to: Annotated[str, typer.Option(help=TO_HELP)] = "json",
    out: Annotated[Path | None, typer.Option(help="write the document to this new file (default: stdout)")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="with --out: print what was written and the check as one JSON object")
    ] = False,
) -> None:
    """Per-sample DPI-equation parameters of a Monte Carlo run, calibrated with SPICE, checked against its rates.

    Every format is a JSON document; without --out it is printed to stdout."""
    from ..store import atomic_write
    from ..store.files import check_new_file
    from ..store.simrun import json_safe
    from ..studies.export import EXPORT_FORMATS, calibrate_run, export_document

    def prepare() -> None:
        if to not in EXPORT_FORMATS:
            raise ParameterError("to", f"got {to!r}; accepted: {', '.join(EXPORT_FORMATS)}")
        if out is not None:
            check_new_file(out)

    guard(prepare)
    cal = guard(lambda: calibrate_run(run))
    text = json.dumps(json_safe(export_document(cal, to)), indent=1, allow_nan=False) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    guard(lambda: atomic_write(out, lambda p: p.write_text(text)))
    if as_json:
        typer.echo(json.dumps(json_safe({"wrote": str(out), "to": to, "samples": len(cal.table), "check": cal.check})))
        return
    typer.echo(f"wrote {out} ({to}, {len(cal.table)} samples)")
    for line in check_lines(cal.check):
        typer.echo(line)


def check_lines(check: dict[str, Any]) -> list[str]:
    """The equation-against-SPICE check in words."""

    def cv(d: dict[str, float]) -> str:
        return f"{100 * d['cv']:.2f} % [{100 * d['low']:.2f}, {100 * d['high']:.2f}]"

    lines = [
        f"  refractory CV: SPICE {cv(check['spice_refractory'])}, calibrated equation "
        f"{cv(check['equation_refractory'])}, rockpool's generator {cv(check['guess_refractory'])}"
    ]
    if "equation_rate" in check:
        lines.insert(
            0,
            f"  rate CV at {check['i_in_a']:.3g} A: SPICE {cv(check['spice_rate'])}, calibrated equation "
            f"{cv(check['equation_rate'])}, rockpool's generator {cv(check['guess_rate'])}; per-sample "
            f"correlation {check['per_sample_correlation']:.4f}",
        )
    else:
        lines.append(f"  {check['note']}")
    return lines
