"""The ``sweep`` command: a grid of parameter values, nominal or with a Monte Carlo at every point."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..montecarlo import RUN_OPTIONS, default_mismatch
from ..params import ParameterError
from ..studies.design import LARGE_SWEEP, check_total
from ._app import app, say_error
from .common import (
    AccuracyOpt,
    BatchOpt,
    CircuitArg,
    CircuitTechOpt,
    DaskOpt,
    DescribeOpt,
    EngineOpt,
    EstimatorOpt,
    FailOnSpecOpt,
    GraceOpt,
    IncludeDirOpt,
    JsonOpt,
    ModeOpt,
    PilotOpt,
    QuietOpt,
    ResumeOpt,
    SamplingOpt,
    SeedOpt,
    SetOpt,
    SpecOpt,
    SpikeNodeOpt,
    TargetCiOpt,
    TimeoutOpt,
    TstopOpt,
    WorkersOpt,
    check_new_run,
    check_run_options,
    circuit_named,
    engine_for,
    guard,
    overrides_from,
    parse_tstop,
    print_specs,
    print_stopping,
    progress_bar,
    run_options,
    shown_name,
    sim_options,
    spec_records,
    specs_for,
    stopping_rule,
    technology,
)

VaryOpt = Annotated[
    list[str] | None,
    typer.Option("--vary", help="NAME=START:STOP:N, NAME=START:STOP:N:log or NAME=V1,V2,... (repeat for a grid)"),
]


@app.command(rich_help_panel="Simulate and study")
def sweep(
    circuit: CircuitArg,
    vary: VaryOpt = None,
    zip_: Annotated[bool, typer.Option("--zip", help="pair the --vary axes position by position")] = False,
    param: Annotated[str | None, typer.Option("--param", "-p", help="shorthand: the one parameter to vary")] = None,
    values: Annotated[str | None, typer.Option("--values", "-v", help="shorthand: its comma-separated values")] = None,
    samples: Annotated[str, typer.Option("--samples", "-n", help="mismatch samples per point (0: nominal)")] = "0",
    seed: SeedOpt = None,
    mode: ModeOpt = None,
    sampling: SamplingOpt = None,
    target_ci: TargetCiOpt = None,
    pilot: PilotOpt = None,
    batch: BatchOpt = None,
    estimator: EstimatorOpt = None,
    tech: CircuitTechOpt = None,
    set_: SetOpt = None,
    spike_node: SpikeNodeOpt = None,
    describe: DescribeOpt = None,
    include_dir: IncludeDirOpt = None,
    tstop: TstopOpt = None,
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    timeout: TimeoutOpt = None,
    grace: GraceOpt = None,
    out: Annotated[Path | None, typer.Option(help="run folder (samples, manifest, summary.csv, sweep.png)")] = None,
    resume: ResumeOpt = False,
    plot: Annotated[
        bool, typer.Option(help="draw --out/sweep.png: metric vs parameter with its mismatch band")
    ] = False,
    quiet: QuietOpt = False,
    accuracy: AccuracyOpt = None,
    engine: EngineOpt = "ngspice",
    spec: SpecOpt = None,
    fail_on_spec: FailOnSpecOpt = False,
    as_json: JsonOpt = False,
    allow_large: Annotated[
        bool, typer.Option("--allow-large", help=f"run a sweep of more than {LARGE_SWEEP} simulations")
    ] = False,
) -> None:
    """Simulate a grid of parameter values; with --samples, a Monte Carlo at every point (same seeds at each)."""
    from ..params.grid import Grid
    from ..studies.design import design_sweep

    def prepare() -> tuple[Any, Any, dict[str, str], float, Any, dict[str, Any]]:
        axes = list(vary or [])
        if (param is None) != (values is None):
            raise ParameterError("param", "--param and --values go together (or use --vary NAME=V1,V2)")
        if param is not None:
            axes.append(f"{param}={values}")
        if not axes:
            raise ParameterError("vary", "give at least one --vary NAME=START:STOP:N[:log] or NAME=V1,V2,...")
        n = RUN_OPTIONS["samples"].coerce(samples) if samples.strip() != "0" else 0
        opts = run_options(seed=seed, mismatch=mode, sampling=sampling, workers=workers, timeout=timeout, grace=grace)
        check_run_options(resume, False, out)
        if plot and out is None:
            raise ParameterError("plot", "needs --out (the plot is written there as sweep.png)")
        c = circuit_named(circuit, describe, include_dir)
        t = technology(tech, c)
        ov = overrides_from(set_, spike_node)
        specs.extend(specs_for(spec, c))
        grid = Grid.parse(axes, c.params, zip_)
        check_total(len(grid), int(n) if isinstance(n, int) else 0, allow_large)
        check_new_run(out, resume)
        opts["engine"] = engine_for(engine, t)
        opts["options"] = sim_options(accuracy, engine)
        chosen = opts["mismatch"] or default_mismatch(opts["engine"])
        opts["stopping"] = stopping_rule(target_ci, pilot, batch, estimator, (c, t, c.values(ov, t), chosen), True)
        opts = {k: v for k, v in opts.items() if v is not None}
        return c, t, ov, parse_tstop(tstop, c.default_tstop), grid, {"samples": n, **opts}

    specs: list[Any] = []
    c, t, ov, stop, grid, opts = guard(prepare)
    total = len(grid) * max(opts["samples"], 1)
    if not quiet and not as_json:
        typer.echo(
            f"sweep: {len(grid)} points x {max(opts['samples'], 1)} "
            f"{'samples' if opts['samples'] else 'nominal run'} = {total} simulations",
            err=True,
        )
    with progress_bar(not quiet and sys.stderr.isatty(), total) as update:
        table = guard(
            lambda: design_sweep(
                c, t, grid, overrides=ov, tstop=stop, out=out, resume=resume, client=dask, progress=update, **opts
            ),
            "the sweep",
        )
    summary = table.attrs["summary"]  # computed with the run (and stored with it under --out)
    if out is not None and plot:
        from ..present.plot import plot_sweep

        try:
            path = plot_sweep(out)
        except ParameterError as exc:  # nothing drawable: the run is stored, its plot is not
            typer.echo(f"warning: sweep.png not drawn: {str(exc).split(': ', 1)[-1]}", err=True)
        else:
            if not as_json:
                typer.echo(f"wrote {path}")
    print_sweep(c, t.name, grid, summary, table, opts, out, as_json)
    met = judge_sweep(c, grid, table, specs, opts["samples"] == 0, as_json)
    if not (table["status"] == "ok").any():
        say_error(f"no simulation succeeded; first failure: {table['message'].iloc[0]}", 1)
        raise typer.Exit(1)
    if fail_on_spec and not met:
        raise typer.Exit(1)


def judge_sweep(circuit: Any, grid: Any, table: Any, specs: list[Any], nominal: bool, as_json: bool) -> bool:
    """Each spec at every point (pass/fail of the run, or the yield of its samples), and the worst case across
    the points with where it occurs; whether every spec is met everywhere."""
    from ..analysis.specs import spec_table
    from ..params.units import format_si

    if not specs:
        return True
    samples = table.set_index("sample") if "sample" in table.columns else table  # the worst: its sample number
    judged = spec_table(samples, specs, by=list(grid.names))
    if as_json:
        typer.echo(json.dumps({"specs": spec_records(judged)}, default=float))
        return bool((judged["passed"] == judged["n"]).all())
    units = {m.name: m.unit for m in circuit.metrics}
    met = True
    for metric, part in judged.groupby("metric", sort=False):
        typer.echo(f"spec {metric} at each point:")
        for index, row in part.iterrows():
            typer.echo("  " + " ".join(f"{n}={row[n]}" for n in grid.names))
            met &= print_specs(part.loc[[index]], units, nominal=nominal, header=False)
        worst = part[part["worst_case"]].iloc[0]
        where = ", ".join(f"{n}={worst[n]}" for n in grid.names)
        value = format_si(worst["worst_value"], units.get(str(metric), ""))
        typer.echo(f"  worst case: {where} (yield {100 * worst['yield']:.1f} %, its worst sample {value})")
    return met


#: simulations a sweep runs without --allow-large (about an hour of a 100 ms neuron run on 2 cores)
def print_sweep(
    circuit: Any, tech: str, grid: Any, summary: Any, table: Any, opts: dict[str, Any], out: Path | None, as_json: bool
) -> None:
    from ..params.units import format_si

    nominal = opts["samples"] == 0
    if as_json:
        if nominal:  # one record per point: its parameters and metrics
            summary = summary.pivot_table(index=list(grid.names), columns="metric", values="mean").reset_index()
        records = summary.astype(object).where(summary.notna(), None).to_dict(orient="records")
        typer.echo(json.dumps(records, default=float))  # every digit (pandas' to_json rounds 2e-12 to 0)
        return
    units = {m.name: m.unit for m in circuit.metrics}
    units.update({p.name: p.unit for p in circuit.params})
    failed = int((table["status"] != "ok").sum())
    mode_ = default_mismatch(opts.get("engine", "ngspice"))
    what = (
        "nominal"
        if nominal
        else f"{opts['samples']} {opts.get('mismatch', mode_)} mismatch samples per point "
        f"(the same seeds at every point, master seed {opts.get('seed', 1)})"
    )
    name = shown_name(circuit.name)
    typer.echo(f"{name} on {tech}: {len(grid)} points, {what}; {len(table) - failed} ok, {failed} failed")

    def si(value: object, name: str) -> str:
        if isinstance(value, str) or not isinstance(value, (int, float)):
            return str(value)  # a choice parameter's word
        unit = units.get(name, "")
        return format_si(value, unit) if unit else f"{value:.5g}"

    kinds = {m.name: m.kind for m in circuit.metrics}
    for metric, rows in summary.groupby("metric", sort=False):
        if not nominal and kinds.get(str(metric), "measured") != "measured":
            continue  # closed forms, technology figures and settings do not vary across devices
        typer.echo(f"  {metric}" + (f" ({units[metric]})" if units.get(metric) else ""))
        for _, row in rows.iterrows():
            where = "  ".join(f"{n}={si(row[n], n)}" for n in grid.names)
            if nominal:
                typer.echo(f"    {where:34s} {si(row['mean'], metric)}")
            elif isinstance(row.get("cv_omitted"), str) and row["cv_omitted"]:
                typer.echo(
                    f"    {where:34s} median {si(row['p50'], metric):>10s}  5-95 % [{si(row['p5'], metric)}, "
                    f"{si(row['p95'], metric)}]  (no CV: {row['cv_omitted']})"
                )
            else:
                typer.echo(
                    f"    {where:34s} median {si(row['p50'], metric):>10s}  5-95 % [{si(row['p5'], metric)}, "
                    f"{si(row['p95'], metric)}]  CV {100 * row['cv']:.2f} % [{100 * row['cv_low']:.2f}, "
                    f"{100 * row['cv_high']:.2f}]  {row['bits']:.2f} bits"
                    + (
                        f"  (closed form {100 * row['closed_form_cv']:.2f} %)"
                        if row["closed_form_cv"] == row["closed_form_cv"]
                        else ""
                    )
                )
    stopping = (table.attrs.get("manifest") or {}).get("stopping")
    print_stopping(stopping, {m.name: m.unit for m in circuit.metrics})
    if out is not None:
        typer.echo(f"  table: neurospice.load_sweep({str(out)!r}); summary: {out / 'summary.csv'}")
