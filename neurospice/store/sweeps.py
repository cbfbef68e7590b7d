"""Sweep folders: a Monte Carlo run folder whose manifest names a grid, plus the per-point ``summary.csv``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..params import ParameterError
from .runs import read_manifest

__all__ = ["SUMMARY", "SWEEP_FORMAT", "is_sweep", "read_sweep"]

SWEEP_FORMAT = "neurospice-sweep-1"
#: per point and metric: n, mean, sd, CV with its interval, bits, 5/50/95 %, closed-form CV
SUMMARY = "summary.csv"


def is_sweep(out: Path) -> bool:
    """Whether ``out`` holds a sweep (its manifest says so)."""
    try:
        return read_manifest(out).get("format") == SWEEP_FORMAT
    except (OSError, ValueError):
        return False


def read_sweep(out: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The stored per-point summary of a finished sweep and its manifest."""
    manifest = read_manifest(out)
    if manifest.get("format") != SWEEP_FORMAT:
        raise ParameterError("run_dir", f"{out}: not a sweep folder (written by `neurospice sweep --out`)")
    if not (out / SUMMARY).is_file():
        raise ParameterError("run_dir", f"{out}: no {SUMMARY} yet; finish the sweep with --resume")
    return pd.read_csv(out / SUMMARY), manifest
