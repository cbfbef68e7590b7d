"""What a circuit is: parameters, netlist files, a testbench, probes and metrics."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from functools import cache

import numpy as np
from numpy.typing import NDArray

from ..analysis.spikes import swing_events, unmatched_events
from ..netlists import read_netlist
from ..netlists.analyses import Measure
from ..netlists.imported import Instance as SubcktInstance
from ..netlists.imported import parse_subckt
from ..ngspice_models import Conditions, Technology, TechnologyFacts
from ..params import Param, ParameterError, ParamSpec, Values
from ..params.options import SimOptions
from ..params.units import spice_number
from .bench import Bench
from .cost import area_metrics, power_metrics
from .records import Device, Element, Instance, Metric, Probe, Waveforms

__all__ = ["CONDITIONS", "Circuit", "bias_instance", "numbers", "spice_values", "subckt_caps", "subckt_devices"]

_SIZE = re.compile(r"^(?:syn_)?([wl])_")


@cache
def _subckt(netlist: str, subckt: str) -> tuple[dict[str, str], tuple[SubcktInstance, ...]]:
    """The defaults and instances of ``subckt`` in the package's netlist file ``netlist``, parsed once per process."""
    defaults, instances = parse_subckt(read_netlist(netlist), subckt)
    return defaults, tuple(instances)


def subckt_devices(netlist: str, subckt: str, instance: str, values: Values, prefix: str) -> list[Device]:
    """The ``nfet``/``pfet`` instances of ``subckt`` in netlist file ``netlist`` (parsed, in netlist order), sized
    from ``values`` (``prefix`` + the subcircuit parameter each W and L names) or the subcircuit's defaults."""
    defaults, instances = _subckt(netlist, subckt)

    def size(expr: str) -> float:
        name = expr.strip("{}")
        value = values.get(prefix + name, defaults.get(name, name))
        return float(value)  # type: ignore[arg-type]

    return [
        Device(instance, x.name[1:], "nmos" if x.model == "nfet" else "pmos", size(x.params["w"]), size(x.params["l"]))
        for x in instances
        if x.model in ("nfet", "pfet")
    ]


def subckt_caps(netlist: str, subckt: str, values: Values, prefix: str) -> list[float]:
    """The capacitances (F) of the ``cap`` instances of ``subckt``, from ``values`` or the subcircuit's defaults."""
    defaults, instances = _subckt(netlist, subckt)
    found = []
    for x in instances:
        if x.model == "cap":
            name = x.params["c"].strip("{}")
            found.append(float(values.get(prefix + name, defaults.get(name, name))))  # type: ignore[arg-type]
    return found


def spice_values(values: Values) -> dict[str, str]:
    """The numeric parameter values written exactly for a netlist (words and lists left out)."""
    return {k: spice_number(x) for k, x in values.items() if isinstance(x, (int, float))}


def bias_instance(name: str, node: str, kind: str, i_ref: float, w: float, l: float) -> Instance:
    """A bias cell (``netlists/bias.sp``) from V_dd to ``node``: ``bias_p`` or ``bias_n``, reference ``i_ref``."""
    return Instance(name, ("vdd", node), f"bias_{kind}", (("ibias", i_ref), ("w", w), ("l", l)))


def numbers(values: Values, *names: str, prefix: str = "") -> tuple[tuple[str, float], ...]:
    """``(name, value)`` of each numeric parameter ``prefix + name``, as an instance line passes them."""
    return tuple((name, values.number(prefix + name)) for name in names)


#: the conditions of every run besides the supply (each circuit's ``vdd``): the temperature and the process corner.
#: ``typical`` and ``tt`` name the typical corner on every technology; the others are the PDK's own section names,
#: validated per technology (:attr:`neurospice.ngspice_models.Technology.corners`)
CONDITIONS = (
    Param("temp", "°C", "temperature (every device and closed form: U_T = kT/q)", 27.0, -55.0, 175.0),
    Param(
        "corner",
        "",
        "process corner of the transistors (the PDK's section: ff, ss, fs, sf; typical or tt)",
        "typical",
        kind="choice",
        choices=("typical", "tt", "ff", "ss", "fs", "sf"),
    ),
)


