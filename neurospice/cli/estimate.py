"""The ``estimate`` command: a statistic of a stored run's metric with its interval, plain and with a cheap model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..store.simrun import json_safe
from ._app import app
from .common import JsonOpt, guard

#: :data:`neurospice.montecarlo.sequential.ESTIMATORS` (spelled out: the command line imports no run layer at start)
ESTIMATOR_NAMES = ("plain", "regression", "closed-form", "equation")


@app.command(rich_help_panel="Simulate and study")
def estimate(
    run_dir: Annotated[Path, typer.Argument(help="a Monte Carlo run folder (mismatch --out)")],
    metric: Annotated[list[str], typer.Option("--metric", "-m", help="a metric of the run (repeatable)")],
    statistic: Annotated[str, typer.Option(help="mean, sd or cv")] = "cv",
    estimator: Annotated[
        list[str] | None,
        typer.Option(help=f"{', '.join(ESTIMATOR_NAMES)} (repeatable; default: plain and regression)"),
    ] = None,
    samples: Annotated[
        str | None, typer.Option("--samples", "-n", help="read only the first N samples (a smaller run's prefix)")
    ] = None,
    confidence: Annotated[str, typer.Option(help="level of the intervals")] = "0.95",
    as_json: JsonOpt = False,
) -> None:
    """A metric's mean, sd or CV over a stored run with its interval: plain Monte Carlo, and with control variates
    (pelgrom runs) from the offsets regression, the circuit's closed form or the calibrated DPI equation."""
    from ..params import ParameterError
    from ..studies.estimate import estimate_run

    def prepare() -> tuple[int | None, float, list[str]]:
        if statistic not in ("mean", "sd", "cv"):
            raise ParameterError("statistic", f"got {statistic!r}; accepted: mean, sd, cv")
        chosen = estimator or ["plain", "regression"]
        for name in chosen:
            if name not in ESTIMATOR_NAMES:
                raise ParameterError("estimator", f"got {name!r}; accepted: {', '.join(ESTIMATOR_NAMES)}")
        try:
            n = int(samples) if samples is not None else None
        except ValueError:
            raise ParameterError("samples", f"got {samples!r}; accepted: a whole number >= 3") from None
        try:
            level = float(confidence)
        except ValueError:
            raise ParameterError("confidence", f"got {confidence!r}; accepted: a level in (0, 1)") from None
        if not 0 < level < 1:
            raise ParameterError("confidence", f"got {confidence}; accepted: a level in (0, 1)")
        return n, level, chosen

    n, level, chosen = guard(prepare)
    found = []
    for m in metric:
        for name in chosen:
            est = guard(
                lambda m=m, name=name: estimate_run(  # type: ignore[misc]
                    run_dir,
                    m,
                    statistic,  # type: ignore[arg-type]
                    estimator=name,
                    confidence=level,
                    samples=n,
                ),
                "the estimate",
            )
            found.append((m, name, est))
    if as_json:
        rows = [{"metric": m, "estimator": name, **est.as_dict()} for m, name, est in found]
        typer.echo(json.dumps(json_safe({"run": str(run_dir), "statistic": statistic, "estimates": rows})))
        return

    def shown(v: float) -> str:
        return f"{100 * v:.3f} %" if statistic == "cv" else f"{v:.6g}"

    typer.echo(f"{statistic} of each metric over {run_dir} ({100 * level:g} % intervals)")
    for m, name, est in found:
        cheap = est.n_cheap - est.n_spice
        side = f" + {cheap} cheap draws" if cheap > 0 else (" (cheap moments exact)" if name != "plain" else "")
        rho = f", rho {est.rho:.4f}" if est.rho == est.rho else ""
        gain = f"; plain Monte Carlo needs ~{est.gain:.3g}x the SPICE runs for this width" if name != "plain" else ""
        typer.echo(
            f"  {m:16s} {name:12s} {shown(est.value)} [{shown(est.low)}, {shown(est.high)}]  "
            f"{est.n_spice} SPICE samples{side}{rho}{gain}"
        )
        if est.model:
            typer.echo(f"  {'':16s} {'':12s} model: {est.model}")
