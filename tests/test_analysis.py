"""Pure analysis functions checked against exact synthetic data and closed forms."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from neurospice.analysis import (
    dpi_gain,
    dpi_pulse_train_response,
    dpi_steady_state,
    dpi_step_response,
    dpi_tau,
    extract_subthreshold,
    fit_exponential_decay,
    thermal_voltage,
)


def test_thermal_voltage() -> None:
    assert thermal_voltage(27.0) == pytest.approx(0.025865, abs=2e-6)


def test_decay_fit_exact_on_nonuniform_samples() -> None:
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 0.1, 400))
    y = np.where(t < 0.02, 2e-9, 2e-9 * np.exp(-(t - 0.02) / 0.0113))
    fit = fit_exponential_decay(t, y, t_start=0.02)
    assert fit.tau == pytest.approx(0.0113, rel=1e-9)
    assert fit.r2 == pytest.approx(1.0)


def test_decay_fit_nan_with_reason() -> None:
    t = np.linspace(0, 1, 100)
    fit = fit_exponential_decay(t, np.ones_like(t), t_start=0.5)
    assert math.isnan(fit.tau) and fit.reason
    assert math.isnan(fit_exponential_decay(t, np.ones_like(t), t_start=2.0).tau)


def test_subthreshold_extraction_exact() -> None:
    ut, kappa, i0 = thermal_voltage(), 0.7, 2e-15
    vg = np.arange(0, 1.2, 0.005)
    fit = extract_subthreshold(vg, i0 * np.exp(kappa * vg / ut))
    assert fit.kappa == pytest.approx(kappa, rel=1e-9)
    assert fit.i0_a == pytest.approx(i0, rel=1e-9)
    assert fit.slope_v_per_decade == pytest.approx(math.log(10) * ut / kappa)
    with pytest.raises(ValueError, match="fewer than 4"):
        extract_subthreshold(vg, np.full_like(vg, 1e-15))


def test_dpi_closed_forms_against_the_equations_they_solve() -> None:
    """Each closed form against an independent numerical solution of the physics it summarises."""
    from scipy.integrate import solve_ivp

    ut, kappa, c, i_tau = thermal_voltage(), 0.7, 1.5e-12, 5e-12
    # tau: the leak discharges C at I_tau, the pFET output current is exponential in that voltage
    t = np.linspace(0, 0.05, 2001)
    i_out = 1e-9 * np.exp(-kappa * (i_tau * t / c) / ut)
    measured_tau = -1 / np.polyfit(t, np.log(i_out), 1)[0]
    assert dpi_tau(c, i_tau, kappa, ut) == pytest.approx(measured_tau, rel=1e-9)
    assert dpi_tau(2 * c, i_tau, kappa, ut) == pytest.approx(2 * dpi_tau(c, i_tau, kappa, ut))
    # step response: integrate tau dI/dt + I = G I_in from I(0) = I_0
    tau, gain, i_in, i0 = 0.01, 10.0, 1e-10, 1e-12
    sol = solve_ivp(lambda _, i: (gain * i_in - i) / tau, (0, 0.05), [i0], t_eval=t, rtol=1e-10, atol=1e-20)
    np.testing.assert_allclose(dpi_step_response(t, tau, gain, i_in, i0), sol.y[0], rtol=1e-6)
    # steady state of the full (nonlinear) DPI equation tau (1 + I_th/I) dI/dt + I = I_th I_w / I_tau - I_th
    i_th, i_w = 50e-12, 500e-12
    full = solve_ivp(lambda _, i: (i_th * i_w / i_tau - i_th - i) / (tau * (1 + i_th / i)), (0, 1.0), [1e-12],
                     rtol=1e-10, atol=1e-22)  # fmt: skip
    assert dpi_steady_state(i_w, i_th, i_tau) == pytest.approx(full.y[0, -1], rel=1e-6)
    assert dpi_gain(i_th, i_tau) == pytest.approx(full.y[0, -1] / (i_w - i_tau))  # I_ss = gain (I_w - I_tau)


def test_pulse_train_response_is_continuous_and_decays() -> None:
    t = np.linspace(0, 0.2, 20001)
    y = dpi_pulse_train_response(t, [0.01, 0.02], 1e-3, 0.01, 10.0, 1e-10, 0.0)
    assert np.max(np.abs(np.diff(y))) < 1e-12  # no jumps at pulse edges
    assert y[np.searchsorted(t, 0.021)] > y[np.searchsorted(t, 0.011)] > 0
    after = t > 0.03
    fit = fit_exponential_decay(t[after], y[after], t_start=0.03)
    assert fit.tau == pytest.approx(0.01, rel=1e-6)


def test_analysis_does_not_import_the_engine() -> None:
    code = "import sys, neurospice.analysis; print('PySpice' in sys.modules, 'neurospice.engines' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_import_neurospice_is_light() -> None:
    code = (
        "import sys, neurospice; print(sorted(m for m in ('PySpice', 'sympy', 'typer', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
