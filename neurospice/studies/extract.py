"""DPI-equation parameters of the built-in DPI neuron, measured with SPICE, and the model checked against it.

Each parameter comes from a transistor-level measurement (``source`` says which):

- ``tau_mem_s``: the membrane current's decay after a sub-threshold DC input switches off (fit);
- ``gain``: the steady membrane current over the input current, below threshold, with the
  spike threshold raised out of reach (I_mem read from V_mem through the measured kappa_n and I0_n);
- ``refractory_s``: from each spike until the membrane leaves reset, at the validation input;
- ``threshold_a``: the comparator's bias I_spkthr (a setting: the comparator trips when the
  membrane transistor carries it); ``i_th_a`` likewise; ``i_reset_a``: I0 of the membrane
  transistor (the membrane is released from 0 V).

:func:`validate_dpi_neuron` then compares the equation's f-I curve with SPICE's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..analysis.dpi_model import DPINeuronModel, model_fi_curve
from ..circuits import get_circuit
from ..ngspice_models import Technology, get_technology
from ..simulation import simulate, technology_facts

__all__ = ["Extraction", "extract_dpi_neuron", "validate_dpi_neuron"]


@dataclass(frozen=True)
class Extraction:
    """The model, where each parameter came from, and the SPICE-against-model comparison when run."""

    model: DPINeuronModel
    sources: dict[str, str]
    technology: str
    params: dict[str, Any]
    validation: list[dict[str, float]] = field(default_factory=list)


def extract_dpi_neuron(tech: str | Technology = "gf180mcu", overrides: Mapping[str, object] | None = None,
                       *, refractory_input: float = 1e-9) -> Extraction:  # fmt: skip
    """Measure the DPI equation's parameters of ``dpi-neuron`` (with ``overrides``) on ``tech``."""
    tech = get_technology(tech) if isinstance(tech, str) else tech
    neuron = get_circuit("dpi-neuron")
    base = {**dict(overrides or {}), "input_kind": "none", "i_ahw": 0.0}
    values = neuron.values(base, tech)
    facts = technology_facts(tech, values)
    i0 = facts.i0_n_a * values.number("w_mem") / values.number("l_mem")
    gain_nominal = values.number("i_th") / values.number("i_tau")
    # below threshold: half the rheobase, comparator out of reach, then the input off for the decay
    i_sub = 0.5 * values.number("i_spkthr") / gain_nominal
    tau = values.number("c_mem") * facts.ut_v / (facts.kappa_n * values.number("i_tau"))
    on, off = 0.005, 0.005 + 8 * tau
    sub = simulate(neuron, tech, {**base, "i_in": i_sub, "i_spkthr": 1e-6, "dc_start": on, "dc_stop": off},
                   tstop=off + 6 * tau)  # fmt: skip
    t, v = sub.waves["time"], sub.waves["v_mem"]
    plateau = float(np.mean(v[(t > off - tau) & (t < off)]))
    i_plateau = i0 * math.exp(facts.kappa_n * plateau / facts.ut_v)
    spiking = simulate(neuron, tech, {**base, "i_in": refractory_input, "dc_start": 0.005}, tstop=0.06)
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
    return Extraction(model, sources, tech.name, {k: v for k, v in values.items() if isinstance(v, (int, float))})


def _rheobase(neuron: Any, tech: Technology, base: Mapping[str, object], guess: float, wait: float) -> float:
    """The smallest DC input that makes the neuron fire within ``wait`` seconds (bisection, 2 % resolution)."""
    low, high = 0.25 * guess, 4.0 * guess
    for _ in range(7):
        mid = math.sqrt(low * high)
        run = simulate(neuron, tech, {**base, "i_in": mid, "dc_start": 0.005}, tstop=0.005 + wait)
        if run.metrics["n_spikes"] > 0:
            high = mid
        else:
            low = mid
    return math.sqrt(low * high)


def validate_dpi_neuron(extraction: Extraction, currents: Sequence[float] | None = None,
                        tstop: float = 0.1) -> Extraction:  # fmt: skip
    """SPICE's steady rate against the equation's at each DC input (default: 1.5x rheobase to 10 nA)."""
    model = extraction.model
    if currents is None:
        low = 1.5 * model.rheobase_a()
        currents = list(np.geomspace(low, 10e-9, 6))
    predicted = model_fi_curve(model, currents)
    neuron, rows = get_circuit("dpi-neuron"), []
    for i_in, rate in zip(currents, predicted, strict=True):
        run = simulate(neuron, extraction.technology, {**extraction.params, "i_in": float(i_in), "dc_start": 0.005},
                       tstop=tstop)  # fmt: skip
        spice = float(run.metrics["isi_rate_hz"])
        rows.append({"i_in_a": float(i_in), "spice_rate_hz": spice, "model_rate_hz": float(rate),
                     "difference": float(rate / spice - 1) if spice else math.nan})  # fmt: skip
    return Extraction(model, extraction.sources, extraction.technology, extraction.params, rows)
