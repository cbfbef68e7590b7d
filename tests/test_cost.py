"""Area and power of every built-in circuit, checked against hand sums and the synapse's own currents."""

from __future__ import annotations

import numpy as np
import pytest

from neurospice.circuits import get_circuit
from neurospice.circuits.cost import mean_over
from neurospice.ngspice_models import get_technology
from neurospice.sim.simulation import simulate

GF = get_technology("gf180mcu")


def _area(circuit: str, overrides: dict[str, object]) -> dict[str, float]:
    c = get_circuit(circuit)
    return c.cost(c.bind(c.values(overrides, GF), GF, 0.1), {"time": np.array([0.0, 1.0])})


def test_area_is_w_l_m_of_every_transistor_plus_c_over_the_mim_density() -> None:
    syn = _area("dpi-synapse", {})
    assert syn["area_transistors_um2"] == pytest.approx(6.0)  # M_D1..M_D6, 1 x 1 µm each
    assert syn["area_capacitors_um2"] == pytest.approx(1.5e-12 / 2e-3 * 1e12)  # 1.5 pF at 2 fF/µm²: 750 µm²
    assert syn["area_bias_um2"] == pytest.approx(3.0)  # three diode cells, apart from the circuit
    assert syn["area_um2"] == pytest.approx(756.0)
    bigger = _area("dpi-synapse", {"w_tau": "4u", "l_tau": "2u", "c_syn": "3p"})
    assert bigger["area_transistors_um2"] - syn["area_transistors_um2"] == pytest.approx(8 - 1)
    assert bigger["area_capacitors_um2"] == pytest.approx(2 * syn["area_capacitors_um2"])
    neuron = _area("dpi-neuron", {"input_kind": "none"})
    with_synapse = _area("dpi-neuron", {"input_kind": "regular"})
    assert with_synapse["area_um2"] - neuron["area_um2"] == pytest.approx(syn["area_um2"])


def test_no_power_without_a_supply_waveform_and_bias_power_is_vdd_times_the_references() -> None:
    syn = _area("dpi-synapse", {})
    assert "power_w" not in syn
    c = get_circuit("dpi-synapse")
    waves = {"time": np.array([0.0, 0.01, 0.02]), "i_vdd": np.full(3, 1e-9)}
    m = c.cost(c.bind(c.values({"input_start": "10m"}, GF), GF, 0.02), waves)
    assert m["power_bias_w"] == pytest.approx(3.3 * (5e-12 + 50e-12 + 500e-12))
    assert m["power_static_w"] == pytest.approx(3.3 * 1e-9 - m["power_bias_w"])


@pytest.mark.ngspice
def test_the_synapse_draws_its_output_its_weight_while_pulsed_and_its_leak() -> None:
    """Supply power after the onset = V_dd (mean I_syn + I_w x duty + I_tau), measured to 2 %."""
    r = simulate("dpi-synapse", "gf180mcu")
    v, t = r.params, r.waves["time"]
    onset, end = v.number("input_start"), float(t[-1])
    duty = v.whole("input_count") * v.number("pulse_width") / (end - onset)
    expected = v.number("vdd") * (mean_over(t, r.waves["i_syn"], onset, end) + v.number("i_w") * duty
                                  + v.number("i_tau"))  # fmt: skip
    assert r.metrics["power_w"] == pytest.approx(expected, rel=0.02)
    assert 0 < r.metrics["power_static_w"] < 0.01 * r.metrics["power_w"]  # before the input: leakage only


@pytest.mark.ngspice
def test_spiking_circuits_report_energy_per_spike() -> None:
    r = simulate("axon-hillock", "gf180mcu")
    onset, end = r.params.number("dc_start"), float(r.waves["time"][-1])
    spikes = int(np.sum(r.spikes >= onset))
    assert spikes > 5 and r.metrics["energy_per_spike_j"] == pytest.approx(
        r.metrics["power_w"] * (end - onset) / spikes
    )
    # the membrane and feedback capacitors are recharged every cycle: at least (C_mem + C_fb) V_hys V_dd per spike
    c, cfb, vdd = (r.params.number(k) for k in ("c_mem", "c_fb", "vdd"))
    assert r.metrics["energy_per_spike_j"] > (c + cfb) * vdd * cfb / (c + cfb) * vdd
