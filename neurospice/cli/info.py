"""Commands that describe: doctor, fetch, characterize, circuits, show, netlist."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ..ngspice_models import DEFAULT_TECHNOLOGY
from ..params import ParameterError
from ._app import app
from .common import (
    CircuitArg,
    DescribeOpt,
    IncludeDirOpt,
    JsonOpt,
    SetOpt,
    SpikeNodeOpt,
    TechOpt,
    TstopOpt,
    bad_input,
    circuit_named,
    guard,
    overrides_from,
    parse_tstop,
    technology,
)


@app.command()
def doctor() -> None:
    """Report ngspice, its library and the installed technologies; exit 1 if something is missing."""
    from ..sim.doctor import run_checks

    checks = run_checks()
    for check in checks:
        typer.echo(f"{'ok ' if check.ok else 'MISSING'} {check.name}: {check.detail}")
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


@app.command()
def fetch(
    technology: Annotated[str, typer.Argument(help="technology to fetch")] = "gf180mcu",
    force: Annotated[bool, typer.Option(help="download again even if cached")] = False,
) -> None:
    """Download a technology's models into the cache and verify them."""
    from ..ngspice_models import fetch_gf180mcu, fetch_sky130

    fetchers = {"gf180mcu": fetch_gf180mcu, "sky130": fetch_sky130}
    if technology not in fetchers:
        bad_input(f"parameter 'technology': got {technology!r}; accepted: gf180mcu, sky130 (ekv is embedded)")
    path = guard(lambda: fetchers[technology](force=force))
    typer.echo(f"{technology} models verified in {path}")


@app.command()
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


@app.command()
def circuits() -> None:
    """List the circuits."""
    from ..circuits import CIRCUITS

    for name, cls in CIRCUITS.items():
        typer.echo(f"{name:16s} {cls.title}")


@app.command()
def show(circuit: CircuitArg, describe: DescribeOpt = None, include_dir: IncludeDirOpt = None) -> None:
    """Print a circuit's parameters with units, defaults and ranges, and its probes."""
    from ..params.units import format_si

    c = guard(lambda: circuit_named(circuit, describe, include_dir))
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
    for note in getattr(getattr(c, "source", None), "notes", ()):
        typer.echo(f"note: {note}")


@app.command()
def netlist(
    circuit: CircuitArg,
    tech: TechOpt = DEFAULT_TECHNOLOGY,
    set_: SetOpt = None,
    spike_node: SpikeNodeOpt = None,
    describe: DescribeOpt = None,
    include_dir: IncludeDirOpt = None,
    tstop: TstopOpt = None,
) -> None:
    """Print the complete testbench deck (loads in plain `ngspice -b`)."""

    def run() -> str:
        c = circuit_named(circuit, describe, include_dir)
        values = c.values(overrides_from(set_, spike_node), technology(tech))
        t = parse_tstop(tstop, c.default_tstop)
        return str(c.deck(values, technology(tech), t))

    typer.echo(guard(run), nl=False)
