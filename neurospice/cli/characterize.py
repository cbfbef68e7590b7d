"""The ``characterize`` command: a technology's I_D-V_G sweep and its subthreshold fit."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ..ngspice_models import DEFAULT_TECHNOLOGY
from ..params import ParameterError
from ._app import app
from .common import (
    JsonOpt,
    TechOpt,
    guard,
    technology,
)


@app.command(rich_help_panel="Tools")
def characterize(
    device: Annotated[str, typer.Argument(help="nmos or pmos")],
    tech: TechOpt = DEFAULT_TECHNOLOGY,
    w: Annotated[str, typer.Option(help="width (m)")] = "1u",
    l: Annotated[str, typer.Option(help="length (m)")] = "1u",
    vds: Annotated[str, typer.Option(help="|V_DS| of the sweep (V)")] = "0.5",
    vsb: Annotated[str, typer.Option(help="|V_SB| source-bulk reverse bias (V)")] = "0",
    as_json: JsonOpt = False,
) -> None:
    """Extract kappa, subthreshold slope and I0 from a simulated I_D-V_G sweep."""
    from ..params import Param

    def run() -> dict[str, object]:
        from ..sim.characterization import characterize as run_characterize

        if device not in ("nmos", "pmos"):
            raise ParameterError("device", f"got {device!r}; accepted: nmos, pmos")
        size = {
            "w": Param("w", "m", "width", 1e-6, 0.22e-6, 100e-6).coerce(w),
            "l": Param("l", "m", "length", 1e-6, 0.28e-6, 100e-6).coerce(l),
            "vds": Param("vds", "V", "drain-source", 0.5, 0.1, 3.3).coerce(vds),
            "vsb": Param("vsb", "V", "source-bulk", 0.0, 0.0, 3.3).coerce(vsb),
        }
        result = run_characterize(technology(tech), device, **size)  # type: ignore[arg-type]
        return result.as_dict()

    data = guard(run)
    if as_json:
        typer.echo(json.dumps(data))
        return
    typer.echo(
        f"{data['device']} on {data['technology']}, W={data['w_m']:g} m L={data['l_m']:g} m, "
        f"|Vds|={data['vds_v']:g} V, |Vsb|={data['vsb_v']:g} V"
    )
    for key in ("kappa", "n", "slope_v_per_decade", "i0_a", "r2"):
        typer.echo(f"  {key:20s} {data[key]:.5g}")
