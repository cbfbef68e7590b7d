"""What a stored run's numbers are: its circuit's parameter and metric declarations, written into the manifest.

A run folder describes itself: plots, reports and datasets read units, kinds and descriptions from
here and never reopen the circuit (which may have changed, or be a netlist that is gone). A folder
written before declarations were stored has none: its numbers then carry no units.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..circuits import Circuit, Metric

__all__ = ["declarations", "declared_metrics", "declared_units"]


def declarations(circuit: Circuit) -> dict[str, Any]:
    """The manifest's ``declarations``: every parameter (unit, kind, description) and metric (unit, kind,
    description, the measured metric a closed form predicts) of ``circuit``."""
    return {
        "params": {p.name: {"unit": p.unit, "kind": p.kind, "description": p.description} for p in circuit.params},
        "metrics": {
            m.name: {"unit": m.unit, "kind": m.kind, "description": m.description, "predicts": m.predicts}
            for m in circuit.metrics
        },
    }


def declared_metrics(manifest: Mapping[str, Any]) -> dict[str, Metric]:
    """The metric declarations a manifest stores, by name (none for a folder written without them)."""
    stored = manifest.get("declarations", {}).get("metrics", {})
    return {
        name: Metric(name, str(d["unit"]), str(d["description"]), d["kind"], str(d.get("predicts", "")))
        for name, d in stored.items()
    }


def declared_units(manifest: Mapping[str, Any]) -> dict[str, str]:
    """Units of the run's parameters and metrics, by name (none for a folder written without declarations)."""
    stored = manifest.get("declarations", {})
    return {name: str(d["unit"]) for part in ("params", "metrics") for name, d in stored.get(part, {}).items()}
