"""Circuits: parameterized SPICE subcircuits with typed parameters and testbenches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..params import ParameterError, Values
from .base import Circuit
from .bench import Bench
from .dpi_synapse import DPISynapse
from .neurons import AxonHillock, DPINeuron
from .records import Device, Instance, Metric, Probe, Waveforms
from .user import UserCircuit, looks_like_a_path

__all__ = [
    "CIRCUITS",
    "Bench",
    "Circuit",
    "Device",
    "Instance",
    "Metric",
    "Probe",
    "UserCircuit",
    "Waveforms",
    "circuit_of_run",
    "get_circuit",
    "values_of_run",
]

CIRCUITS: dict[str, type[Circuit]] = {c.name: c for c in (DPISynapse, DPINeuron, AxonHillock)}


def get_circuit(name: str | Circuit, describe: str | None = None, include_dirs: Sequence[str] = ()) -> Circuit:
    """The circuit called ``name`` (a :class:`Circuit` is returned as it is); :class:`ParameterError` otherwise.

    ``name`` may be a netlist file; ``describe`` then names its description (TOML) when it is not
    ``NETLIST.toml`` beside it, and ``include_dirs`` the folders besides its own that its includes may read.
    """
    if isinstance(name, Circuit):
        return name
    if isinstance(name, str) and name not in CIRCUITS and looks_like_a_path(name):
        return UserCircuit(name, describe or None, tuple(include_dirs))
    if describe:
        raise ParameterError("describe", "only a netlist file takes a description; built-in circuits declare their own")
    if include_dirs:
        raise ParameterError("include_dir", "only a netlist file includes files; built-in circuits have none")
    if not isinstance(name, str) or name not in CIRCUITS:
        raise ParameterError("circuit", f"unknown circuit {name!r}; accepted: {', '.join(CIRCUITS)} or a netlist file")
    return CIRCUITS[name]()


def values_of_run(circuit: Circuit, manifest: Mapping[str, Any]) -> Values:
    """The values a stored run's manifest holds, resolved for ``circuit`` (JSON lists back to tuples)."""
    return circuit.params.resolve({k: tuple(v) if isinstance(v, list) else v for k, v in manifest["params"].items()})


def circuit_of_run(manifest: Mapping[str, Any]) -> Circuit:
    """The circuit a stored run's manifest names, opened as the run opened it (description, include folders)."""
    return get_circuit(
        str(manifest["circuit"]), manifest.get("circuit_describe"), tuple(manifest.get("circuit_include_dirs", ()))
    )
