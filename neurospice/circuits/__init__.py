"""Circuits: parameterized SPICE subcircuits with typed parameters and testbenches."""

from __future__ import annotations

from .base import Circuit, Probe, Waveforms
from .dpi_synapse import DPISynapse
from .neurons import AxonHillock, DPINeuron

__all__ = ["CIRCUITS", "Circuit", "Probe", "Waveforms", "get_circuit"]

CIRCUITS: dict[str, type[Circuit]] = {c.name: c for c in (DPISynapse, DPINeuron, AxonHillock)}


def get_circuit(name: str) -> Circuit:
    """The circuit called ``name``; ``ValueError`` lists the accepted names."""
    try:
        return CIRCUITS[name]()
    except KeyError:
        raise ValueError(f"unknown circuit {name!r}; accepted: {', '.join(CIRCUITS)}") from None
