"""The ``netlist`` command: the deck a run would simulate."""

from __future__ import annotations

import typer

from ._app import app
from .common import (
    CircuitArg,
    CircuitTechOpt,
    DescribeOpt,
    IncludeDirOpt,
    SetOpt,
    SpikeNodeOpt,
    TstopOpt,
    circuit_named,
    guard,
    overrides_from,
    parse_tstop,
    technology,
)


@app.command(rich_help_panel="Circuits and netlists")
def netlist(
    circuit: CircuitArg,
    tech: CircuitTechOpt = None,
    set_: SetOpt = None,
    spike_node: SpikeNodeOpt = None,
    describe: DescribeOpt = None,
    include_dir: IncludeDirOpt = None,
    tstop: TstopOpt = None,
) -> None:
    """Print the complete testbench deck (loads in plain `ngspice -b`)."""

    def run() -> str:
        c = circuit_named(circuit, describe, include_dir)
        tech_ = technology(tech, c)
        values = c.values(overrides_from(set_, spike_node), tech_)
        return str(c.deck(values, tech_, parse_tstop(tstop, c.default_tstop)))

    typer.echo(guard(run), nl=False)
