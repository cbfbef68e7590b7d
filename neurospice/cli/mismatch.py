"""The ``mismatch`` command: a Monte Carlo run, summarised (and reported)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..montecarlo import default_mismatch
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
    OutOpt,
    PilotOpt,
    QuietOpt,
    ResumeOpt,
    SamplesOpt,
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
from .report import write_report


@app.command(rich_help_panel="Simulate and study")
def mismatch(
    circuit: CircuitArg,
    tech: CircuitTechOpt = None,
    samples: SamplesOpt = "100",
    seed: SeedOpt = None,
    set_: SetOpt = None,
    spike_node: SpikeNodeOpt = None,
    describe: DescribeOpt = None,
    include_dir: IncludeDirOpt = None,
    tstop: TstopOpt = None,
    mode: ModeOpt = None,
    sampling: SamplingOpt = None,
    target_ci: TargetCiOpt = None,
    pilot: PilotOpt = None,
    batch: BatchOpt = None,
    estimator: EstimatorOpt = None,
    workers: WorkersOpt = None,
    out: OutOpt = None,
    resume: ResumeOpt = False,
    keep_waveforms: Annotated[bool, typer.Option(help="also store every sample's waveforms")] = False,
    dask: DaskOpt = None,
    timeout: TimeoutOpt = None,
    grace: GraceOpt = None,
    keep_spikes: Annotated[bool, typer.Option(help="also store every sample's spike times")] = False,
    report: Annotated[
        bool, typer.Option(help="write --out/report.html (histograms, CVs, Pelgrom, contributions)")
    ] = False,
    quiet: QuietOpt = False,
    accuracy: AccuracyOpt = None,
    engine: EngineOpt = "ngspice",
    spec: SpecOpt = None,
    fail_on_spec: FailOnSpecOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Monte Carlo mismatch: N samples with recorded seeds, streamed to --out, resumable; specs with their yield."""
    from ..analysis.specs import spec_table
    from ..montecarlo import monte_carlo, summary

    def prepare() -> tuple[Any, Any, dict[str, str], float, dict[str, Any]]:
        opts = run_options(
            samples=samples, seed=seed, mismatch=mode, sampling=sampling, workers=workers, timeout=timeout, grace=grace
        )
        check_run_options(resume, report, out)
        c = circuit_named(circuit, describe, include_dir)
        t = technology(tech, c)
        opts["engine"] = engine_for(engine, t)
        opts["options"] = sim_options(accuracy, engine)
        ov = overrides_from(set_, spike_node)
        values = c.values(ov, t)
        specs.extend(specs_for(spec, c))
        chosen = opts["mismatch"] or default_mismatch(opts["engine"])
        rule = stopping_rule(target_ci, pilot, batch, estimator, (c, t, values, chosen))
        if rule is not None:
            opts["stopping"] = rule
        check_new_run(out, resume)
        return c, t, ov, parse_tstop(tstop, c.default_tstop), {k: v for k, v in opts.items() if v is not None}

    specs: list[Any] = []
    c, t, ov, stop, opts = guard(prepare)
    with progress_bar(not quiet and sys.stderr.isatty(), opts["samples"]) as update:
        table = guard(
            lambda: monte_carlo(
                c,
                t,
                overrides=ov,
                tstop=stop,
                out=out,
                resume=resume,
                keep_waveforms=keep_waveforms,
                client=dask,
                progress=update,
                keep_spikes=keep_spikes,
                **{"seed": 1, **opts},
            ),
            "the Monte Carlo run",
        )
    result = summary(table)
    stopped = (table.attrs.get("manifest") or {}).get("stopping") or table.attrs.get("stopping")
    if stopped:
        result["stopping"] = stopped
    if report and out is not None and result["ok"]:  # with no sample to show, no report (the run says why)
        result["report"] = str(write_report(out, opts.get("seed", 1)))
    judged = spec_table(table.set_index("sample"), specs) if specs and len(table) else None
    if judged is not None:
        result["specs"] = spec_records(judged)
    _print_mismatch(
        c, t.name, opts.get("mismatch", default_mismatch(engine)), opts.get("seed", 1), out, result, as_json
    )
    met = True
    if judged is not None and not as_json:
        met = print_specs(judged, {m.name: m.unit for m in c.metrics}, nominal=False)
    elif judged is not None:
        met = bool((judged["passed"] == judged["n"]).all())
    _exit_if_none_ok(result, table)
    if fail_on_spec and not met:
        raise typer.Exit(1)


def _print_mismatch(
    circuit: Any, tech: str, mode: str, seed: int, out: Path | None, result: dict[str, Any], as_json: bool
) -> None:
    from ..params.units import format_si

    if as_json:
        from ..store.simrun import json_safe

        typer.echo(
            json.dumps(
                json_safe(
                    {
                        "circuit": circuit.name,
                        "technology": tech,
                        "mismatch": mode,
                        "seed": seed,
                        "out": str(out) if out else None,
                        **result,
                    }
                )
            )
        )
        return
    typer.echo(
        f"{shown_name(circuit.name)} on {tech}, {result['samples']} samples ({mode} mismatch, seed {seed}): "
        f"{result['ok']} ok, {_failures(result)}; CV across devices, ddof=1, with its 95 % bootstrap interval"
    )
    units = {m.name: m.unit for m in circuit.metrics}
    settings = {m.name for m in circuit.metrics if m.kind == "setting"}  # the same for every device (area...)
    for name, st in result["metrics"].items():
        if name in settings:
            continue
        unit = units.get(name, "")
        mean, sd = (format_si(st[k], unit) if unit else f"{st[k]:.5g}" for k in ("mean", "std"))
        cv = (
            f"CV {100 * st['cv']:.2f} % [{100 * st['cv_low']:.2f}, {100 * st['cv_high']:.2f}]"
            if not st.get("cv_omitted")
            else f"(no CV: {st['cv_omitted']})"
        )
        typer.echo(f"  {name:22s} mean {mean}  sd {sd}  {cv}")
    print_stopping(result.get("stopping"), units)
    if out is not None:
        typer.echo(f"  table: neurospice.load_run({str(out)!r})")
    if "report" in result:
        typer.echo(f"  report: {result['report']}")


def _failures(result: dict[str, Any]) -> str:
    """``3 failed (1 did not converge, 1 timed out, 1 crashed; 2 needed a retry)``."""
    parts = [
        f"{result[k]} {what}"
        for k, what in (("failed_sim", "did not converge"), ("timeout", "timed out"), ("crashed", "crashed"))
        if result[k]
    ]
    retried = f"{result['retried']} needed a retry" if result["retried"] else ""
    detail = "; ".join(x for x in (", ".join(parts), retried) if x)
    return f"{result['failed']} failed" + (f" ({detail})" if detail else "")


def _exit_if_none_ok(result: dict[str, Any], table: Any) -> None:
    if result["samples"] and not result["ok"]:
        first = table["message"].iloc[0] if len(table) else ""
        say_error(f"no sample succeeded; first failure: {first}", 1)
        raise typer.Exit(1)
