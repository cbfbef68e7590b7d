"""Summaries of a Monte Carlo sample table: which columns are metrics, counts by status, spread per metric."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "NOISE_FLOOR",
    "NOT_METRICS",
    "cv_omitted",
    "metric_columns",
    "point_summary",
    "run_summary",
    "typical_and_worst",
]

#: below this a spike train's own CV (``isi_cv``) is the solver's tolerance, not the circuit: a regular neuron
#: gives 2e-5 to 1.3e-4 depending on the accuracy preset, so its spread across devices says nothing
NOISE_FLOOR = 1e-3

#: Bookkeeping columns of a sample table (the per-device offsets ``dvt_*`` are not metrics either).
NOT_METRICS = frozenset({"sample", "seed", "wall_s", "sim_s", "worker", "attempts", "point", "device"})


def metric_columns(table: pd.DataFrame) -> list[str]:
    """The numeric metric columns of a sample table, in table order."""
    return [
        name
        for name in table.columns
        if name not in NOT_METRICS and not name.startswith("dvt_") and pd.api.types.is_numeric_dtype(table[name])
    ]


def cv_omitted(name: str, values: Any) -> str:
    """Why a CV of ``values`` would mean nothing ("" when it means something).

    A CV is a spread relative to a positive quantity's mean. It is left out for values that are constant
    across samples (a setting, a closed form of the nominal values), that are signed or zero somewhere (an
    error, a difference), for fit diagnostics (``*_r2``, ``*_rms``, ``*_error``), and for a dimensionless
    spread at the solver's noise level (a regular train's ``isi_cv`` below :data:`NOISE_FLOOR`).

    Examples
    --------
    >>> cv_omitted("tau_s", [0.011, 0.012, 0.010])
    ''
    >>> cv_omitted("tau_error", [0.01, -0.02, 0.005])
    'signed or zero values: a CV needs a positive quantity'
    >>> cv_omitted("isi_cv", [2.1e-5, 3.0e-5])
    'below the noise floor (1e-03): solver tolerance, not the circuit'
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 2:
        return "fewer than two values"
    if np.ptp(x) <= 1e-9 * float(np.max(np.abs(x))):
        return "constant across samples"
    if np.any(x <= 0):
        return "signed or zero values: a CV needs a positive quantity"
    if name.endswith(("_r2", "_rms", "_error")):
        return "a fit diagnostic, not a quantity"
    if name.endswith("_cv") and float(np.median(x)) < NOISE_FLOOR:
        return f"below the noise floor ({NOISE_FLOOR:.0e}): solver tolerance, not the circuit"
    return ""


def typical_and_worst(table: pd.DataFrame, kinds: dict[str, str]) -> dict[str, Any]:
    """The typical sample (its primary metric nearest the median) and the worst (farthest from it), by index.

    The primary metric is a rate (``isi_rate_hz``, ``rate_hz``), else a time constant (``tau_s``), else the first
    measured metric (``kinds``: each metric's declared kind) whose CV means something; {} when none exists.
    """
    ok = table[table["status"] == "ok"] if "status" in table else table
    usable = [
        m
        for m in metric_columns(ok)
        if kinds.get(m, "measured") == "measured" and not cv_omitted(m, ok[m].to_numpy(float))
    ]
    preferred = [m for m in ("isi_rate_hz", "rate_hz", "tau_s", "refractory_s") if m in usable]
    if not (preferred or usable):
        return {}
    name = (preferred or usable)[0]
    x = ok[name].to_numpy(dtype=float)
    samples = ok["sample"].to_numpy()
    median = float(np.nanmedian(x))
    distance = np.where(np.isfinite(x), np.abs(x - median), np.nan)
    return {
        "metric": name,
        "median": median,
        "typical": int(samples[np.nanargmin(distance)]),
        "worst": int(samples[np.nanargmax(distance)]),
    }


def run_summary(table: pd.DataFrame, *, n_boot: int = 1000) -> dict[str, Any]:
    """Counts by status and, for every metric, mean, standard deviation (ddof=1) and CV across ok samples.

    Each metric's entry has ``mean``, ``std``, ``n``, ``cv`` with its bootstrap interval (``cv_low``,
    ``cv_high``, 95 %) and ``cv_omitted``, the reason its CV means nothing (then ``cv`` is still given, for
    the record, but reports and the command line leave it out).
    """
    from .cv import coefficient_of_variation

    status = table["status"] if not table.empty else pd.Series(dtype=str)
    ok = table[status == "ok"] if not table.empty else table
    stats: dict[str, dict[str, Any]] = {}
    for name in metric_columns(ok):
        x = ok[name].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        if x.size >= 2:
            mean, sd = float(x.mean()), float(x.std(ddof=1))
            why = cv_omitted(name, x)
            est = coefficient_of_variation(x, n_boot=n_boot) if not why else None
            stats[name] = {
                "mean": mean,
                "std": sd,
                "cv": sd / abs(mean) if mean else float("nan"),
                "cv_low": est.ci_low if est is not None else float("nan"),
                "cv_high": est.ci_high if est is not None else float("nan"),
                "cv_omitted": why,
                "n": float(x.size),
            }
    return {
        "samples": len(table),
        "ok": len(ok),
        "failed": int(len(table) - len(ok)),
        "failed_sim": int((status == "failed").sum()),
        "timeout": int((status == "timeout").sum()),
        "crashed": int((status == "crashed").sum()),
        "retried": int((table["attempts"] > 1).sum()) if "attempts" in table else 0,
        "metrics": stats,
        "cv_kind": "across devices",
        "ddof": 1,
    }


def point_summary(table: pd.DataFrame, by: list[str], *, n_boot: int = 1000) -> pd.DataFrame:
    """Per grid point (the columns ``by``) and metric: n, mean, sd, CV with its bootstrap interval, equivalent
    bits (log2 1/CV^2), and the 5/50/95 % points across samples. Tidy: one row per point and metric.

    Only ``ok`` samples count; a point with fewer than two finite values gets NaN spreads, never 0.
    """
    from .cv import coefficient_of_variation, equivalent_bits

    ok = table[table["status"] == "ok"] if "status" in table else table
    metrics = [m for m in metric_columns(ok) if m not in by and m not in ("point", "device")]
    rows: list[dict[str, Any]] = []
    for key, group in ok.groupby(by, sort=True):
        coords = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        for name in metrics:
            x = group[name].to_numpy(dtype=float)
            x = x[np.isfinite(x)]
            row: dict[str, Any] = {**coords, "metric": name, "n": int(x.size)}
            if x.size >= 2:
                est = coefficient_of_variation(x, n_boot=n_boot)
                p5, p50, p95 = np.percentile(x, [5, 50, 95])
                row.update(
                    mean=est.mean,
                    sd=est.std,
                    cv=est.cv,
                    cv_low=est.ci_low,
                    cv_high=est.ci_high,
                    bits=float(equivalent_bits(est.cv)),
                    p5=p5,
                    p50=p50,
                    p95=p95,
                    cv_omitted=cv_omitted(name, x),
                )
            elif x.size == 1:
                nan = float("nan")
                row.update(
                    mean=float(x[0]),
                    sd=nan,
                    cv=nan,
                    cv_low=nan,
                    cv_high=nan,
                    bits=nan,
                    p5=float(x[0]),
                    p50=float(x[0]),
                    p95=float(x[0]),
                    cv_omitted="fewer than two values",
                )
            rows.append(row)
    return pd.DataFrame(rows)
