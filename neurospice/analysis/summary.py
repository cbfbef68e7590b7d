"""Summaries of a Monte Carlo sample table: which columns are metrics, counts by status, spread per metric."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["NOT_METRICS", "metric_columns", "run_summary"]

#: Bookkeeping columns of a sample table (the per-device offsets ``dvt_*`` are not metrics either).
NOT_METRICS = frozenset({"sample", "seed", "wall_s", "sim_s", "worker", "attempts"})


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
