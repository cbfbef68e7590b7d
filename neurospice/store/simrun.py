"""A simulation run: its record (what :func:`neurospice.simulate` returns) and its folder, written all or none."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..circuits import Waveforms
from ..ngspice_models import TechnologyFacts
from ..params import Values
from .files import check_new_dir, staged_dir

__all__ = ["SimulationResult", "json_safe", "result_json", "write_run"]


@dataclass(frozen=True)
class SimulationResult:
    """Parameters used (SI), probe waveforms, metrics and provenance of one run."""

    circuit: str
    technology: str
    tstop: float
    params: Values
    waves: Waveforms
    metrics: dict[str, float]
    facts: TechnologyFacts | None = None
    wall_s: float = 0.0
    ngspice_version: str = ""
    spikes: NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    provenance: dict[str, Any] = field(default_factory=dict)
    #: what the run's own checks found (a spike count that disagrees with the reset count...)
    warnings: list[str] = field(default_factory=list)


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float as ``None`` (strict JSON has no NaN), tuples as lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (tuple, list)):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    return value


def result_json(result: SimulationResult, provenance: dict[str, Any] | None = None) -> dict[str, Any]:
    """One JSON-ready object: parameters (SI, by name), metrics, technology facts, provenance."""
    out: dict[str, Any] = json_safe(
        {
            "circuit": result.circuit,
            "technology": result.technology,
            "tstop_s": result.tstop,
            "params": dict(result.params),
            "metrics": dict(result.metrics),
            "facts": result.facts.as_dict() if result.facts is not None else {},
            "ngspice_version": result.ngspice_version,
            "spike_times_s": [float(x) for x in result.spikes],
            "warnings": list(result.warnings),
            "wall_s": result.wall_s,
            "provenance": provenance if provenance is not None else result.provenance,
        }
    )
    return out


def write_run(result: SimulationResult, out: Path, provenance: dict[str, Any] | None = None) -> Path:
    """Write ``waveforms.parquet``, ``metrics.csv``, ``spikes.csv`` and ``run.json`` into ``out`` atomically.

    Files are written into a hidden sibling folder first and renamed into place, so ``out``
    appears complete or not at all.
    """
    check_new_dir(out)
    with staged_dir(out) as staging:
        pd.DataFrame(result.waves).to_parquet(staging / "waveforms.parquet", index=False)
        pd.DataFrame([json_safe(result.metrics)]).to_csv(staging / "metrics.csv", index=False)
        pd.DataFrame({"spike_time_s": result.spikes}).to_csv(staging / "spikes.csv", index=False)
        (staging / "run.json").write_text(json.dumps(result_json(result, provenance), indent=2) + "\n")
    return out
