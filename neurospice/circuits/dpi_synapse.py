"""The DPI synapse (Bartolozzi & Indiveri 2007) with its spike-train testbench."""

from __future__ import annotations

import numpy as np

from ..analysis.closed_form import dpi_gain, dpi_steady_state, dpi_tau
from ..analysis.mismatch_closed_form import SynapsePoint, dpi_synapse_cv
from ..analysis.waveform import fit_exponential_decay
from ..ngspice_models import Technology, TechnologyFacts
from ..params import Param, ParamSpec, Values
from ..params.units import spice_number
from .base import CONDITIONS, Circuit, bias_instance, numbers
from .bench import Bench
from .cost import AREA_METRICS, POWER_METRICS
from .records import SUPPLY_PROBE, Element, Instance, Metric, Probe, Waveforms
from .stimulus import EDGE, SpikeKind, pwl_source, spike_times

__all__ = ["DPISynapse", "input_params", "size_params"]

_W = (0.22e-6, 100e-6)
_L = (0.28e-6, 100e-6)


def size_params(*devices: tuple[str, str, float, float]) -> tuple[Param, ...]:
    """W and L parameters for each ``(suffix, role, w, l)``."""
    out: list[Param] = []
    for suffix, role, w, l in devices:
        out.append(Param(f"w_{suffix}", "m", f"width of the {role}", w, *_W))
        out.append(Param(f"l_{suffix}", "m", f"length of the {role}", l, *_L))
    return tuple(out)


def input_params(
    rate: float, count: int, start: float, width: float, kinds: tuple[str, ...] = ("regular", "poisson", "times")
) -> tuple[Param, ...]:
    """Parameters of the input spike train (``kinds[0]`` is the default kind)."""
    return (
        Param(
            "input_kind",
            "",
            "input spike train: " + ", ".join(kinds) + " (poisson is seeded)",
            kinds[0],
            kind="choice",
            choices=kinds,
        ),
        Param("input_rate", "Hz", "input rate (regular and poisson)", rate, 0.01, 1e5),
        Param("input_count", "", "number of input spikes (0: until the end of the run)", count, 0, 1e6, kind="int"),
        Param("input_start", "s", "first input spike (regular) or start of the poisson train", start, 0.0, 1e3),
        Param("input_seed", "", "seed of the poisson train (same seed, same train)", 1, 1, 2**31 - 1, kind="int"),
        Param(
            "input_times",
            "s",
            "explicit spike times for input_kind=times, comma-separated",
            (),
            0.0,
            1e3,
            kind="floats",
        ),
        Param("pulse_width", "s", "width of each input pulse", width, 1e-7, 1.0),
    )


def input_onsets(values: Values, tstop: float) -> np.ndarray:
    """Onset times of the input pulses for these parameter values (none for ``input_kind=none``)."""
    if values.word("input_kind") == "none":
        return np.empty(0)
    times = values["input_times"]
    kind: SpikeKind = (
        "poisson"
        if values.word("input_kind") == "poisson"
        else ("times" if values.word("input_kind") == "times" else "regular")
    )
    return spike_times(
        kind,
        rate=values.number("input_rate"),
        start=values.number("input_start"),
        count=values.whole("input_count"),
        tstop=tstop,
        seed=values.whole("input_seed"),
        times=times if isinstance(times, tuple) else (),
    )


SYNAPSE_SIZES = ("c_syn", "w_in", "l_in", "w_w", "l_w", "w_thr", "l_thr", "w_tau", "l_tau", "w_out", "l_out")


def synapse_elements(values: Values, tstop: float, out: str, prefix: str = "") -> list[Element]:
    """Bias cells, input pulse source and the ``dpi_synapse`` instance driving node ``out``.

    ``prefix`` selects parameters named ``<prefix>i_tau`` etc. (a neuron's synapse uses ``syn_``).
    """
    p = prefix
    onsets = input_onsets(values, tstop)

    def bias(name: str, node: str, kind: str, current: str, size: str) -> Instance:
        w, l = (values.number(f"{p}{d}_{size}") for d in "wl")
        return bias_instance(name, node, kind, values.number(p + current), w, l)

    return [
        bias("Xbtau", "vtau", "p", "i_tau", "tau"),
        bias("Xbth", "vthr_syn", "p", "i_th", "out"),
        bias("Xbw", "vw", "n", "i_w", "w"),
        pwl_source("Vin", "vin", onsets, values.number("pulse_width"), values.number("vdd")),
        Instance(
            "Xsyn",
            ("vdd", "vin", "vtau", "vthr_syn", "vw", "vsyn", out),
            "dpi_synapse",
            numbers(values, *SYNAPSE_SIZES, prefix=p),
        ),
    ]


