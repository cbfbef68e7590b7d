"""A bound testbench: one circuit with validated values on one technology for one stop time, as data.

:meth:`neurospice.circuits.Circuit.bind` builds a :class:`Bench` once; from then on nothing is
re-resolved or re-parsed: the instance lines, the bias cells, the devices and capacitors (parsed
from the ``.sp`` files once per process) and the probes are fields, and :meth:`Bench.deck` writes
the text of one deck (options, mismatch, threshold offsets) in one pass. What is measured from a
run's waveforms takes the bench: the values it ran with and the technology figures it is judged by.

The conditions of a run are its values' ``temp`` and ``corner`` (:data:`neurospice.circuits.base.CONDITIONS`):
the technology's header loads that corner's models, and the deck runs at that temperature.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from ..netlists import read_netlist
from ..ngspice_models import Conditions, Technology, TechnologyFacts
from ..params import ParameterError, Values
from ..params.options import SimOptions
from ..params.units import spice_number
from .records import BiasCell, Device, Element, Instance, Probe, Waveforms

if TYPE_CHECKING:
    from .base import Circuit

__all__ = ["Bench"]


@dataclass(frozen=True, eq=False)
class Bench:
    """One circuit bound to its values, technology and stop time (0: no transient, a user netlist whose own
    analyses hold none): everything a deck and its metrics need."""

    circuit: Circuit
    values: Values
    tech: Technology
    tstop: float
    #: the testbench body: sources, bias cells and instances, in deck order
    elements: tuple[Element, ...]
    #: every transistor of the circuit's own instances (bias cells excluded), in a fixed order
    devices: tuple[Device, ...]
    #: every capacitance (F) of the circuit's own instances
    capacitors: tuple[float, ...]
    probes: tuple[Probe, ...]
    #: the technology's kappa figures the metrics use (unknown until the run layer measures them)
    facts: TechnologyFacts = field(default_factory=TechnologyFacts.unknown)
    #: whether every device has a numeric size (a user netlist's W may be an expression only ngspice evaluates)
    sized: bool = True

    @property
    def bias_cells(self) -> tuple[BiasCell, ...]:
        """The bias generator's diode cells the testbench instantiates."""
        cells = (e.bias_cell() for e in self.elements if isinstance(e, Instance))
        return tuple(c for c in cells if c is not None)

    @property
    def temp(self) -> float:
        """The run's temperature (°C)."""
        return Conditions.of(self.values).temp

    @property
    def corner(self) -> str:
        """The run's process corner (the technology's own name)."""
        return Conditions.of(self.values).corner

    def with_facts(self, facts: TechnologyFacts) -> Bench:
        """The same bench judged by ``facts`` (the run layer measures them before the run)."""
        return dataclasses.replace(self, facts=facts)

    def check_offsets(self, offsets: Mapping[str, float] | None) -> None:
        """Refuse an offset key that is not a device of this bench (:class:`ParameterError` naming ``offsets``)."""
        if not offsets:
            return
        known = {d.key for d in self.devices}
        unknown = sorted(set(offsets) - known)
        if unknown:
            example = sorted(known)[0] if known else "none: this circuit has no devices of its own"
            raise ParameterError("offsets", f"got {unknown[0]!r}; accepted: device keys such as {example!r}")

    def body(self, offsets: Mapping[str, float] | None = None) -> str:
        """The testbench text (no header, no analysis), each instance with its devices' threshold offsets (V)."""
        return self.circuit.render(self, offsets)

    def deck(
        self,
        options: SimOptions | None = None,
        *,
        mismatch: bool = False,
        offsets: Mapping[str, float] | None = None,
    ) -> str:
        """The complete deck: header, subcircuits, testbench, options, transient.

        ``offsets`` maps :attr:`Device.key` to a threshold offset (V); each instance line carries its
        devices' offsets as that subcircuit's ``dvt_<device>`` parameters.
        """
        options = options or SimOptions()
        parts = [
            f"* neurospice testbench: {self.circuit.deck_title()} on {self.tech.name}",
            "* run on its own with: ngspice -b -r out.raw <this file>",
            self.tech.header(mismatch, self.circuit.model_sections(), self.corner),
            *(read_netlist(n) for n in self.circuit.netlists),
            self.body(offsets),
            options.spice(),
            f".temp {spice_number(self.temp)}",
            *self.circuit.analysis_cards(),
        ]
        if self.tstop > 0:  # 0: a netlist whose own analyses hold no transient
            step = options.step(self.tstop)
            own = self.circuit.transient_step(self.tstop)
            parts.append(f".tran {spice_number(min(step, own) if own else step)} {spice_number(self.tstop)}")
        if self.circuit.measures:  # run after the analyses as commands, not cards (the deck holds no control)
            numbers = self.values.numbers()
            parts.append("* the measures neurospice runs after the analyses, as ngspice commands on their plots:")
            parts += [
                f"* let {m.name} = {m.expression}" if m.expression else f"* {m.command(numbers)}"
                for m in self.circuit.measures
            ]
        return "\n".join([*parts, ".end"]) + "\n"

    def waveforms(self, vectors: Mapping[str, NDArray[np.float64]]) -> Waveforms:
        """Probe waveforms (in their units) from the engine's vectors."""
        return self.circuit.waveforms(vectors)

    def evaluate(
        self,
        waves: Waveforms,
        vectors: Mapping[str, NDArray[np.float64]] | None = None,
        measured: Mapping[str, float] | None = None,
    ) -> dict[str, float]:
        """Every declared metric of one run: the circuit's measurements, area and power, and what its own
        analyses gave (a user netlist's operating point and ``measured``, its measures' values)."""
        found = {**self.circuit.measure(self, waves), **self.circuit.cost(self, waves)}
        return {**found, **self.circuit.results(self, vectors or {}, measured or {})}

    def spike_times(self, waves: Waveforms) -> NDArray[np.float64]:
        """Spike times (s) of one run."""
        return self.circuit.spike_times(waves, self.values)

    def checks(self, waves: Waveforms) -> list[str]:
        """What the run's own consistency checks found (warnings recorded with it)."""
        return self.circuit.checks(self, waves)
