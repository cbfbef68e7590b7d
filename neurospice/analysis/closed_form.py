r"""Closed-form DPI model, derived with sympy.

Bartolozzi & Indiveri, Neural Computation 19(10):2581-2603, 2007; Chicca et al., Proc. IEEE
102(9):1367-1388, 2014. In weak inversion the DPI obeys

.. math::

    \tau \left(1 + \frac{I_g}{I_{syn}}\right)\frac{dI_{syn}}{dt} + I_{syn}
        = \frac{I_g I_w}{I_\tau} - I_g,\qquad \tau = \frac{C U_T}{\kappa I_\tau}

while an input pulse is on (with no input the right side is :math:`-I_{syn}`'s decay alone:
:math:`\tau\, dI_{syn}/dt = -I_{syn}`). For :math:`I_{syn} \gg I_g` it is the linear
first-order filter :math:`\tau\, dI/dt + I = (I_g/I_\tau) I_w`, whose step response sympy solves
below. The steady state of the full equation, :math:`I_g (I_w/I_\tau - 1)`, is exact.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "BOLTZMANN_OVER_Q",
    "dpi_gain",
    "dpi_pulse_train_response",
    "dpi_steady_state",
    "dpi_step_response",
    "dpi_tau",
    "thermal_voltage",
]

#: k/q in V/K (CODATA 2018, exact).
BOLTZMANN_OVER_Q = 1.380649e-23 / 1.602176634e-19


def thermal_voltage(temp_c: float = 27.0) -> float:
    """U_T = kT/q in volts; ngspice simulates at 27 degC unless told otherwise (25.865 mV)."""
    return BOLTZMANN_OVER_Q * (temp_c + 273.15)


@lru_cache(maxsize=1)
def _derived() -> dict[str, Callable[..., Any]]:
    import sympy as sp

    t, tau, i0, gain, i_in = sp.symbols("t tau I_0 G I_in", positive=True)
    c, ut, kappa, i_tau, i_g, i_w = sp.symbols("C U_T kappa I_tau I_g I_w", positive=True)
    current = sp.Function("I")
    ode = sp.Eq(tau * current(t).diff(t) + current(t), gain * i_in)
    step = sp.dsolve(ode, current(t), ics={current(0): i0}).rhs
    tau_expr = c * ut / (kappa * i_tau)
    # steady state of the full (nonlinear) equation: dI/dt = 0
    i_ss = sp.Symbol("I_ss", positive=True)
    full_rhs = i_g * i_w / i_tau - i_g
    steady = sp.solve(sp.Eq(i_ss, full_rhs), i_ss)[0]
    return {
        "step": sp.lambdify((t, tau, i0, gain, i_in), step, "numpy"),
        "tau": sp.lambdify((c, i_tau, kappa, ut), tau_expr, "numpy"),
        "steady": sp.lambdify((i_w, i_g, i_tau), steady, "numpy"),
    }


def dpi_tau(c: float, i_tau: float, kappa: float, ut: float | None = None) -> float:
    r"""DPI time constant :math:`\tau = C U_T / (\kappa I_\tau)` (s)."""
    return float(_derived()["tau"](c, i_tau, kappa, thermal_voltage() if ut is None else ut))


def dpi_gain(i_th: float, i_tau: float) -> float:
    r"""DC gain :math:`I_{th}/I_\tau` of the linearised DPI."""
    return i_th / i_tau


def dpi_steady_state(i_w: float, i_th: float, i_tau: float) -> float:
    r"""Steady output of the full DPI equation under a constant input: :math:`I_{th}(I_w/I_\tau - 1)` (A)."""
    return float(_derived()["steady"](i_w, i_th, i_tau))


def dpi_step_response(t: ArrayLike, tau: float, gain: float, i_in: float, i_start: float) -> NDArray[np.float64]:
    r"""Linear DPI step response :math:`I(t) = G I_{in} + (I_0 - G I_{in}) e^{-t/\tau}` (sympy's solution)."""
    out = _derived()["step"](np.asarray(t, dtype=np.float64), tau, i_start, gain, i_in)
    return np.broadcast_to(np.asarray(out, dtype=np.float64), np.shape(t)).copy()


def dpi_pulse_train_response(
    t: ArrayLike, onsets: ArrayLike, width: float, tau: float, gain: float, i_w: float, i_start: float
) -> NDArray[np.float64]:
    """Linear DPI response to rectangular pulses of ``width`` starting at ``onsets`` (A).

    Pieces the step response together: input ``i_w`` while a pulse is on, zero between.
    """
    t = np.asarray(t, dtype=np.float64)
    edges = sorted({0.0, *(float(x) for x in np.ravel(onsets)), *(float(x) + width for x in np.ravel(onsets))})
    out = np.empty_like(t)
    level = i_start
    for a, b in zip(edges, [*edges[1:], np.inf], strict=True):
        on = any(o <= a < o + width for o in np.ravel(onsets))
        drive = i_w if on else 0.0
        sel = (t >= a) & (t < b)
        out[sel] = dpi_step_response(t[sel] - a, tau, gain, drive, level)
        if np.isfinite(b):
            level = float(dpi_step_response(np.array([b - a]), tau, gain, drive, level)[0])
    return out
