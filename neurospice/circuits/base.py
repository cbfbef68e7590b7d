"""What a circuit is: parameters, netlist files, a testbench, probes and metrics."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..engine import SimOptions
from ..netlists import read_netlist
from ..ngspice_models import Technology
from ..params import ParamSpec, Value
from ..units import spice_number

__all__ = ["Circuit", "Probe", "Waveforms"]

Waveforms = dict[str, NDArray[np.float64]]


@dataclass(frozen=True)
class Probe:
    """A waveform users read: ``vector`` is ngspice's name, ``scale`` turns it into ``unit``."""

    name: str
    vector: str
    unit: str
    description: str
    scale: float = 1.0


class Circuit(ABC):
    """A parameterized circuit with its testbench.

    Subclasses describe only: they build SPICE text from validated values and compute metrics
    from waveforms. Running is the engine's job (:mod:`neurospice.simulate`).
    """

    name: str
    title: str
    description: str
    netlists: tuple[str, ...]
    params: ParamSpec
    probes: tuple[Probe, ...]
    default_tstop: float
    #: probe whose upward crossings of vdd/2 are spikes (None: the circuit does not spike)
    spike_probe: str | None = None

    @abstractmethod
    def testbench(self, values: Mapping[str, Value], tech: Technology, tstop: float) -> str:
        """Sources, bias cells and instances (no header, no analysis line)."""

    @abstractmethod
    def measure(self, waves: Waveforms, values: Mapping[str, Value], facts: Mapping[str, float]) -> dict[str, float]:
        """Metrics from probe waveforms (``waves`` has ``time`` and every probe by name).

        ``facts`` are technology figures measured for this run (e.g. ``kappa_p``).
        """

    def deck(
        self,
        values: Mapping[str, Value],
        tech: Technology,
        tstop: float,
        *,
        mismatch: bool = False,
        options: SimOptions | None = None,
    ) -> str:
        """The complete testbench deck: header, subcircuits, testbench, options, transient."""
        options = options or SimOptions()
        parts = [
            f"* neurospice testbench: {self.name} on {tech.name}",
            "* run on its own with: ngspice -b -r out.raw <this file>",
            tech.header(mismatch),
            *(read_netlist(n) for n in self.netlists),
            self.testbench(values, tech, tstop),
            options.spice(),
            f".tran {spice_number(tstop / 5000)} {spice_number(tstop)}",
            ".end",
        ]
        return "\n".join(parts) + "\n"

    def spike_times(self, waves: Waveforms, values: Mapping[str, Value]) -> NDArray[np.float64]:
        """Spike times (s): upward crossings of vdd/2 by :attr:`spike_probe` (empty if it does not spike)."""
        from ..analysis.spikes import detect_spikes

        if self.spike_probe is None:
            return np.empty(0)
        vdd = values.get("vdd", 3.3)
        return detect_spikes(waves["time"], waves[self.spike_probe], float(vdd) / 2)  # type: ignore[arg-type]

    def waveforms(self, vectors: Mapping[str, NDArray[np.float64]]) -> Waveforms:
        """Probe waveforms (in their units) from ngspice's vectors."""
        waves: Waveforms = {"time": vectors["time"]}
        for probe in self.probes:
            waves[probe.name] = probe.scale * vectors[probe.vector]
        return waves