class Circuit(ABC):
    """A parameterized circuit with its testbench.

    Subclasses describe only: they build SPICE text from validated values and compute metrics
    from waveforms. Running is the engine's job (:mod:`neurospice.sim.simulation`).
    """

    name: str
    title: str
    description: str
    netlists: tuple[str, ...]
    params: ParamSpec
    probes: tuple[Probe, ...]
    default_tstop: float
    #: probe whose rising edges are spikes (None: the circuit does not spike)
    spike_probe: str | None = None
    #: independent evidence of each spike: a probe with one edge per reset, and whether that edge falls
    reset_probe: str | None = None
    reset_falls: bool = False
    #: whether :meth:`measure` and :meth:`predicted_cv` use the technology's measured kappa figures
    needs_facts: bool = True
    #: every metric :meth:`measure` returns, declared (units for printing, kinds for reports)
    metrics: tuple[Metric, ...] = ()
    #: W/L parameters of the analog devices (what a precision budget scales; switches and inverters are left out)
    analog_sizes: tuple[str, ...] = ()
    #: the description file a user netlist was read with (empty: built-in, or NETLIST.toml beside it)
    describe: str = ""
    #: the folders (besides its own) a user netlist's includes were read from
    include_dirs: tuple[str, ...] = ()

    def provenance(self) -> dict[str, str]:
        """Where the circuit comes from beyond its name (a user netlist: its file and SHA-256)."""
        return {}

    def technology_hint(self) -> str | None:
        """The technology the circuit's own text names (a user netlist's PDK), None when it names none or several."""
        return None

    def transient_step(self, tstop: float) -> float | None:
        """The transient's step a circuit asks for itself (a user netlist's own ``.tran``); None: the options'."""
        return None

    def analysis_cards(self) -> tuple[str, ...]:
        """Analyses the deck runs besides its transient (a user netlist's own ``.op/.dc/.ac``)."""
        return ()

    @property
    def measures(self) -> tuple[Measure, ...]:
        """Measures run after the analyses (a user netlist's own ``.meas``), each a declared metric."""
        return ()

    def engine_limits(self) -> str:
        """What of this circuit only ngspice runs ("" if nothing: every engine can)."""
        return ""

    def results(
        self, bench: Bench, vectors: Mapping[str, NDArray[np.float64]], measured: Mapping[str, float]
    ) -> dict[str, float]:
        """Metrics of the circuit's own analyses besides the transient (none for a built-in circuit)."""
        return {}

    def model_sections(self) -> tuple[str, ...]:
        """The technology's device sections the circuit needs besides its transistors (a user netlist's)."""
        return ()

    def deck_title(self) -> str:
        """What the deck's title names (ngspice echoes it: never text a user's file controls)."""
        return self.name

    def instances(self, values: Values) -> tuple[tuple[str, str, str, str], ...]:
        """Mismatched instances in the testbench: (instance, subckt, netlist file, parameter prefix)."""
        return ()

    def devices(self, values: Values) -> list[Device]:
        """Every transistor of the circuit's own instances (bias cells excluded), in a fixed order."""
        return [
            d for inst, sub, net, pre in self.instances(values) for d in subckt_devices(net, sub, inst, values, pre)
        ]

    def device_sigmas(self, values: Values, tech: Technology) -> dict[str, float]:
        """Per-device threshold sigma (V) from the technology's Pelgrom law, keyed by device name (``md5``)."""
        return {d.name: d.sigma_vt(tech) for d in self.devices(values)}

    def predicted_cv(self, values: Values, tech: Technology, facts: TechnologyFacts) -> dict[str, dict[str, object]]:
        """Closed-form CVs of metrics (``{metric: {"cv": ..., "sensitivity": {...}}}``); none by default."""
        return {}

    @abstractmethod
    def elements(self, values: Values, tech: Technology, tstop: float) -> tuple[Element, ...]:
        """The testbench body: sources, bias cells and instances (no header, no analysis line), as data.

        Each :class:`Instance` line carries its devices' threshold offsets when the deck is written.
        """

    def render(self, bench: Bench, offsets: Mapping[str, float] | None = None) -> str:
        """The testbench text of ``bench``, with ``offsets`` (keyed :attr:`Device.key`) on the instance lines."""
        return "\n".join(e if isinstance(e, str) else e.line(offsets) for e in bench.elements)

    def bind(self, values: Values, tech: Technology, tstop: float, facts: TechnologyFacts | None = None) -> Bench:
        """The testbench of ``values`` (validated: :meth:`values`) on ``tech`` for ``tstop`` seconds, built once."""
        devices, sized = self.sized_devices(values)
        elements, caps = self.elements(values, tech, tstop), tuple(self.capacitors(values))
        unknown = TechnologyFacts.unknown()
        return Bench(self, values, tech, tstop, elements, devices, caps, self.probes, facts or unknown, sized)

    def sized_devices(self, values: Values) -> tuple[tuple[Device, ...], bool]:
        """The devices a bench holds, and whether each has a numeric size (a built-in circuit's always do)."""
        return tuple(self.devices(values)), True

    @abstractmethod
    def measure(self, bench: Bench, waves: Waveforms) -> dict[str, float]:
        """Metrics from probe waveforms (``waves`` has ``time`` and every probe by name).

        ``bench.values`` are the values the run used, ``bench.facts`` the technology figures
        measured for it (``facts.kappa_p``...).
        """

    def values(self, overrides: Mapping[str, object] | None, tech: Technology) -> Values:
        """Validated values on ``tech``: defaults, its supply for ``vdd`` unless given, then ``overrides``.

        Device sizes below the technology's minimum W or L are refused when given, and raised to
        that minimum when they are defaults (the gf180mcu switch width 0.22 µm is 0.42 µm on sky130).
        A :class:`Values` record of this circuit's parameters is already validated: it is not coerced
        again, only its sizes are checked against ``tech`` (each of its values counts as given).
        """
        if isinstance(overrides, Values) and overrides.spec == self.params:
            return self._conditions_for(tech, self._sized_for(tech, overrides, overrides))
        if overrides is not None and not isinstance(overrides, Mapping):
            return self.params.resolve(overrides)  # refused there, naming 'overrides'
        given = dict(overrides or {})
        if "vdd" in self.params and "vdd" not in given:
            given["vdd"] = tech.vdd
        return self._conditions_for(tech, self._sized_for(tech, self.params.resolve(given), given))

    def _conditions_for(self, tech: Technology, values: Values) -> Values:
        """``values`` if ``tech`` has their process corner; :class:`ParameterError` naming ``corner`` otherwise."""
        corner = Conditions.of(values).corner
        if corner not in tech.corners:
            raise ParameterError("corner", f"got {corner!r} on {tech.name}; accepted: {', '.join(tech.corners)}")
        return values

    def _sized_for(self, tech: Technology, values: Values, given: Mapping[str, object]) -> Values:
        """``values`` with device sizes below ``tech``'s minimum refused (given) or raised to it (defaults)."""
        raised: dict[str, float] = {}
        for name, value in values.items():
            kind = _SIZE.match(name)
            if kind is None or self.params[name].unit != "m" or not isinstance(value, float):
                continue
            least = max(getattr(d, f"{kind.group(1)}_min") for d in (tech.nmos, tech.pmos))
            if value < least * (1 - 1e-12):
                if name in given:
                    raise ParameterError(name, f"got {value!r} m; {tech.name}'s devices need at least {least!r} m")
                raised[name] = least  # a default below this technology's minimum: the smallest device it has
        return values.replace(raised) if raised else values

    def deck(
        self,
        values: Values,
        tech: Technology,
        tstop: float,
        *,
        mismatch: bool = False,
        options: SimOptions | None = None,
        offsets: Mapping[str, float] | None = None,
    ) -> str:
        """The complete deck of one run (:meth:`bind`, then :meth:`Bench.deck`)."""
        return self.bind(values, tech, tstop).deck(options, mismatch=mismatch, offsets=offsets)

    def onset(self, values: Values) -> float:
        """When the stimulus starts (s): power before it is static, after it active."""
        return 0.0

    def stimulus_from_vdd(self, values: Values, t0: float, t1: float) -> float:
        """Mean current (A) the testbench's ideal stimulus draws from V_dd over [t0, t1] (not the circuit's)."""
        return 0.0

    def capacitors(self, values: Values) -> list[float]:
        """Every capacitance (F) of the circuit's own instances (``cap`` subcircuit instances)."""
        return [c for inst, sub, net, pre in self.instances(values) for c in subckt_caps(net, sub, values, pre)]

    def cost(self, bench: Bench, waves: Waveforms) -> dict[str, float]:
        """Area and power metrics (:mod:`neurospice.circuits.cost`) of one run."""
        values, cells = bench.values, bench.bias_cells
        fets = [(d.w, d.l, d.mult) for d in bench.devices]
        m = area_metrics(fets, bench.capacitors, [(c.w, c.l) for c in cells], bench.tech.cap_density)
        if "i_vdd" in waves:
            t, onset = waves["time"], min(self.onset(values), float(waves["time"][-1]))
            after = None
            if self.spike_probe is not None:
                after = int(np.sum(self.spike_times(waves, values) >= onset))
            stimulus = self.stimulus_from_vdd(values, onset, float(t[-1]))
            m.update(
                power_metrics(
                    t, waves["i_vdd"], values.number("vdd"), onset, sum(c.i_ref for c in cells), stimulus, after
                )
            )
        return m

    def spike_times(self, waves: Waveforms, values: Values) -> NDArray[np.float64]:
        """Spike times (s): rising edges of :attr:`spike_probe` through 30 % of its own swing (a spike that
        peaks below vdd/2 counts); none when it swings less than 15 % of vdd."""
        if self.spike_probe is None:
            return np.empty(0)
        vdd = float(values.number("vdd")) if "vdd" in values else 3.3
        return swing_events(waves["time"], waves[self.spike_probe], min_swing=0.15 * vdd)

    def reset_times(self, waves: Waveforms, values: Values) -> NDArray[np.float64]:
        """Times of the resets :attr:`reset_probe` shows (the independent count every run is checked against)."""
        if self.reset_probe is None:
            return np.empty(0)
        v = waves[self.reset_probe]
        vdd = float(values.number("vdd")) if "vdd" in values else 3.3
        return swing_events(waves["time"], -v if self.reset_falls else v, min_swing=0.05 * vdd)

    def reset_window(self, values: Values) -> float:
        """Longest delay (s) from a spike to its reset edge."""
        return 1e-3

    def checks(self, bench: Bench, waves: Waveforms) -> list[str]:
        """Disagreements between the spike count and the reset count (a warning recorded with the run)."""
        values = bench.values
        if self.spike_probe is None or self.reset_probe is None:
            return []
        spikes, resets = self.spike_times(waves, values), self.reset_times(waves, values)
        window = self.reset_window(values)
        lone_spikes, lone_resets = unmatched_events(spikes, resets, float(waves["time"][-1]), window)
        if not lone_spikes and not lone_resets:
            return []
        return [
            f"spike check: {spikes.size} spikes on {self.spike_probe} but {resets.size} resets on "
            f"{self.reset_probe} ({lone_spikes} spikes without a reset, {lone_resets} resets without a spike "
            f"within {window * 1e3:g} ms)"
        ]

    def waveforms(self, vectors: Mapping[str, NDArray[np.float64]]) -> Waveforms:
        """Probe waveforms (in their units) from ngspice's vectors."""
        waves: Waveforms = {"time": vectors["time"]}
        for probe in self.probes:
            waves[probe.name] = probe.scale * vectors[probe.vector]
        return waves
