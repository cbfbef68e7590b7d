"""The ``simulate`` command: one simulation, measured, optionally stored."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from ._app import app
from .common import (
    AccuracyOpt,
    CircuitArg,
    CircuitTechOpt,
    DescribeOpt,
    EngineOpt,
    FailOnSpecOpt,
    IncludeDirOpt,
    JsonOpt,
    SetOpt,
    SpecOpt,
    SpikeNodeOpt,
    TstopOpt,
    circuit_named,
    engine_for,
    guard,
    overrides_from,
    parse_tstop,
    print_specs,
    shown_name,
    sim_options,
    spec_records,
    specs_for,
    technology,
)


@app.command(rich_help_panel="Simulate and study")
def simulate(
    circuit: CircuitArg,
    tech: CircuitTechOpt = None,
    set_: SetOpt = None,
    spike_node: SpikeNodeOpt = None,
    describe: DescribeOpt = None,
    include_dir: IncludeDirOpt = None,
    tstop: TstopOpt = None,
    out: Annotated[Path | None, typer.Option(help="folder for waveforms.parquet, metrics.csv, run.json")] = None,
    accuracy: AccuracyOpt = None,
    engine: EngineOpt = "ngspice",
    spec: SpecOpt = None,
    fail_on_spec: FailOnSpecOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Simulate a circuit, print its metrics (and closed-form predictions), optionally write them; specs judged."""
    import pandas as pd

    from ..analysis.specs import spec_table
    from ..sim.simulation import simulate as run_simulate
    from ..store import check_new_dir, result_json, write_run

    def prepare() -> tuple[Any, Any, dict[str, str], float, Any]:
        c = circuit_named(circuit, describe, include_dir)
        t = technology(tech, c)
        ov = overrides_from(set_, spike_node)
        c.values(ov, t)  # validate before anything runs or is written
        specs.extend(specs_for(spec, c))
        opts = sim_options(accuracy, engine_for(engine, t))
        if out is not None:
            check_new_dir(out)
        return c, t, ov, parse_tstop(tstop, c.default_tstop), opts

    specs: list[Any] = []
    c, t, ov, stop, opts = guard(prepare)
    result = guard(lambda: run_simulate(c, t, ov, tstop=stop, options=opts, engine=engine), "the simulation")
    if out is not None:
        guard(lambda: write_run(result, out))
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    judged = spec_table(pd.DataFrame([result.metrics]), specs) if specs else None
    met = judged is None or bool((judged["passed"] == judged["n"]).all())
    if as_json:
        found = result_json(result)
        if judged is not None:
            found["specs"] = [
                {k: r[k] for k in ("metric", "low", "high", "worst_value")} | {"pass": r["passed"] == 1}
                for r in spec_records(judged)
            ]
        typer.echo(json.dumps(found, default=float))
    else:
        _print_summary(result, c, out)
        if judged is not None:
            print_specs(judged, {m.name: m.unit for m in c.metrics}, nominal=True)
    if fail_on_spec and not met:
        raise typer.Exit(1)


def _print_summary(result: Any, circuit: Any, out: Path | None) -> None:
    """Every metric in its declared unit; a measured one next to the closed form that predicts it."""
    from ..params.units import format_si

    m = result.metrics
    declared = {d.name: d for d in circuit.metrics}
    predictions: dict[str, list[Any]] = {}
    for d in declared.values():
        if d.predicts:
            predictions.setdefault(d.predicts, []).append(d)
    runs = [card.split()[0] for card in circuit.analysis_cards()]
    runs += [f"{format_si(result.tstop, 's')} transient"] if result.tstop else []
    typer.echo(
        f"{shown_name(result.circuit)} on {result.technology}, {', '.join(runs)} "
        f"(ngspice {result.ngspice_version}, {result.wall_s:.2f} s)"
    )
    for key, value in m.items():
        metric = declared.get(key)
        text = format_si(value, metric.unit) if metric is not None and metric.unit else f"{value:.5g}"
        kind = f"  [{metric.kind}]" if metric is not None and metric.kind != "measured" else ""
        shown = [p for p in predictions.get(key, []) if p.name in m and math.isfinite(value) and m[p.name]]
        text += "".join(
            f"{'   ' if i == 0 else '; '}{p.kind} {format_si(m[p.name], p.unit)}, difference "
            f"{100 * (value / m[p.name] - 1):+.2f} %"
            for i, p in enumerate(shown)
        )
        typer.echo(f"  {key:22s} {text}{kind}")
    if out is not None:
        typer.echo(f"  written to {out}")
