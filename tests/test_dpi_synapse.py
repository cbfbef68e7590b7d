"""The DPI synapse in SPICE against its closed form, on both technologies."""

from __future__ import annotations

import numpy as np
import pytest

from neurospice.circuits import get_circuit
from neurospice.ngspice_models import Technology
from neurospice.sim.characterization import characterize
from neurospice.sim.simulation import simulate

pytestmark = pytest.mark.ngspice

DPI = get_circuit("dpi-synapse")


@pytest.mark.parametrize("i_tau", [2e-12, 6.3e-12, 20e-12])
def test_decay_time_constant_matches_closed_form(tech: Technology, i_tau: float) -> None:
    """tau = C U_T/(kappa_p I_tau) over a decade of I_tau (2.8 ms .. 28 ms at 1.5 pF).

    Measured differences are +0.2 .. +2.9 %: the device capacitances on V_syn (about 0.5 %
    of 1.5 pF), the off-state leakage of the input branch that opposes I_tau (largest at
    2 pA) and kappa's drift across the decay's current range. 4 % covers them.
    """
    result = simulate(DPI, tech, {"i_tau": i_tau})
    m = result.metrics
    assert m["tau_fit_r2"] > 0.999
    assert m["tau_s"] == pytest.approx(m["tau_pred_s"], rel=0.04)


def _steady_state(tech: Technology, i_w: float) -> tuple[float, float]:
    """I_syn and the pair's tail voltage at the end of a 150 ms input pulse."""
    r = simulate(DPI, tech, {"i_w": i_w, "i_tau": 5e-12, "i_th": 20e-12, "input_kind": "times",
                             "input_times": "0.01", "pulse_width": 0.15}, tstop=0.2)  # fmt: skip
    k = int(np.searchsorted(r.waves["time"], 0.155))
    return float(r.waves["i_syn"][k]), float(r.waves["v_tail"][k])


def test_steady_state_follows_power_law_set_by_kappas(tech: Technology) -> None:
    """Under a held input the DPI settles where I_2 = I_tau, so I_syn ~ ((I_w - I_tau)/I_tau)^(kappa_p/kappa_n).

    Linear in I_w (slope 1) only when kappa_n = kappa_p. The pair's nFETs sit with their source
    at V_tail ~ 2 V above the grounded bulk; on GF180MCU the body effect lifts kappa_n from 0.71
    to 0.80 there, so the exponent is ~0.84 (sublinear); the EKV model has no body effect
    (exponent ~0.96). The test checks the SPICE slope against kappa_p/kappa_n measured at that V_SB.
    """
    i_w = np.array([25e-12, 50e-12, 100e-12, 200e-12, 400e-12])
    points = [_steady_state(tech, x) for x in i_w]
    i_ss = np.array([p[0] for p in points])
    vsb = float(np.mean([p[1] for p in points]))
    assert np.all(np.diff(i_ss) > 0)
    slope, _ = np.polyfit(np.log(i_w - 5e-12), np.log(i_ss), 1)
    fitted = np.polyval([slope, _], np.log(i_w - 5e-12))
    assert np.max(np.abs(fitted - np.log(i_ss))) < 0.05  # a clean power law
    kappa_p = characterize(tech, "pmos").fit.kappa
    kappa_n = characterize(tech, "nmos", vsb=vsb).fit.kappa
    assert slope == pytest.approx(kappa_p / kappa_n, abs=0.05)


def test_peak_rises_with_weight_and_input_rate(tech: Technology) -> None:
    peaks = [simulate(DPI, tech, {"i_w": w}, tstop=0.12).metrics["peak_current_a"] for w in (200e-12, 500e-12, 1e-9)]
    assert np.all(np.diff(peaks) > 0)
    rates = [simulate(DPI, tech, {"input_rate": r}, tstop=0.12).metrics["peak_current_a"] for r in (50.0, 200.0)]
    assert rates[1] > rates[0]
