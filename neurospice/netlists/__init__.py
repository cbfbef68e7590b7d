"""The SPICE subcircuit files circuits are made of (plain SPICE, readable by any tool)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

__all__ = ["NETLIST_DIR", "read_netlist"]

NETLIST_DIR = Path(__file__).parent


@cache
def read_netlist(name: str) -> str:
    """Text of ``netlists/<name>.sp`` (the package's own files: read once per process)."""
    return (NETLIST_DIR / f"{name}.sp").read_text()