class DPISynapse(Circuit):
    """Differential pair integrator synapse.

    Devices M_D1..M_D6 and C_syn as in ``netlists/dpi_synapse.sp``. Biases are currents: each
    feeds a diode-connected, mismatch-free bias transistor (``netlists/bias.sp``) standing for
    the chip's bias generator, sized like the transistor it biases. I_th is a p-type bias
    (the current a pFET of the output size carries at gate V_thr), so that the gain is
    I_th/I_tau as in the literature.

    Closed form (Bartolozzi & Indiveri 2007; Chicca et al. 2014), valid in weak inversion with
    I_syn >> I_th: ``tau dI_syn/dt + I_syn = (I_th/I_tau) I_w`` during input pulses,
    ``tau = C_syn U_T / (kappa_p I_tau)``. With no input the decay is exactly exponential with
    that tau whatever I_syn/I_th (only the leak discharges nothing and C_syn charges at I_tau).
    """

    name = "dpi-synapse"
    title = "DPI synapse (differential pair integrator)"
    description = __doc__ or ""
    netlists = ("bias", "dpi_synapse")
    default_tstop = 0.2
    analog_sizes = tuple(f"{d}_{g}" for g in ("w", "thr", "tau", "out") for d in "wl")  # M_D3 is the input switch
    metrics = (
        Metric("peak_current_a", "A", "largest output current I_syn"),
        Metric("rest_current_a", "A", "output current before the first input (leakage floor)"),
        Metric("tau_pred_s", "s", "C_syn U_T/(kappa_p I_tau)", "closed form", "tau_s"),
        Metric("gain_pred", "", "I_th/I_tau", "closed form"),
        Metric("steady_current_pred_a", "A", "I_th (I_w/I_tau - 1), the full equation's steady state", "closed form"),
        Metric("kappa_p", "", "kappa of the output pFET, from the technology's I_D-V_G sweep", "technology"),
        Metric("n_input_spikes", "", "input pulses in the run", "setting"),
        Metric("tau_s", "s", "exponential fit to the decay after the last input"),
        Metric("tau_fit_r2", "", "R^2 of that fit"),
        Metric("tau_error", "", "tau_s / tau_pred_s - 1"),
        *AREA_METRICS,
        *POWER_METRICS,
        Metric(
            "energy_per_event_j",
            "J",
            "supply energy after the first input per input pulse (the output current I_syn included)",
        ),
    )
    params = ParamSpec(
        (
            Param("i_tau", "A", "leak bias current I_tau (sets tau = C U_T / (kappa I_tau))", 5e-12, 1e-14, 1e-8),
            Param("i_th", "A", "gain bias current I_th (I_g); DC gain I_th/I_tau", 50e-12, 1e-14, 1e-8),
            Param("i_w", "A", "weight bias current I_w drawn during an input pulse", 500e-12, 1e-14, 1e-7),
            Param("c_syn", "F", "integrating capacitor C_syn", 1.5e-12, 1e-15, 1e-10),
            Param("vdd", "V", "supply voltage", 3.3, 1.0, 3.6),
            *CONDITIONS,
            Param("v_out", "V", "voltage held at the output node (a neuron membrane, a current meter)", 0.0, 0.0, 3.6),
            *size_params(
                ("in", "input switch M_D3", 1e-6, 1e-6),
                ("w", "weight transistor M_D2", 1e-6, 1e-6),
                ("thr", "differential pair M_D1, M_D4", 1e-6, 1e-6),
                ("tau", "leak transistor M_D5", 1e-6, 1e-6),
                ("out", "output transistor M_D6", 1e-6, 1e-6),
            ),
            *input_params(rate=100.0, count=10, start=0.01, width=1e-3),
        )
    )
    probes = (
        Probe("i_syn", "vout#branch", "A", "synaptic current I_syn out of M_D6"),
        Probe("v_syn", "vsyn", "V", "integrating node V_syn (C_syn to vdd)"),
        Probe("v_in", "vin", "V", "input pulses at the gate of M_D3"),
        Probe("v_tail", "xsyn.ns", "V", "common source (tail) of the differential pair M_D1/M_D4"),
        SUPPLY_PROBE,
    )

    def onset(self, values: Values) -> float:
        return values.number("input_start")

    def instances(self, values: Values) -> tuple[tuple[str, str, str, str], ...]:
        return (("Xsyn", "dpi_synapse", "dpi_synapse", ""),)

    def predicted_cv(self, values: Values, tech: Technology, facts: TechnologyFacts) -> dict[str, dict[str, object]]:
        """Closed-form CVs of ``tau_s`` and ``peak_current_a`` (and the steady current) from the Pelgrom law.

        The peak uses the input train of a regular ``input_kind`` (its count over the run is not
        known here for other kinds, so they get ``tau_s`` and the steady current only).
        """
        regular = values.word("input_kind") == "regular" and values.whole("input_count") > 0
        point = SynapsePoint(
            c=values.number("c_syn"),
            i_tau=values.number("i_tau"),
            i_th=values.number("i_th"),
            i_w=values.number("i_w"),
            kappa_n=facts.kappa_n,
            kappa_p=facts.kappa_p,
            ut=facts.ut_v,
            pulse_width=values.number("pulse_width"),
            period=1.0 / values.number("input_rate"),
            n_pulses=values.whole("input_count"),
        )
        forms = dpi_synapse_cv(self.device_sigmas(values, tech), point)
        if not regular:
            forms.pop("peak_current_a")
        return forms

    def elements(self, values: Values, tech: Technology, tstop: float) -> tuple[Element, ...]:
        vdd, v_out = (spice_number(values.number(k)) for k in ("vdd", "v_out"))
        return (f"Vdd vdd 0 {vdd}", *synapse_elements(values, tstop, "out"), f"Vout out 0 {v_out}")

    def cost(self, bench: Bench, waves: Waveforms) -> dict[str, float]:
        """Area and power, and the energy per input pulse: mean power after the onset x that time / pulses."""
        m = super().cost(bench, waves)
        if "power_w" in m:
            t_end = float(waves["time"][-1])
            pulses = input_onsets(bench.values, t_end).size
            span = t_end - min(self.onset(bench.values), t_end)
            m["energy_per_event_j"] = m["power_w"] * span / pulses if pulses else float("nan")
        return m

    def measure(self, bench: Bench, waves: Waveforms) -> dict[str, float]:
        values, facts = bench.values, bench.facts
        t, i_syn = waves["time"], waves["i_syn"]
        onsets = input_onsets(values, float(t[-1]))
        i_tau, i_th, i_w, c = (values.number(k) for k in ("i_tau", "i_th", "i_w", "c_syn"))
        kappa = facts.kappa_p
        metrics = {
            "peak_current_a": float(np.max(i_syn)),
            "rest_current_a": float(i_syn[0]),
            "tau_pred_s": dpi_tau(c, i_tau, kappa, facts.ut_v),
            "gain_pred": dpi_gain(i_th, i_tau),
            "steady_current_pred_a": dpi_steady_state(i_w, i_th, i_tau),
            "kappa_p": kappa,
            "n_input_spikes": float(onsets.size),
        }
        release = float(onsets[-1]) + values.number("pulse_width") + 2 * EDGE if onsets.size else float(t[0])
        fit = fit_exponential_decay(t, i_syn, t_start=release, floor=30 * max(metrics["rest_current_a"], 1e-15))
        metrics["tau_s"] = fit.tau
        metrics["tau_fit_r2"] = fit.r2
        metrics["tau_error"] = fit.tau / metrics["tau_pred_s"] - 1.0
        return metrics
