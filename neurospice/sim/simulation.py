"""Simulate one circuit on one technology: build the deck, run ngspice, measure."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ..analysis.closed_form import thermal_voltage
from ..circuits import Circuit, get_circuit
from ..circuits.bench import Bench
from ..circuits.records import STUCK
from ..engines import SimEngine, SimulationError, check_engine, get_engine
from ..ngspice_models import Conditions, Technology, TechnologyFacts, get_technology
from ..params import ParameterError, Values
from ..params.options import SimOptions, default_options, presets
from ..store import provenance_record
from ..store.simrun import SimulationResult
from .characterization import characterize

__all__ = ["SimulationResult", "fi_curve", "run_length", "run_measures", "simulate", "sweep", "validate_tstop"]

if TYPE_CHECKING:
    import pandas as pd


def validate_tstop(tstop: float) -> float:
    """Refuse a non-finite or out-of-range stop time (1 ns .. 1000 s: a ring oscillator to a slow synapse)."""
    if not (isinstance(tstop, (int, float)) and math.isfinite(tstop) and 1e-9 <= tstop <= 1e3):
        raise ParameterError("tstop", f"got {tstop!r}; accepted: a time in [1 ns, 1000 s]")
    return float(tstop)


def run_length(circuit: Circuit, tstop: float | None) -> float:
    """The transient's length: ``tstop`` (validated), else the circuit's own (0: its own analyses hold none)."""
    if circuit.default_tstop == 0 and not tstop:
        return 0.0
    return validate_tstop(circuit.default_tstop if tstop is None else tstop)


def run_measures(engine: SimEngine, bench: Bench) -> tuple[dict[str, float], list[str]]:
    """The values of the circuit's measures after a run (:attr:`Circuit.measures`: ngspice's ``meas`` on its
    analysis' plot, or a ``param=`` expression over those before it), and ngspice's message for each that
    found nothing (its value is NaN)."""
    found: dict[str, float] = {}
    said: list[str] = []
    numbers = bench.values.numbers()
    for measure in bench.circuit.measures:
        try:
            if measure.expression:
                found[measure.name] = measure.evaluate({**numbers, **found})
            else:
                found[measure.name] = engine.measure(measure.analysis, measure.command(numbers))
        except SimulationError as exc:
            found[measure.name] = math.nan
            said.append(f"measure {measure.name}: {exc.output or exc}")
        except (ValueError, ZeroDivisionError, OverflowError):
            found[measure.name] = math.nan
            said.append(f"measure {measure.name}: its expression has no value (a measure it uses found nothing?)")
    return found, said


_FACTS: dict[tuple[str, float, float, float, str], TechnologyFacts] = {}


def technology_facts(tech: Technology, values: Values) -> TechnologyFacts:
    """kappa and I0 of the technology's devices, measured on the sizes the circuit uses for its outputs, at the
    run's temperature and process corner (U_T = kT/q at that temperature).

    Measured once per process for each technology, output size and condition (two I_D-V_G sweeps, cached on
    disk; on sky130 each costs a 4.7 s model load), then reused: a sweep or a series of runs does not repeat them.
    """
    w = values.number("w_out") if "w_out" in values else 1e-6
    l = values.number("l_out") if "l_out" in values else 1e-6
    at = Conditions.of(values)
    key = (tech.name, w, l, at.temp, at.corner)
    if key not in _FACTS:
        p = characterize(tech, "pmos", w=w, l=l, at=at).fit
        n = characterize(tech, "nmos", at=at).fit
        _FACTS[key] = TechnologyFacts(
            kappa_p=p.kappa, i0_p_a=p.i0_a, kappa_n=n.kappa, i0_n_a=n.i0_a, ut_v=thermal_voltage(at.temp)
        )
    return _FACTS[key]


def simulate(
    circuit: str | Circuit,
    tech: str | Technology = "gf180mcu",
    overrides: Mapping[str, object] | None = None,
    *,
    tstop: float | None = None,
    options: SimOptions | None = None,
    offsets: Mapping[str, float] | None = None,
    engine: str = "ngspice",
) -> SimulationResult:
    """Run one simulation of a circuit at validated values and measure it.

    Parameters
    ----------
    circuit : str or Circuit
        A built-in circuit's name, a netlist path, or a :class:`Circuit` (:func:`get_circuit`).
    tech : str or Technology, default "gf180mcu"
        The technology.
    overrides : mapping, optional
        Parameter values (``{"i_tau": "2p"}`` or ``{"i_tau": 2e-12}``), validated against each parameter's
        unit and range before anything runs.
    tstop : float, optional
        Transient length (s); default the circuit's own.
    options : SimOptions, optional
        Simulator options; default the engine's ``default`` accuracy preset.
    offsets : mapping, optional
        Device keys (``xn.ml3``, :meth:`Circuit.devices`) to threshold offsets (V), as a pelgrom-mode Monte
        Carlo sample applies them; a key that is not a device of the circuit is refused.
    engine : {"ngspice", "vacask"}
        The simulator (:data:`neurospice.engines.ENGINES`).

    Returns
    -------
    SimulationResult
        ``metrics`` (SI units), ``waves`` (probe waveforms against ``waves["time"]``), ``spikes``,
        ``params``, ``provenance`` (versions, model files' SHA-256, options) and ``warnings``.

    Raises
    ------
    ParameterError
        A value out of range, an unknown parameter or technology (before anything runs).
    NetlistError
        A netlist ngspice refuses to load (with ngspice's messages).
    SimulationError
        An analysis that does not finish (with ngspice's messages).

    Examples
    --------
    >>> from neurospice import simulate
    >>> run = simulate("dpi-synapse", "gf180mcu", {"i_tau": "5p"}, tstop=0.1)
    >>> round(run.metrics["tau_s"] * 1e3, 1), round(run.metrics["tau_pred_s"] * 1e3, 1)  # SPICE, closed form (ms)
    (11.8, 11.4)
    """
    circuit, tech = get_circuit(circuit), get_technology(tech)
    check_engine(engine, tech, circuit)
    if options is not None and not isinstance(options, SimOptions):
        raise ParameterError("options", f"got {options!r}; accepted: a SimOptions")
    options = options or default_options(engine)
    values = circuit.values(overrides, tech)
    tstop = run_length(circuit, tstop)
    bench = circuit.bind(values, tech, tstop)
    bench.check_offsets(offsets)  # before anything runs
    facts = technology_facts(tech, values) if circuit.needs_facts else TechnologyFacts.unknown()
    bench = bench.with_facts(facts)
    sim = get_engine(engine)
    start = time.perf_counter()
    vectors = sim.simulate(bench.deck(options, offsets=offsets), tech.ngspice_settings, tech, options)
    measured, said = run_measures(sim, bench)
    wall = time.perf_counter() - start
    waves = bench.waveforms(vectors)
    checks = [*bench.checks(waves), *said]
    if any(c.startswith(STUCK) for c in checks):
        checks += _second_opinion(bench, engine, options, offsets)
    record = provenance_record(tech, options, sim.version if engine == "ngspice" else None, engine)
    return SimulationResult(
        circuit.name,
        tech.name,
        tstop,
        values,
        waves,
        bench.evaluate(waves, vectors, measured),
        facts,
        wall,
        sim.version,
        bench.spike_times(waves),
        record,
        checks,
    )


def _second_opinion(bench: Bench, engine: str, options: SimOptions, offsets: Mapping[str, float] | None) -> list[str]:
    """A run stuck at its operating point, run again with another integrator (``reference``, or ``legacy`` from
    ``reference``): what it says when it leaves, since then the result depends on the integrator, not the
    circuit (near a marginal equilibrium gear's damping can hold what trapezoidal leaves, and the reverse)."""
    table = presets(engine)
    name = next((n for n, o in table.items() if o == options), "given")
    other = "legacy" if name == "reference" and "legacy" in table else "reference"
    sim = get_engine(engine)
    vectors = sim.simulate(bench.deck(table[other], offsets=offsets), bench.tech.ngspice_settings, bench.tech)
    waves = bench.waveforms(vectors)
    if any(c.startswith(STUCK) for c in bench.checks(waves)):
        return []
    spikes = bench.spike_times(waves).size
    return [
        f"accuracy: the {other} preset leaves the operating point ({spikes} spikes), the {name} one does not: "
        f"the equilibrium is marginal and the result depends on the integrator; compare with --accuracy {other}"
    ]


def sweep(
    circuit: Circuit,
    tech: Technology,
    param: str,
    values: Sequence[object],
    overrides: Mapping[str, object] | None = None,
    *,
    tstop: float | None = None,
) -> pd.DataFrame:
    """Simulate ``circuit`` once per value of ``param`` (all validated first) and tabulate the metrics.

    Returns one row per value: the parameter's SI value, every metric, and the wall time. An f-I
    curve is ``sweep(neuron, tech, "i_in", currents)[["i_in", "isi_rate_hz"]]``; against input rate,
    sweep ``input_rate`` with ``input_kind`` set.
    """
    import pandas as pd

    base = dict(overrides or {})
    resolved = [circuit.params.resolve({**base, param: v})[param] for v in values]  # refuse bad input up front
    run_length(circuit, tstop)
    rows = []
    for value in resolved:
        result = simulate(circuit, tech, {**base, param: value}, tstop=tstop)
        rows.append({param: value, **result.metrics, "wall_s": result.wall_s})
    return pd.DataFrame(rows)


def fi_curve(
    neuron: Circuit,
    tech: Technology,
    currents: Sequence[float],
    overrides: Mapping[str, object] | None = None,
    *,
    tstop: float | None = None,
) -> pd.DataFrame:
    """Firing rate against DC input current: columns ``i_in``, ``isi_rate_hz``, ``rate_hz``, ``latency_s``."""
    table = sweep(neuron, tech, "i_in", currents, overrides, tstop=tstop)
    return table[["i_in", "isi_rate_hz", "rate_hz", "latency_s"]]
