"""DPI-equation parameters of the built-in DPI neuron, measured with SPICE, and the model checked against it.

Each parameter comes from a transistor-level measurement (``source`` says which):

- ``tau_mem_s``: the membrane current's decay after a sub-threshold DC input switches off (fit);
- ``gain``: the steady membrane current over the input current, below threshold, with the
  spike threshold raised out of reach (I_mem read from V_mem through the measured kappa_n and I0_n);
- ``refractory_s``: from each spike until the membrane leaves reset, at the validation input;
- ``threshold_a``: gain x the SPICE rheobase (bisection); ``i_th_a``: the setting I_th;
  ``i_reset_a``: I0 of the membrane transistor (the membrane is released from 0 V).

Beyond the integrated equation (``Extraction.figures``, each with its source):

- the positive-feedback transfer I_a(I_mem) from a DC sweep of the comparator and feedback
  transistors (:meth:`DPINeuron.feedback_deck`), fitted with the published sigmoid
  I_a = I_a,gain / (1 + exp(-(I_mem - I_a,th)/I_a,norm)) (Chicca et al. 2014; teili's ``Iagain``,
  ``Iath``, ``Ianorm``), with the fit's residual;
- adaptation: tau_ahp from the decay of I_ahp after the input stops, and the jump of I_ahp at
  the first spike, each beside its closed form;
- the release level V_R* and the supply, which the mismatch export needs.

:func:`validate_dpi_neuron` then compares the equation's f-I curve with SPICE's;
:func:`extract_dpi_synapse` measures the synapse's tau and gain.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import curve_fit

from ..analysis.dpi_model import DPINeuronModel, model_fi_curve
from ..analysis.waveform import fit_exponential_decay
from ..circuits import get_circuit
from ..engines import get_engine, select
from ..ngspice_models import Technology, TechnologyFacts, get_technology
from ..params import Values
from ..params.options import SimOptions
from ..sim.simulation import SimulationResult, simulate, technology_facts
from ..store.cache import cached_json

__all__ = [
    "Extraction",
    "SynapseExtraction",
    "cached_extraction",
    "cached_sensitivities",
    "extract_dpi_neuron",
    "extract_dpi_synapse",
    "measure_sensitivities",
    "validate_dpi_neuron",
]

#: bump when what :func:`extract_dpi_neuron` measures changes (the cache key holds it)
EXTRACTION_VERSION = 4
#: adaptation weight used to measure tau_ahp and the increment when the values switch adaptation off (A)
AHP_PROBE_WEIGHT = 10e-9


@dataclass(frozen=True)
class Extraction:
    """The model, further measured figures, where each came from, and the SPICE-against-model comparison."""

    model: DPINeuronModel
    sources: dict[str, str]
    technology: str
    params: dict[str, Any]
    validation: list[dict[str, float]] = field(default_factory=list)
    #: measured beyond the integrated equation: feedback sigmoid, adaptation, release level (SI units)
    figures: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able: technology, model, figures, sources, validation, the circuit values."""
        return {
            "technology": self.technology,
            "model": self.model.as_dict(),
            "figures": self.figures,
            "sources": self.sources,
            "validation": self.validation,
            "params": self.params,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Extraction:
        return cls(
            DPINeuronModel(**data["model"]),
            dict(data["sources"]),
            data["technology"],
            dict(data["params"]),
            list(data["validation"]),
            dict(data["figures"]),
        )


def extract_dpi_neuron(
    tech: str | Technology = "gf180mcu",
    overrides: Mapping[str, object] | None = None,
    *,
    refractory_input: float | None = None,
) -> Extraction:
    """Measure the DPI equation's parameters of ``dpi-neuron`` (with ``overrides``) on ``tech``.

    ``refractory_input`` (A; default: the values' ``i_in``, or 1 nA without one) is the DC input at
    which the refractory period and the release level are measured (V_R* depends on it).
    """
    tech = get_technology(tech) if isinstance(tech, str) else tech
    neuron = get_circuit("dpi-neuron")
    given = dict(overrides or {})
    ahw = float(neuron.values(given, tech).number("i_ahw"))
    base = {**given, "input_kind": "none", "i_ahw": 0.0}
    values = neuron.values(base, tech)
    if refractory_input is None:
        refractory_input = values.number("i_in") if values.number("i_in") > 0 else 1e-9
    facts = technology_facts(tech, values)
    i0 = facts.i0_n_a * values.number("w_mem") / values.number("l_mem")
    gain_nominal = values.number("i_th") / values.number("i_tau")
    # below threshold: half the rheobase, comparator out of reach, then the input off for the decay
    i_sub = 0.5 * values.number("i_spkthr") / gain_nominal
    tau = values.number("c_mem") * facts.ut_v / (facts.kappa_n * values.number("i_tau"))
    sub = _decay_run(neuron, tech, base, i_sub, tau)
    t, v, off = sub.waves["time"], sub.waves["v_mem"], sub.params.number("dc_stop")
    plateau = float(np.mean(v[(t > off - tau) & (t < off)]))
    i_plateau = i0 * math.exp(facts.kappa_n * plateau / facts.ut_v)
    spiking = _spiking_run(neuron, tech, base, refractory_input)
    # the effective threshold: the SPICE rheobase (bisection on a DC input, 7 runs), times the measured gain
    rheobase = _rheobase(neuron, tech, base, values.number("i_spkthr") / gain_nominal, 10 * tau)
    threshold = gain_nominal * rheobase  # the model's rate depends on I_in / rheobase
    model = DPINeuronModel(
        tau_mem_s=float(sub.metrics["tau_mem_s"]),
        i_th_a=values.number("i_th"),
        gain=gain_nominal,
        threshold_a=threshold,
        refractory_s=float(spiking.metrics["refractory_s"]),
        i_reset_a=i0,
    )
    sources = {
        "tau_mem_s": f"SPICE: decay of I_mem after a {i_sub:.3g} A input switches off (exponential fit)",
        "gain": f"setting: I_th/I_tau (the steady V_mem at {i_sub:.3g} A, read through a single nFET's kappa_n and "
        f"I0_n, gives {i_plateau / i_sub:.4g}: the DPI's current unit is not one transistor's)",
        "refractory_s": f"SPICE: spike to release of the membrane at I_in = {refractory_input:.3g} A",
        "threshold_a": f"SPICE: gain x rheobase, the rheobase {rheobase:.4g} A found by bisection (I_spkthr "
        f"{values.number('i_spkthr'):.3g} A)",
        "i_th_a": "setting: I_th",
        "i_reset_a": f"technology: I0 of the membrane transistor, kappa_n {facts.kappa_n:.4f}",
    }
    figures: dict[str, float] = {
        "vdd_v": values.number("vdd"),
        "v_release_v": float(spiking.metrics["v_r_release_v"]),
        "refractory_input_a": float(refractory_input),
        "kappa_n": facts.kappa_n,
        "kappa_p": facts.kappa_p,
        "ut_v": facts.ut_v,
    }
    sources.update(
        vdd_v="setting: supply",
        v_release_v=f"SPICE: refractory node at the membrane's release (I_in = {refractory_input:.3g} A)",
        refractory_input_a="setting: input of the refractory run",
        kappa_n="technology: nFET I_D-V_G fit",
        kappa_p="technology: pFET I_D-V_G fit",
        ut_v="kT/q at the simulation temperature",
    )
    feedback, feedback_sources = _feedback(neuron, tech, values, facts, i0)
    adaptation, adaptation_sources = _adaptation(
        neuron, tech, {**given, "input_kind": "none"}, ahw, facts, i0, model.refractory_s
    )
    figures["pulse_s"] = float(spiking.metrics["pulse_s"])
    sources["pulse_s"] = (
        f"SPICE: width of the acknowledge pulse (/ACK low, the adaptation's gate) at I_in = {refractory_input:.3g} A"
    )
    figures.update(feedback | adaptation)
    sources.update(feedback_sources | adaptation_sources)
    return Extraction(
        model, sources, tech.name, {k: v for k, v in values.items() if isinstance(v, (int, float))}, figures=figures
    )


def _sigmoid(x: np.ndarray, gain: float, th: float, norm: float) -> np.ndarray:
    return gain / (1.0 + np.exp(-(x - th) / norm))


def _feedback(
    neuron: Any, tech: Technology, values: Values, facts: TechnologyFacts, i0: float
) -> tuple[dict[str, float], dict[str, str]]:
    """The positive-feedback transfer I_a(I_mem) (DC sweep of MA1-MA4) and its sigmoid fit (in units of I_spkthr)."""
    vectors = get_engine().simulate(neuron.feedback_deck(values, tech, step=2.5e-4), tech.ngspice_settings)
    v_mem, i_a = select(vectors, "v-sweep"), np.abs(select(vectors, "via#branch"))
    unit = values.number("i_spkthr")
    x = i0 * np.exp(facts.kappa_n * v_mem / facts.ut_v) / unit
    keep = x < 100.0
    x, y = x[keep], i_a[keep]
    top = float(y.max())
    half = float(x[np.argmax(y >= top / 2)])
    (g, th, norm), _ = curve_fit(_sigmoid, x, y / top, p0=(1.0, half, 0.05 * half), maxfev=20000)
    rms = float(np.sqrt(np.mean((_sigmoid(x, g, th, norm) - y / top) ** 2)))
    figures = {
        "ia_gain_a": float(g * top),
        "ia_th_a": float(th * unit),
        "ia_norm_a": float(abs(norm) * unit),
        "ia_fit_rms": rms,
    }
    src = (
        f"SPICE: DC sweep of the comparator and feedback (MA1-MA4), I_mem = I0 exp(kappa_n V_mem/U_T); "
        f"sigmoid fit, rms residual {100 * rms:.2f} % of I_a,gain"
    )
    return figures, {k: src for k in figures}


def _adaptation(
    neuron: Any,
    tech: Technology,
    given: Mapping[str, object],
    ahw: float,
    facts: TechnologyFacts,
    i0: float,
    t_ref: float,
) -> tuple[dict[str, float], dict[str, str]]:
    """tau_ahp (decay of I_ahp after the input stops) and the jump of I_ahp at the first spike, with closed forms."""
    weight = ahw if ahw > 0 else AHP_PROBE_WEIGHT
    run_values = neuron.values({**given, "i_ahw": weight}, tech)
    c_ahp, i_ahtau, i_ahthr = (run_values.number(k) for k in ("c_ahp", "i_ahtau", "i_ahthr"))
    tau_pred = c_ahp * facts.ut_v / (facts.kappa_n * i_ahtau)
    i_in = run_values.number("i_in") if run_values.number("i_in") > 0 else 1e-9
    on, off = 0.005, 0.005 + min(max(tau_pred, 0.02), 0.1)
    run = simulate(
        neuron, tech, {**given, "i_ahw": weight, "i_in": i_in, "dc_start": on, "dc_stop": off}, tstop=off + 4 * tau_pred
    )
    t = run.waves["time"]
    i_ahp = i0 * np.exp(facts.kappa_n * run.waves["v_ahp"] / facts.ut_v)
    spikes = neuron.spike_times(run.waves, run_values)
    last = float(spikes[-1]) if spikes.size else off
    fit = fit_exponential_decay(t, i_ahp, t_start=max(off, last + 2 * t_ref) + 1e-4, low=0.05)
    jumps = [_jump(t, i_ahp, float(s), float(e), t_ref) for s, e in zip(spikes, [*spikes[1:], off], strict=True)]
    gain = i_ahthr / i_ahtau
    pulse = float(run.metrics["pulse_s"])
    jump_pred = gain * weight * (1 - math.exp(-pulse / tau_pred))
    nan = float("nan")
    figures = {
        "tau_ahp_s": float(fit.tau),
        "tau_ahp_pred_s": tau_pred,
        "ahp_increment_a": jumps[-1] if jumps else nan,
        "ahp_first_increment_a": jumps[0] if jumps else nan,
        "ahp_increment_pred_a": jump_pred,
        "ahp_weight_a": weight,
    }
    note = "" if ahw > 0 else f" (adaptation is off in these values; measured with I_ahw = {weight:.3g} A)"
    sources = {
        "tau_ahp_s": "SPICE: decay of I_ahp = I0 exp(kappa_n V_ahp/U_T) after the input stops (exponential fit)" + note,
        "tau_ahp_pred_s": "closed form: C_ahp U_T/(kappa_n I_ahtau)",
        "ahp_increment_a": "SPICE: rise of I_ahp across the last spike of an adapted train (the increment of the "
        "linear model)" + note,
        "ahp_first_increment_a": "SPICE: rise of I_ahp across the first spike (from rest the AHP DPI is far below "
        "its linear regime, I_ahp << I_ahthr, and rises much less)" + note,
        "ahp_increment_pred_a": "closed form: (I_ahthr/I_ahtau) I_ahw (1 - exp(-t_pulse/tau_ahp)), the AHP DPI charged "
        "for the acknowledge pulse (t_pulse measured in the same run)",
        "ahp_weight_a": "setting: I_ahw of the adaptation measurement",
    }
    return figures, sources


def _jump(t: np.ndarray, i: np.ndarray, spike: float, end: float, t_ref: float) -> float:
    """Rise of ``i`` across the spike at ``spike``: its highest value before ``end`` (at most 3 t_ref on) less
    its value just before."""
    inside = (t > spike) & (t < min(end - 1e-5, spike + 3 * t_ref))
    return float(np.max(i[inside]) - np.interp(spike - 1e-5, t, i)) if inside.any() else float("nan")


#: threshold offset applied to one device at a time to measure the sensitivities (V)
SENSITIVITY_STEP = 0.01
#: the devices whose effect on each measured parameter is simulated (the others are the analytic weights')
MEASURED_SENSITIVITIES = {
    "tau_mem_s": ("ml3",),
    "threshold_a": ("ml1", "ml2", "ml3", "ma1", "ma2"),
    "refractory_s": ("mr3", "mr2"),
}


def measure_sensitivities(tech: Technology, extraction: Extraction) -> dict[str, dict[str, float]]:
    """d ln p / d V_T of each measured parameter for each device of :data:`MEASURED_SENSITIVITIES`, by SPICE.

    One device at a time carries +10 mV: tau_mem from the same decay fit, the refractory period from
    the same spiking run, the threshold as gain x the rheobase found again by bisection (8 steps over a
    factor 6 around the nominal: 0.7 % resolution), the gain moving with ML1, ML2, ML3 as the DPI's
    currents do (kappa_p/U_T on the pair, kappa_n/U_T on the leak).
    """
    neuron = get_circuit("dpi-neuron")
    values = neuron.values(extraction.params, tech)
    base = {**dict(values.items()), "input_kind": "none", "i_ahw": 0.0}
    fig, model, step = extraction.figures, extraction.model, SENSITIVITY_STEP
    gain_weight = {
        "ml1": fig["kappa_p"] / fig["ut_v"],
        "ml2": -fig["kappa_p"] / fig["ut_v"],
        "ml3": fig["kappa_n"] / fig["ut_v"],
    }
    i_sub = 0.5 * values.number("i_spkthr") / model.gain  # the extraction's own runs, one offset added
    tau_pred = values.number("c_mem") * fig["ut_v"] / (fig["kappa_n"] * values.number("i_tau"))
    out: dict[str, dict[str, float]] = {"tau_mem_s": {}, "threshold_a": {}, "refractory_s": {}}
    for d in MEASURED_SENSITIVITIES["tau_mem_s"]:
        run = _decay_run(neuron, tech, base, i_sub, tau_pred, {f"xn.{d}": step})
        out["tau_mem_s"][d] = math.log(float(run.metrics["tau_mem_s"]) / model.tau_mem_s) / step
    for d in MEASURED_SENSITIVITIES["threshold_a"]:
        rb = _rheobase(
            neuron, tech, base, model.rheobase_a(), 10 * tau_pred, span=2.5, steps=8, offsets={f"xn.{d}": step}
        )
        out["threshold_a"][d] = math.log(rb / model.rheobase_a()) / step + gain_weight.get(d, 0.0)
    for d in MEASURED_SENSITIVITIES["refractory_s"]:
        run = _spiking_run(neuron, tech, base, fig["refractory_input_a"], {f"xn.{d}": step})
        out["refractory_s"][d] = math.log(float(run.metrics["refractory_s"]) / model.refractory_s) / step
    return out


def _decay_run(
    neuron: Any,
    tech: Technology,
    base: Mapping[str, object],
    i_sub: float,
    tau: float,
    offsets: Mapping[str, float] | None = None,
) -> SimulationResult:
    """A sub-threshold DC input for 8 tau (comparator out of reach), then off for 6 tau: tau_mem from the decay."""
    on, off = 0.005, 0.005 + 8 * tau
    return simulate(
        neuron,
        tech,
        {**base, "i_in": i_sub, "i_spkthr": 1e-6, "dc_start": on, "dc_stop": off},
        tstop=off + 6 * tau,
        offsets=offsets,
    )


def _spiking_run(
    neuron: Any, tech: Technology, base: Mapping[str, object], i_in: float, offsets: Mapping[str, float] | None = None
) -> SimulationResult:
    """A DC input from 5 ms for 55 ms: the refractory period and the release level."""
    return simulate(neuron, tech, {**base, "i_in": i_in, "dc_start": 0.005}, tstop=0.06, offsets=offsets)


def cached_sensitivities(tech: Technology, extraction: Extraction) -> dict[str, dict[str, float]]:
    """:func:`measure_sensitivities`, measured once per machine (the result cache)."""
    key = {
        "extraction": extraction.as_dict(),
        "models": tech.provenance(),
        "settings": tech.ngspice_settings,
        "ngspice": get_engine().version,
        "version": EXTRACTION_VERSION,
        "step": SENSITIVITY_STEP,
        "options": dataclasses.asdict(SimOptions()),
    }
    return cached_json("dpi_sensitivity", key, lambda: measure_sensitivities(tech, extraction))


def cached_extraction(tech: Technology, overrides: Mapping[str, object]) -> Extraction:
    """:func:`extract_dpi_neuron` at ``overrides``, measured once per machine (the result cache).

    The key holds the default simulator options the extraction's runs use: a change of defaults
    measures again instead of serving figures made with the old ones.
    """
    values = get_circuit("dpi-neuron").values(dict(overrides), tech)
    key = {
        "values": dict(values.items()),
        "models": tech.provenance(),
        "settings": tech.ngspice_settings,
        "ngspice": get_engine().version,
        "version": EXTRACTION_VERSION,
        "options": dataclasses.asdict(SimOptions()),
    }
    return Extraction.from_dict(cached_json("dpi_extraction", key, lambda: extract_dpi_neuron(tech, values).as_dict()))


def _rheobase(
    neuron: Any,
    tech: Technology,
    base: Mapping[str, object],
    guess: float,
    wait: float,
    *,
    span: float = 4.0,
    steps: int = 7,
    offsets: Mapping[str, float] | None = None,
) -> float:
    """The smallest DC input that makes the neuron fire within ``wait`` seconds: bisection in ln I_in over
    ``guess / span`` to ``guess * span`` (7 steps over a factor 16: 2 % resolution)."""
    low, high = guess / span, guess * span
    for _ in range(steps):
        mid = math.sqrt(low * high)
        run = simulate(neuron, tech, {**base, "i_in": mid, "dc_start": 0.005}, tstop=0.005 + wait, offsets=offsets)
        if run.metrics["n_spikes"] > 0:
            high = mid
        else:
            low = mid
    return math.sqrt(low * high)


def validate_dpi_neuron(
    extraction: Extraction, currents: Sequence[float] | None = None, tstop: float = 0.1
) -> Extraction:
    """SPICE's steady rate against the equation's at each DC input (default: 1.5x rheobase to 10 nA)."""
    model = extraction.model
    if currents is None:
        low = 1.5 * model.rheobase_a()
        currents = list(np.geomspace(low, 10e-9, 6))
    predicted = model_fi_curve(model, currents)
    neuron, rows = get_circuit("dpi-neuron"), []
    for i_in, rate in zip(currents, predicted, strict=True):
        run = simulate(
            neuron, extraction.technology, {**extraction.params, "i_in": float(i_in), "dc_start": 0.005}, tstop=tstop
        )
        spice = float(run.metrics["isi_rate_hz"])
        rows.append(
            {
                "i_in_a": float(i_in),
                "spice_rate_hz": spice,
                "model_rate_hz": float(rate),
                "difference": float(rate / spice - 1) if spice else math.nan,
            }
        )
    return Extraction(
        model, extraction.sources, extraction.technology, extraction.params, rows, figures=dict(extraction.figures)
    )


@dataclass(frozen=True)
class SynapseExtraction:
    """The DPI synapse's equation parameters (Bartolozzi & Indiveri 2007), measured, beside their closed forms."""

    figures: dict[str, float]
    sources: dict[str, str]
    technology: str

    def as_dict(self) -> dict[str, Any]:
        return {"technology": self.technology, "figures": self.figures, "sources": self.sources}


def extract_dpi_synapse(
    tech: str | Technology = "gf180mcu", overrides: Mapping[str, object] | None = None
) -> SynapseExtraction:
    """tau (decay fit) and gain of ``dpi-synapse`` from one input pulse 8 tau long, beside their closed forms.

    A short pulse does not reach the DPI's linear regime (I_syn >> I_th) at these biases, so the
    gain is read from the steady output the pulse reaches, over I_w.
    """
    tech = get_technology(tech) if isinstance(tech, str) else tech
    synapse = get_circuit("dpi-synapse")
    given = {**dict(overrides or {}), "input_kind": "regular", "input_count": 1}
    values = synapse.values(given, tech)
    tau_pred = float(simulate(synapse, tech, given, tstop=1e-3).metrics["tau_pred_s"])
    width = min(8 * tau_pred, 1.0)  # long enough for the steady state I_th (I_w/I_tau - 1)
    given.update(pulse_width=width, input_start=1e-3)
    run = simulate(synapse, tech, given, tstop=1e-3 + width + 6 * tau_pred)
    tau, peak, rest = (float(run.metrics[k]) for k in ("tau_s", "peak_current_a", "rest_current_a"))
    i_w = values.number("i_w")
    figures = {
        "tau_s": tau,
        "tau_pred_s": tau_pred,
        "gain": (peak - rest) / i_w,
        "gain_pred": float(run.metrics["steady_current_pred_a"]) / i_w,
        "i_w_a": i_w,
        "pulse_width_s": width,
    }
    sources = {
        "tau_s": "SPICE: exponential fit to the decay after the pulse",
        "tau_pred_s": "closed form: C_syn U_T/(kappa_p I_tau)",
        "gain": "SPICE: (steady output - rest) / I_w at the end of a pulse 8 tau long",
        "gain_pred": "closed form: I_th (I_w/I_tau - 1)/I_w, the full equation's steady state over I_w",
        "i_w_a": "setting: I_w",
        "pulse_width_s": "setting: input pulse width",
    }
    return SynapseExtraction(figures, sources, tech.name)
