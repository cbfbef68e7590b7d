"""The ``extract`` command: the DPI-equation parameters of a circuit, measured with SPICE, and checked."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ..ngspice_models import DEFAULT_TECHNOLOGY
from ..params import ParameterError
from ._app import app
from .common import SetOpt, TechOpt, guard, overrides_from, technology


@app.command()
def extract(
    circuit: Annotated[str, typer.Argument(help="dpi-neuron (the circuit whose DPI-equation parameters are measured)")],
    tech: TechOpt = DEFAULT_TECHNOLOGY,
    set_: SetOpt = None,
    validate: Annotated[bool, typer.Option(help="compare the equation's f-I curve with SPICE's")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Measure tau_mem, gain, threshold, refractory period of the DPI equation with SPICE; check its f-I curve."""
    from ..studies.extract import extract_dpi_neuron, validate_dpi_neuron

    def prepare() -> tuple[object, dict[str, str]]:
        if circuit != "dpi-neuron":
            raise ParameterError("circuit", f"got {circuit!r}; accepted: dpi-neuron")
        return technology(tech), overrides_from(set_)

    t, ov = guard(prepare)
    result = guard(lambda: extract_dpi_neuron(t, ov))  # type: ignore[arg-type]
    if validate:
        result = guard(lambda: validate_dpi_neuron(result))
    if as_json:
        typer.echo(json.dumps({"technology": result.technology, "model": result.model.as_dict(),
                               "sources": result.sources, "validation": result.validation}))  # fmt: skip
        return
    typer.echo(f"DPI equation of dpi-neuron on {result.technology} (Chicca et al. 2014, eq. 6), measured:")
    for name, value in result.model.as_dict().items():
        typer.echo(f"  {name:14s} {value:.5g}   {result.sources[name]}")
    if result.validation:
        typer.echo("  f-I, SPICE against the equation:")
        for row in result.validation:
            typer.echo(f"    I_in {row['i_in_a'] * 1e9:7.3f} nA   SPICE {row['spice_rate_hz']:7.1f} Hz   equation "
                       f"{row['model_rate_hz']:7.1f} Hz   {100 * row['difference']:+.1f} %")  # fmt: skip
