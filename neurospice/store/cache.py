"""Results that depend only on their inputs (a technology's verified model files, a deck, a seed), kept on disk.

A Pelgrom check of sky130 simulates a thousand mismatched devices through the PDK's statistical
subcircuits (about 25 s per device type on a 2-core machine). Its result is a pure function of the
technology's files (by SHA-256), the deck and the simulator, so it is computed once per machine and
read back afterwards. An entry that cannot be read is computed again; a cache that cannot be written
costs time, never a result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..ngspice_models.gf180mcu import cache_dir
from .files import atomic_write

__all__ = ["cached_json", "results_dir"]


def results_dir() -> Path:
    """Folder of cached results (under the technologies' cache; ``$NEUROSPICE_CACHE_DIR`` moves both)."""
    return cache_dir() / "results"


def cached_json(kind: str, key: Mapping[str, Any], compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``compute()`` (a JSON-able dict), or what it returned before for the same ``key`` (any JSON-able mapping)."""
    text = json.dumps({"kind": kind, **key}, sort_keys=True, default=str)
    path = results_dir() / kind / (hashlib.sha256(text.encode()).hexdigest() + ".json")
    try:
        stored = json.loads(path.read_text())
        if stored["key"] == text:
            return dict(stored["value"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    value = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"key": text, "value": value}) + "\n"
        atomic_write(path, lambda p: p.write_text(payload))
    except OSError:
        pass
    return value
