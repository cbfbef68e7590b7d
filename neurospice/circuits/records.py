"""What a circuit declares and what its testbench is made of: metrics, probes, devices, instance lines.

Plain frozen records, no behaviour beyond rendering one line: :mod:`.base` (circuits), :mod:`.bench`
(a bound testbench) and :mod:`.cost` (area and power) all build on them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from ..ngspice_models import DeviceKind, Technology
from ..params.units import spice_number

__all__ = [
    "STUCK",
    "SUPPLY_PROBE",
    "BiasCell",
    "Device",
    "Element",
    "Instance",
    "Metric",
    "MetricKind",
    "Probe",
    "Waveforms",
    "offset_params",
]

Waveforms = dict[str, NDArray[np.float64]]

#: how a run's warning begins when its nodes never left their t = 0 operating point
STUCK = "stuck at the operating point"

#: What a metric is: measured from the waveforms; a closed form from parameters and technology
#: figures only; a model evaluated with quantities measured in the same run; a technology figure;
#: a setting of the run.
MetricKind = Literal["measured", "closed form", "model, measured inputs", "technology", "setting"]


@dataclass(frozen=True)
class Metric:
    """A declared metric: its unit (SI, "" for a pure number), meaning, kind, and the measured metric it predicts."""

    name: str
    unit: str
    description: str
    kind: MetricKind = "measured"
    predicts: str = ""


@dataclass(frozen=True)
class Probe:
    """A waveform users read: ``vector`` is ngspice's name, ``scale`` turns it into ``unit``."""

    name: str
    vector: str
    unit: str
    description: str
    scale: float = 1.0


#: the current the testbench's V_dd source delivers (ngspice's branch current is into the + node: negated)
SUPPLY_PROBE = Probe("i_vdd", "vdd#branch", "A", "current drawn from the supply V_dd (all of it)", -1.0)


@dataclass(frozen=True)
class Device:
    """A transistor of a circuit instance: ``key`` is ``<instance>.<device>`` (e.g. ``xsyn.md5``)."""

    instance: str
    name: str
    kind: DeviceKind
    w: float
    l: float
    #: the PDK model it instantiates when that matters for its mismatch (sky130's ``_lvt``/``_hvt``)
    model: str = ""
    #: parallel devices it stands for (SPICE's ``m``/``mult``): sigma falls as 1/sqrt(mult)
    mult: float = 1.0

    @property
    def key(self) -> str:
        """Stable identifier used in Monte Carlo tables (``dvt_<key>`` columns)."""
        return f"{self.instance.lower()}.{self.name}"

    def sigma_vt(self, tech: Technology) -> float:
        """Threshold sigma (V) of this device on ``tech``: its flavour's Pelgrom law, over sqrt(mult)."""
        return tech.device(self.kind, self.model).sigma_vt(self.w, self.l) / math.sqrt(self.mult)


def offset_params(offsets: Mapping[str, float] | None, instance: str) -> str:
    """`` dvt_<device>=<V>`` for every offset of ``instance`` (keys ``<instance>.<device>``), in key order."""
    head = instance.lower() + "."
    return "".join(
        f" dvt_{key[len(head) :]}={spice_number(v)}" for key, v in (offsets or {}).items() if key.startswith(head)
    )


@dataclass(frozen=True)
class BiasCell:
    """A diode-connected bias transistor standing for the chip's bias generator: its reference current and size."""

    i_ref: float
    w: float
    l: float


#: the subcircuits of ``netlists/bias.sp``: each instance of one is a bias cell
BIAS_SUBCKTS = ("bias_p", "bias_n")


@dataclass(frozen=True)
class Instance:
    """One subcircuit instance line of a testbench: ``name nodes... subckt key=value...``.

    Values are numbers (written exactly, :func:`~neurospice.params.units.spice_number`) or words;
    a threshold offset of one of its devices is appended as ``dvt_<device>=<V>`` when the line is written.
    """

    name: str
    nodes: tuple[str, ...]
    subckt: str
    params: tuple[tuple[str, float], ...] = ()

    def line(self, offsets: Mapping[str, float] | None = None) -> str:
        """The SPICE line, with the offsets (keyed ``<instance>.<device>``) of this instance's devices."""
        values = (f"{k}={spice_number(v)}" for k, v in self.params)
        return " ".join([self.name, *self.nodes, self.subckt, *values]) + offset_params(offsets, self.name)

    def bias_cell(self) -> BiasCell | None:
        """The bias cell this instance is (None when it is not an instance of a bias subcircuit)."""
        if self.subckt not in BIAS_SUBCKTS:
            return None
        given = dict(self.params)
        return BiasCell(given["ibias"], given["w"], given["l"])


#: a line of a testbench: an instance, or any other SPICE line (a source, a ``.nodeset``) as text
Element = Instance | str
