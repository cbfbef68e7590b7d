"""The SPICE subcircuit files circuits are made of (plain SPICE, readable by any tool)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["NETLIST_DIR", "read_netlist"]

NETLIST_DIR = Path(__file__).parent


def read_netlist(name: str) -> str:
    """Text of ``netlists/<name>.sp``."""
    return (NETLIST_DIR / f"{name}.sp").read_text()
