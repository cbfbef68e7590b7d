"""Write a simulation run to a folder: all files or none."""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from .simulation import SimulationResult

__all__ = ["check_out_dir", "result_json", "write_run"]


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, tuple):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def result_json(result: SimulationResult, provenance: dict[str, Any] | None = None) -> dict[str, Any]:
    """One JSON-ready object: parameters (SI, by name), metrics, technology facts, provenance."""
    out: dict[str, Any] = _clean(
        {
            "circuit": result.circuit,
            "technology": result.technology,
            "tstop_s": result.tstop,
            "params": dict(result.params),
            "metrics": dict(result.metrics),
            "facts": dict(result.facts),
            "ngspice_version": result.ngspice_version,
            "spike_times_s": [float(x) for x in result.spikes],
            "wall_s": result.wall_s,
            "provenance": provenance or {},
        }
    )
    return out


def check_out_dir(out: Path) -> None:
    """Refuse an output folder that exists and is not empty (nothing is overwritten)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"--out {out}: exists and is not empty; choose a new folder")


def write_run(result: SimulationResult, out: Path, provenance: dict[str, Any] | None = None) -> Path:
    """Write ``waveforms.parquet``, ``metrics.csv``, ``spikes.csv`` and ``run.json`` into ``out`` atomically.

    Files are written into a hidden sibling folder first and renamed into place, so ``out``
    appears complete or not at all.
    """
    check_out_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        pd.DataFrame(result.waves).to_parquet(staging / "waveforms.parquet", index=False)
        pd.DataFrame([_clean(result.metrics)]).to_csv(staging / "metrics.csv", index=False)
        pd.DataFrame({"spike_time_s": result.spikes}).to_csv(staging / "spikes.csv", index=False)
        (staging / "run.json").write_text(json.dumps(result_json(result, provenance), indent=2) + "\n")
        if out.exists():
            out.rmdir()
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out
