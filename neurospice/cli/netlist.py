"""The ``netlist`` command: the deck a run would simulate."""

from __future__ import annotations

import typer

from ..ngspice_models import DEFAULT_TECHNOLOGY
from ._app import app
from .common import (
    CircuitArg,
    DescribeOpt,
    IncludeDirOpt,
    SetOpt,
    SpikeNodeOpt,
    TechOpt,
    TstopOpt,
    circuit_named,
    guard,
    overrides_from,
    parse_tstop,
    technology,
)


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
