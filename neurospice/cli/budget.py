"""The ``budget`` command: bigger devices or more of them, measured, for a target precision."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..ngspice_models import DEFAULT_TECHNOLOGY
from ._app import app
from .common import (
    AccuracyOpt,
    CircuitArg,
    DaskOpt,
    JsonOpt,
    ModeOpt,
    QuietOpt,
    ResumeOpt,
    SeedOpt,
    SetOpt,
    TechOpt,
    TstopOpt,
    WorkersOpt,
    check_new_run,
    check_run_options,
    circuit_named,
    guard,
    number_list,
    overrides_from,
    parse_tstop,
    progress_bar,
    run_options,
    sim_options,
    technology,
)


@app.command(rich_help_panel="Simulate and study")
def budget(
    circuit: CircuitArg,
    metric: Annotated[str, typer.Option(help="the metric whose precision is budgeted")] = "isi_rate_hz",
    scales: Annotated[str, typer.Option(help="analog device area scales to simulate (start at 1)")] = "1,2,4,8",
    clusters: Annotated[str, typer.Option(help="cluster sizes k to average")] = "1,2,4,8,16",
    bits: Annotated[str, typer.Option(help="target precisions, bits = log2 1/CV^2")] = "6,8,10",
    samples: Annotated[str, typer.Option("--samples", "-n", help="circuits per scale")] = "32",
    seed: SeedOpt = None,
    mode: ModeOpt = None,
    tech: TechOpt = DEFAULT_TECHNOLOGY,
    set_: SetOpt = None,
    tstop: TstopOpt = None,
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    out: Annotated[
        Path | None, typer.Option(help="folder: the sweep, scaling/clusters/budget CSVs, budget.png")
    ] = None,
    resume: ResumeOpt = False,
    quiet: QuietOpt = False,
    accuracy: AccuracyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Precision budget: CV against device area scale and against cluster size, measured; area and power of each."""
    from ..studies.budget import Targets, precision_budget

    def prepare() -> tuple[Any, Any, dict[str, str], float, dict[str, Any]]:
        opts = run_options(seed=seed, mismatch=mode, workers=workers, samples=samples)
        opts["options"] = sim_options(accuracy)
        check_run_options(resume, False, out)
        c, t = circuit_named(circuit), technology(tech)
        ov = overrides_from(set_)
        c.values(ov, t)
        opts.update(
            scales=number_list(scales, "scales", ""),
            cluster_sizes=number_list(clusters, "clusters", "", True),
            bits=number_list(bits, "bits", ""),
            metric=metric,
        )
        check_new_run(out, resume)
        return c, t, ov, parse_tstop(tstop, c.default_tstop), {k: v for k, v in opts.items() if v is not None}

    c, t, ov, stop, opts = guard(prepare)
    opts["targets"] = Targets(**{k: opts.pop(k) for k in ("cluster_sizes", "bits") if k in opts})
    scales_n = len(opts.get("scales") or (1, 2, 4, 8))
    with progress_bar(not quiet and sys.stderr.isatty(), scales_n * opts.get("samples", 32)) as update:
        result = guard(
            lambda: precision_budget(
                c, t, overrides=ov, tstop=stop, out=out, resume=resume, client=dask, progress=update, **opts
            ),
            "the precision budget",
        )
    if out is not None:
        from ..present.plot import plot_budget

        guard(lambda: plot_budget(out), "drawing budget.png")
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "settings": result.settings,
                    "scaling": result.scaling.to_dict("records"),
                    "clusters": result.clusters.to_dict("records"),
                    "budget": result.budget.to_dict("records"),
                },
                default=float,
            )
        )
        return
    _print(result, out)


def _print(result: Any, out: Path | None) -> None:
    from ..params.units import format_si

    s = result.settings
    typer.echo(
        f"precision budget of {s['metric']}: {s['circuit']} on {s['technology']}, {s['samples']} circuits per "
        f"scale ({s['mismatch']} mismatch, seed {s['seed']}); bits = log2 1/CV^2"
    )
    typer.echo(f"  (a) bigger devices: CV ~ s^{s['cv_exponent_scale']:.3f} (Pelgrom: -0.5)")
    for _, r in result.scaling.iterrows():
        where = f"[{100 * r['cv_low']:.2f}, {100 * r['cv_high']:.2f}]"
        typer.echo(
            f"      s={r['scale']:<6g} CV {100 * r['cv']:.2f} % {where}  area {r['area_um2']:.1f} µm²  "
            f"power {format_si(r['power_w'], 'W')}"
        )
    typer.echo(f"  (b) averaging: CV ~ k^{s['cv_exponent_k']:.3f} (independent circuits: -0.5)")
    for _, r in result.clusters.iterrows():
        typer.echo(f"      k={int(r['k']):<4d} CV {100 * r['cv_unbiased']:.2f} % ({int(r['clusters'])} clusters)")
    for _, r in result.budget.iterrows():
        typer.echo(
            f"  {r['bits']:g} bits (CV {100 * r['target_cv']:.2f} %): scale {r['scale']:.3g} -> "
            f"{r['scale_area_um2']:.0f} µm², {format_si(r['scale_power_w'], 'W')}; k = {int(r['k'])} -> "
            f"{r['cluster_area_um2']:.0f} µm², {format_si(r['cluster_power_w'], 'W')}; cheaper in area: "
            f"{r['cheaper_area']}, in power: {r['cheaper_power']}"
        )
        typer.echo(f"      {r['reason']}")
    if out is not None:
        typer.echo(f"  tables and budget.png in {out}")
