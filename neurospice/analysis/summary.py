"""Summaries of a Monte Carlo sample table: which columns are metrics, counts by status, spread per metric."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["NOT_METRICS", "metric_columns", "point_summary", "run_summary"]

#: Bookkeeping columns of a sample table (the per-device offsets ``dvt_*`` are not metrics either).
NOT_METRICS = frozenset({"sample", "seed", "wall_s", "sim_s", "worker", "attempts", "point", "device"})


def metric_columns(table: pd.DataFrame) -> list[str]:
    """The numeric metric columns of a sample table, in table order."""
    return [
        name
        for name in table.columns
        if name not in NOT_METRICS and not name.startswith("dvt_") and pd.api.types.is_numeric_dtype(table[name])
    ]


def run_summary(table: pd.DataFrame) -> dict[str, Any]:
    """Counts by status and, for every metric, mean, standard deviation (ddof=1) and CV across ok samples."""
    status = table["status"] if not table.empty else pd.Series(dtype=str)
    ok = table[status == "ok"] if not table.empty else table
    stats: dict[str, dict[str, float]] = {}
    for name in metric_columns(ok):
        x = ok[name].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        if x.size >= 2:
            mean, sd = float(x.mean()), float(x.std(ddof=1))
            stats[name] = {"mean": mean, "std": sd, "cv": sd / abs(mean) if mean else float("nan"), "n": float(x.size)}
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
                )
            rows.append(row)
    return pd.DataFrame(rows)
