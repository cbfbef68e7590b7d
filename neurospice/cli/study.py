"""The population-precision study command: parse, validate the whole design, calibrate, run, render."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..analysis.bibliography import cite
from ..montecarlo import default_mismatch
from ..ngspice_models import DEFAULT_TECHNOLOGY
from ..studies.precision import STUDY_OPTIONS
from ._app import app
from .common import (
    AccuracyOpt,
    DaskOpt,
    EngineOpt,
    GraceOpt,
    JsonOpt,
    ModeOpt,
    OutOpt,
    QuietOpt,
    ResumeOpt,
    SeedOpt,
    SetOpt,
    TechOpt,
    TimeoutOpt,
    WorkersOpt,
    check_new_run,
    check_run_options,
    engine_for,
    guard,
    help_of,
    number_list,
    option,
    overrides_from,
    progress_bar,
    run_options,
    sim_options,
    technology,
)

NeuronsOpt = Annotated[str | None, typer.Option(help=help_of(STUDY_OPTIONS, "neurons"))]
InputRateOpt = Annotated[str | None, typer.Option(help=help_of(STUDY_OPTIONS, "input_rate"))]
DurationOpt = Annotated[str | None, typer.Option(help=help_of(STUDY_OPTIONS, "duration"))]
SettleOpt = Annotated[str | None, typer.Option(help=help_of(STUDY_OPTIONS, "settle"))]
PhaseOpt = Annotated[str | None, typer.Option(help=help_of(STUDY_OPTIONS, "phase_spread"))]
ShufflesOpt = Annotated[str | None, typer.Option(help=help_of(STUDY_OPTIONS, "shuffles"))]
BitsOpt = Annotated[str | None, typer.Option(help=help_of(STUDY_OPTIONS, "bits"))]
PilotOpt = Annotated[str | None, typer.Option(help=help_of(STUDY_OPTIONS, "pilot"))]
CalibrateOpt = Annotated[str | None, typer.Option(help=help_of(STUDY_OPTIONS, "target_cv"))]


@app.command(rich_help_panel="Simulate and study")
def precision(
    tech: TechOpt = DEFAULT_TECHNOLOGY,
    neurons: NeuronsOpt = None,
    input_rate: InputRateOpt = None,
    duration: DurationOpt = None,
    settle: SettleOpt = None,
    phase_spread: PhaseOpt = None,
    seed: SeedOpt = None,
    set_: SetOpt = None,
    cluster_sizes: Annotated[str | None, typer.Option(help="e.g. 1,2,4,8 (default: powers of 2 to N/2)")] = None,
    windows: Annotated[str | None, typer.Option(help="e.g. 20m,50m,0.1 (default: 10 ms .. duration)")] = None,
    shuffles: ShufflesOpt = None,
    bits: BitsOpt = None,
    mode: ModeOpt = None,
    calibrate: CalibrateOpt = None,
    pilot: PilotOpt = None,
    workers: WorkersOpt = None,
    out: OutOpt = None,
    resume: ResumeOpt = False,
    dask: DaskOpt = None,
    timeout: TimeoutOpt = None,
    grace: GraceOpt = None,
    report: Annotated[bool, typer.Option(help="write --out/report.html with the heat maps")] = False,
    quiet: QuietOpt = False,
    accuracy: AccuracyOpt = None,
    engine: EngineOpt = "ngspice",
    as_json: JsonOpt = False,
) -> None:
    """Precision from averaging: N mismatched DPI neurons, cluster-rate CV x window, vs the published table."""
    from ..studies.precision import ClusterAnalysis, Recording, calibrate_sizes, precision_study, validate_study

    def prepare() -> dict[str, Any]:
        texts = {
            "neurons": neurons,
            "input_rate": input_rate,
            "duration": duration,
            "settle": settle,
            "phase_spread": phase_spread,
            "shuffles": shuffles,
            "bits": bits,
            "pilot": pilot,
            "target_cv": calibrate,
        }
        given = {name: option(STUDY_OPTIONS, name, text) for name, text in texts.items()}
        study: dict[str, Any] = {n: STUDY_OPTIONS[n].default if v is None else v for n, v in given.items()}
        run = run_options(seed=seed, mismatch=mode, workers=workers, timeout=timeout, grace=grace)
        tech_ = technology(tech)
        run["engine"] = engine_for(engine, tech_)
        run["options"] = sim_options(accuracy, engine)
        run["mismatch"] = run["mismatch"] or default_mismatch(engine)
        check_run_options(resume, report, out)
        ov = overrides_from(set_)
        sizes = number_list(cluster_sizes, "cluster_sizes", "", whole=True)
        wins = number_list(windows, "windows", "s")
        # the whole design, before calibration or simulation spends any time
        recording = Recording(study["input_rate"], study["duration"], study["settle"], study["phase_spread"])
        analysis = ClusterAnalysis(sizes, wins, study["shuffles"], study["bits"])
        validate_study(study["neurons"], recording, ov, analysis, run["mismatch"])
        check_new_run(out, resume)
        return {
            "tech": tech_,
            "overrides": ov,
            "recording": recording,
            "analysis": analysis,
            "calibrate": given["target_cv"],
            **study,
            **run,
        }

    a = guard(prepare)
    common = {
        "seed": a["seed"] if a["seed"] is not None else 1,
        "workers": a["workers"],
        "client": dask,
        "options": a["options"],
        "engine": a["engine"],
    }
    calibration: list[dict[str, float]] = []
    if a["calibrate"] is not None:
        pilots = {"pilot": a["pilot"], "overrides": a["overrides"], **common}
        pilots["recording"] = Recording(input_rate=a["input_rate"], duration=0.3, phase_spread=a["phase_spread"])
        a["overrides"], calibration = guard(lambda: calibrate_sizes(a["tech"], a["calibrate"], **pilots))
        if not as_json:
            for step in calibration:
                typer.echo(
                    f"calibrate: size factor {step['factor']:.3f} -> rate CV {100 * step['cv']:.1f} % "
                    f"[{100 * step['ci_low']:.1f}, {100 * step['ci_high']:.1f}], mean {step['mean_rate_hz']:.1f} Hz"
                )
    with progress_bar(not quiet and sys.stderr.isatty(), a["neurons"]) as update:
        result = guard(
            lambda: precision_study(
                a["tech"],
                neurons=a["neurons"],
                recording=a["recording"],
                overrides=a["overrides"],
                analysis=a["analysis"],
                mismatch=a["mismatch"],
                out=out,
                resume=resume,
                progress=update,
                timeout=a["timeout"],
                grace=a["grace"] if a["grace"] is not None else 5.0,
                **common,
            ),
            "the precision study",
        )
    report_path = _figures(out, report)
    _print_precision(result, calibration, report_path, out, as_json)


def _figures(out: Path | None, report: bool) -> Path | None:
    """The heat map next to the tables, and the report when asked (both drawn from the stored study)."""
    if out is None:
        return None
    from ..present.report import precision_report, save_precision_heatmap

    guard(lambda: save_precision_heatmap(out))
    return guard(lambda: precision_report(out)) if report else None


def _print_precision(
    result: Any, calibration: list[dict[str, float]], report: Path | None, out: Path | None, as_json: bool
) -> None:
    single, slope = result.single_cv, result.slope
    if as_json:
        data = {
            **result.settings,
            "calibration": calibration,
            "single_neuron_rate_cv": single.as_dict(),
            "mean_rate_hz": float(result.rates_hz.mean()),
            "slope": slope,
            "table": result.table.to_dict(orient="records"),
            "comparison": result.comparison.to_dict(orient="records"),
            "out": str(out) if out else None,
            "report": str(report) if report else None,
        }
        typer.echo(json.dumps(data))
        return
    s = result.settings
    typer.echo(
        f"precision: {s['ok']}/{s['neurons']} DPI neurons on {s['technology']}, {s['input_rate_hz']:g} Hz in, "
        f"mean {result.rates_hz.mean():.1f} Hz out, {s['duration_s']:g} s after {s['settle_s']:g} s, "
        f"phases spread over {1e3 * s['phase_spread_s']:g} ms"
    )
    typer.echo(
        f"  single-neuron rate CV {100 * single.cv:.2f} % [{100 * single.ci_low:.2f}, {100 * single.ci_high:.2f}]"
        f" (across neurons, ddof=1, 95 % bootstrap, n={single.n})"
    )
    typer.echo(
        f"  CV vs cluster size at {slope['window_s']:g} s: slope {slope['slope']:.3f} "
        f"[{slope['ci_low']:.3f}, {slope['ci_high']:.3f}] (independent neurons: -0.5)"
    )
    grid = result.table.pivot(index="cluster_size", columns="window_s", values="cv") * 100
    typer.echo(
        "  cluster-rate CV (%, across clusters, ddof=1, mean of shuffles), rows cluster size, columns window (s):"
    )
    typer.echo("  " + grid.round(2).to_string().replace("\n", "\n  "))
    if len(result.comparison):
        r = result.comparison["ratio"]
        typer.echo(
            f"  vs published ({cite('zendrikov2023')}), {len(r)} shared cells: simulated/published median "
            f"{r.median():.2f}x, range {r.min():.2f}x .. {r.max():.2f}x"
        )
    if out is not None:
        typer.echo(f"  tables: {out}/cluster_cv.csv, bits_{s['bits_method']}.csv, comparison.csv, heatmap.png")
    if report is not None:
        typer.echo(f"  report: {report}")
