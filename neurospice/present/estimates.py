"""What a stopping rule decided, as rows for the report and the datasheet (read from the stored manifest only)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["STOPPING_HEAD", "stopping_rows"]

STOPPING_HEAD = ["point", "target", "estimate [95 % interval]", "SPICE samples", "why it stopped", "cheap model", "rho"]


def _shown(value: float, statistic: str) -> str:
    if not math.isfinite(value):
        return "n/a"
    return f"{100 * value:.3f} %" if statistic == "cv" else f"{value:.5g}"


def stopping_rows(manifest: Mapping[str, Any]) -> list[list[str]]:
    """One row per point and target: the last reading of the rule, the SPICE samples it took, the reason, the
    cheap model and its paired correlation (no rows for a run without a stopping rule)."""
    outcome = manifest.get("stopping")
    if not isinstance(outcome, Mapping):
        return []
    last: dict[int, Mapping[str, Any]] = {}
    for reading in outcome.get("checkpoints", []):
        last[int(reading["group"])] = reading
    rows = []
    for group in outcome.get("per_group", []):
        reading = last.get(int(group["group"]), {})
        for name, est in reading.items():
            if not isinstance(est, Mapping):
                continue
            statistic = name.partition(":")[2].split("=")[0]
            interval = (
                f"{_shown(est['value'], statistic)} [{_shown(est['low'], statistic)}, {_shown(est['high'], statistic)}]"
            )
            rho = float(est.get("rho", math.nan))
            rows.append(
                [
                    str(group["group"]),
                    name,
                    interval,
                    str(group["samples"]),
                    str(group["reason"]),
                    str(est.get("model") or est.get("method", "")),
                    f"{rho:.4f}" if math.isfinite(rho) else "",
                ]
            )
    return rows
