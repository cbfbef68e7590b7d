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
    """A built-in circuit by name, or a user netlist (or xschem schematic) read as an untrusted file.

    Parameters
    ----------
    name : str or Circuit
        ``dpi-synapse``, ``dpi-neuron``, ``axon-hillock`` (``neurospice circuits`` lists them), a path to a
        SPICE netlist or a ``.sch`` schematic; a :class:`Circuit` is returned as it is.
    describe : str, optional
        The netlist's description file (TOML: units, ranges, spike node) when it is not ``NETLIST.toml``
        beside it.
    include_dirs : sequence of str, optional
        Folders besides the netlist's own that its ``.include``/``.lib`` lines may read.

    Returns
    -------
    Circuit
        Its parameters (``circuit.params``), probes, declared metrics and testbench, as data.

    Raises
    ------
    ParameterError
        An unknown name, or a netlist or description that cannot be read (one line naming the file and line).

    Examples
    --------
    >>> from neurospice import get_circuit
    >>> dpi = get_circuit("dpi-synapse")
    >>> dpi.name, dpi.params["i_tau"].unit
    ('dpi-synapse', 'A')
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
