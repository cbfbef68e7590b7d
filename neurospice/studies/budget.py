"""The precision budget, measured: scale every analog device of one circuit, or average k circuits?

Both strategies are simulated, not assumed. (a) A sweep over the area scale ``s`` (W and L of
every analog device times sqrt(s), :attr:`Circuit.analog_sizes`) with a Monte Carlo at each scale
(the same seeds at every scale) gives CV(s), area(s) and power(s). (b) The unscaled samples are
``samples`` independent circuits; shuffled into clusters of k they give the CV of a cluster mean
against k. :func:`neurospice.analysis.budget.budget_table` then turns both into the scale, the
cluster size and their area and power for each target precision.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Unpack

import pandas as pd

from ..analysis.budget import budget_table, cluster_mean_cv
from ..analysis.cv import coefficient_of_variation
from ..circuits import Circuit, get_circuit
from ..montecarlo.config import RunOptions, run_config
from ..ngspice_models import Technology, get_technology
from ..params import ParameterError
from ..params.grid import Axis, Grid
from ..store import atomic_write
from .design import design_sweep

__all__ = ["BudgetResult", "Targets", "precision_budget", "write_budget"]


@dataclass(frozen=True)
class Targets:
    """What a precision budget is asked: the cluster sizes whose mean is measured, the precisions (bits) budgeted."""

    cluster_sizes: Sequence[int] = (1, 2, 4, 8, 16)
    bits: Sequence[float] = (6.0, 8.0, 10.0)


@dataclass(frozen=True)
class BudgetResult:
    """Measured curves and the budget drawn from them."""

    scaling: pd.DataFrame  # scale, cv (+ interval), mean metric, area_um2, power_w
    clusters: pd.DataFrame  # k, clusters, cv, cv_unbiased
    budget: pd.DataFrame  # one row per target precision
    samples: pd.DataFrame  # the sweep's sample table
    settings: dict[str, Any]


def precision_budget(
    circuit: str | Circuit = "dpi-neuron",
    tech: str | Technology = "gf180mcu",
    *,
    metric: str = "isi_rate_hz",
    scales: Sequence[float] = (1.0, 2.0, 4.0, 8.0),
    targets: Targets | None = None,
    samples: int = 32,
    seed: int = 1,
    overrides: Mapping[str, object] | None = None,
    **run: Unpack[RunOptions],
) -> BudgetResult:
    """The precision budget: bigger devices or more neurons averaged, measured both ways and priced.

    Measures CV(``metric``) against the analog transistors' area scale s (W and L times sqrt(s): a Monte
    Carlo at each scale) and against the cluster size k (the unscaled samples shuffled into clusters of
    k, as in :cite:t:`zendrikov2023`), fits CV ~ s^p and CV ~ k^q (Pelgrom and independence both say -1/2),
    and solves each for the target bits, in area and power from the same simulations.

    Parameters
    ----------
    circuit : str or Circuit, default "dpi-neuron"
        The circuit.
    tech : str or Technology, default "gf180mcu"
        The technology.
    metric : str, default "isi_rate_hz"
        The metric whose spread is budgeted.
    scales : sequence of float
        Area scales measured (at least two; 1 is the circuit as drawn).
    targets : Targets, optional
        The cluster sizes measured and the precisions budgeted (default k = 1..16, 6/8/10 bits).
    samples : int, default 32
        Mismatch samples per scale.
    seed : int, default 1
        The master seed.
    overrides : mapping, optional
        Fixed parameter values.
    **run
        The keywords of every run (:class:`~neurospice.montecarlo.config.RunOptions`; ``mismatch``
        defaults to ``pdk``). With ``out`` the sweep is stored (resumable) with ``scaling.csv``,
        ``clusters.csv``, ``budget.csv`` and ``budget.json`` beside it.

    Returns
    -------
    BudgetResult
        ``scaling`` (CV and its interval, area and power per scale), ``clusters`` (CV per k), ``budget``
        (one row per target: the scale and the k it needs, and what each costs), ``samples`` and ``settings``.

    Raises
    ------
    ParameterError
        Bad scales, cluster sizes or bits (k in [1, samples/2], bits in (0, 24]), before anything runs.

    Examples
    --------
    >>> from neurospice import precision_budget
    >>> from neurospice.studies.budget import Targets
    >>> result = precision_budget("dpi-synapse", "gf180mcu", metric="tau_s", scales=(1, 4), samples=8, tstop=0.03,
    ...                           targets=Targets(cluster_sizes=(1, 2, 4), bits=(8.0,)), workers=1, progress=False)
    >>> result.scaling["scale"].tolist(), bool(result.scaling["cv"].iloc[1] < result.scaling["cv"].iloc[0])
    ([1.0, 4.0], True)
    """
    circuit, tech = get_circuit(circuit), get_technology(tech)
    targets = targets or Targets()
    cluster_sizes, bits = targets.cluster_sizes, targets.bits
    mismatch = run_config(run).mismatch or "pdk"
    if not circuit.analog_sizes:
        raise ParameterError("circuit", f"{circuit.name} declares no analog device sizes to scale")
    if metric not in {m.name for m in circuit.metrics}:
        raise ParameterError("metric", f"got {metric!r}; accepted: {', '.join(m.name for m in circuit.metrics)}")
    scale_list = sorted({float(s) for s in scales})
    if len(scale_list) < 2 or scale_list[0] != 1.0 or not all(math.isfinite(s) and s > 0 for s in scale_list):
        raise ParameterError("scales", f"got {list(scales)}; accepted: at least two area scales, starting at 1")
    if samples < 4:
        raise ParameterError("samples", f"got {samples}; accepted: at least 4 circuits per scale")
    _check_budget_targets(cluster_sizes, bits, samples)
    base = circuit.values(overrides, tech)
    axes, max_scale = [], math.inf
    for name in circuit.analog_sizes:
        p, v = circuit.params[name], base.number(name)
        max_scale = min(max_scale, (p.high / v) ** 2)
        axes.append(Axis(name, tuple(p.coerce(v * math.sqrt(s)) for s in scale_list), "list"))
    fixed = {k: v for k, v in (overrides or {}).items() if k not in circuit.analog_sizes}
    grid = Grid(tuple(axes), zipped=True)
    sweep: RunOptions = {**run, "mismatch": mismatch}
    table = design_sweep(circuit, tech, grid, samples=samples, seed=seed, overrides=fixed, **sweep)
    ok = table[table["status"] == "ok"]
    rows = []
    for point, scale in enumerate(scale_list):
        at = ok[ok["point"] == point]
        est = coefficient_of_variation(at[metric].to_numpy(dtype=float), seed=seed)
        rows.append(
            {
                "scale": scale,
                "cv": est.cv,
                "cv_low": est.ci_low,
                "cv_high": est.ci_high,
                "n": est.n,
                "mean": est.mean,
                "area_um2": float(at["area_um2"].mean()),
                "power_w": float(at["power_w"].mean()) if "power_w" in at else float("nan"),
            }
        )
    scaling = pd.DataFrame(rows)
    unscaled = ok[ok["point"] == 0][metric].to_numpy(dtype=float)
    clusters = cluster_mean_cv(unscaled, cluster_sizes, rng=seed)
    budget = budget_table(scaling, clusters, bits, max_scale=max_scale)
    settings = {
        "circuit": circuit.name,
        "technology": tech.name,
        "metric": metric,
        "samples": samples,
        "seed": seed,
        "mismatch": mismatch,
        "scales": scale_list,
        "cluster_sizes": list(cluster_sizes),
        "bits": list(bits),
        "max_scale": max_scale,
        "bits_method": "log2_inv_cv2",
        **{str(k): v for k, v in budget.attrs.items()},
    }
    result = BudgetResult(scaling, clusters, budget, table, settings)
    if run.get("out") is not None:
        write_budget(result, Path(str(run["out"])))
    return result


#: the finest precision a budget is asked for: CV 2**-12 (0.02 %), far below any mismatch spread measured here
MAX_BITS = 24


def _check_budget_targets(cluster_sizes: Sequence[int], bits: Sequence[float], samples: int) -> None:
    """Cluster sizes that leave at least two clusters of ``samples`` circuits, and bits in (0, MAX_BITS]
    (checked before anything runs)."""
    most = samples // 2
    ks = list(cluster_sizes)
    if not ks or not all(isinstance(k, int) and not isinstance(k, bool) and 1 <= k <= most for k in ks):
        shown = ", ".join(str(k)[:12] for k in ks[:6])
        raise ParameterError(
            "clusters",
            f"got {shown}; accepted: whole numbers in [1, {most}] (two clusters or more "
            f"of the {samples} circuits per scale)",
        )
    targets = list(bits)
    if not targets or not all(isinstance(b, (int, float)) and 0 < b <= MAX_BITS for b in targets):
        shown = ", ".join(f"{b:g}" if isinstance(b, (int, float)) else repr(b) for b in targets[:6])
        raise ParameterError("bits", f"got {shown}; accepted: precisions in (0, {MAX_BITS}] bits")


def write_budget(result: BudgetResult, out: Path) -> None:
    """``scaling.csv``, ``clusters.csv``, ``budget.csv``, ``budget.json`` in ``out`` (each written whole)."""
    for name, frame in (("scaling", result.scaling), ("clusters", result.clusters), ("budget", result.budget)):
        _write_csv(out / f"{name}.csv", frame)
    text = (
        json.dumps(
            {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in result.settings.items()},
            indent=1,
        )
        + "\n"
    )
    atomic_write(out / "budget.json", lambda p: p.write_text(text))


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    atomic_write(path, lambda p: frame.to_csv(p, index=False))
