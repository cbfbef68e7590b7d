"""The ``extract`` command: the DPI-equation parameters of a circuit, measured with SPICE, and checked."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ..analysis.bibliography import cite
from ..ngspice_models import DEFAULT_TECHNOLOGY
from ..params import ParameterError
from ..store.simrun import json_safe
from ._app import app
from .common import SetOpt, TechOpt, guard, overrides_from, technology


@app.command(rich_help_panel="Results")
def extract(
    circuit: Annotated[str, typer.Argument(help="dpi-neuron or dpi-synapse (the circuit measured)")],
    tech: TechOpt = DEFAULT_TECHNOLOGY,
    set_: SetOpt = None,
    validate: Annotated[bool, typer.Option(help="compare the equation's f-I curve with SPICE's")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Measure the DPI equation's parameters with SPICE (tau, gain, threshold, refractory period, feedback sigmoid,
    adaptation; a synapse's tau and gain) and check the neuron's f-I curve against SPICE."""
    from ..studies.extract import extract_dpi_neuron, extract_dpi_synapse, validate_dpi_neuron

    def prepare() -> tuple[object, dict[str, str]]:
        if circuit not in ("dpi-neuron", "dpi-synapse"):
            raise ParameterError("circuit", f"got {circuit!r}; accepted: dpi-neuron, dpi-synapse")
        return technology(tech), overrides_from(set_)

    t, ov = guard(prepare)
    if circuit == "dpi-synapse":
        syn = guard(lambda: extract_dpi_synapse(t, ov))  # type: ignore[arg-type]
        if as_json:
            typer.echo(json.dumps(json_safe(syn.as_dict())))
            return
        typer.echo(f"DPI synapse equation of dpi-synapse on {syn.technology} ({cite('bartolozzi2007')}), measured:")
        for name, value in syn.figures.items():
            typer.echo(f"  {name:14s} {value:.5g}   {syn.sources[name]}")
        return
    result = guard(lambda: extract_dpi_neuron(t, ov))  # type: ignore[arg-type]
    if validate:
        result = guard(lambda: validate_dpi_neuron(result))
    if as_json:
        typer.echo(json.dumps(json_safe(result.as_dict())))
        return
    typer.echo(f"DPI equation of dpi-neuron on {result.technology} ({cite('chicca2014')}, eq. 6), measured:")
    for name, value in result.model.as_dict().items():
        typer.echo(f"  {name:14s} {value:.5g}   {result.sources[name]}")
    typer.echo("  further measured figures:")
    for name, value in result.figures.items():
        typer.echo(f"  {name:20s} {value:.5g}   {result.sources[name]}")
    if result.validation:
        typer.echo("  f-I, SPICE against the equation:")
        for row in result.validation:
            typer.echo(
                f"    I_in {row['i_in_a'] * 1e9:7.3f} nA   SPICE {row['spice_rate_hz']:7.1f} Hz   equation "
                f"{row['model_rate_hz']:7.1f} Hz   {100 * row['difference']:+.1f} %"
            )
