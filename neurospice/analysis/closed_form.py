r"""Closed-form DPI model, derived with sympy.

:cite:t:`bartolozzi2007`; :cite:t:`chicca2014`. In weak inversion the DPI obeys

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
    """The thermal voltage :math:`U_T = kT/q` (V).

    Parameters
    ----------
    temp_c : float, default 27
        Temperature (degC); ngspice simulates at 27 degC unless told otherwise.

    Returns
    -------
    float
        :math:`U_T` in volts (25.865 mV at 27 degC).

    Raises
    ------
    ValueError
        If the temperature is below absolute zero or not finite.

    Examples
    --------
    >>> round(thermal_voltage(27.0) * 1e3, 3)
    25.865
    """
    if not (np.isfinite(temp_c) and temp_c > -273.15):
        raise ValueError(f"temp_c must be a finite temperature above -273.15 degC, got {temp_c!r}")
    return BOLTZMANN_OVER_Q * (temp_c + 273.15)


def _positive(**values: float) -> None:
    """Refuse a zero, negative or infinite argument; NaN (a figure not known) propagates into a NaN result."""
    for name, value in values.items():
        if not np.isnan(value) and not (np.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be positive and finite, got {value!r}")


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
    r"""The DPI time constant :math:`\tau = C U_T / (\kappa I_\tau)` :cite:p:`bartolozzi2007`.

    Parameters
    ----------
    c : float
        The integrating capacitance (F).
    i_tau : float
        The leak current (A).
    kappa : float
        The subthreshold slope factor of the leak transistor (about 0.7).
    ut : float, optional
        The thermal voltage (V); default :func:`thermal_voltage` at 27 degC.

    Returns
    -------
    float
        :math:`\tau` in seconds.

    Raises
    ------
    ValueError
        If any argument is zero, negative or infinite (NaN, a figure not known, gives NaN).

    Examples
    --------
    >>> round(dpi_tau(1.5e-12, 5e-12, 0.68049) * 1e3, 2)  # ms: the default DPI synapse on GF180MCU
    11.4
    """
    ut = thermal_voltage() if ut is None else ut
    _positive(c=c, i_tau=i_tau, kappa=kappa, ut=ut)
    return float(_derived()["tau"](c, i_tau, kappa, ut))


def dpi_gain(i_th: float, i_tau: float) -> float:
    r"""The DC gain :math:`I_{th}/I_\tau` of the linearised DPI :cite:p:`bartolozzi2007`.

    Parameters
    ----------
    i_th : float
        The threshold current (A).
    i_tau : float
        The leak current (A).

    Returns
    -------
    float
        The gain (dimensionless).

    Raises
    ------
    ValueError
        If either current is zero, negative or infinite (NaN gives NaN).

    Examples
    --------
    >>> round(dpi_gain(50e-12, 5e-12), 9)
    10.0
    """
    _positive(i_th=i_th, i_tau=i_tau)
    return i_th / i_tau


def dpi_steady_state(i_w: float, i_th: float, i_tau: float) -> float:
    r"""Steady output of the full DPI equation under a constant input: :math:`I_{th}(I_w/I_\tau - 1)` (A).

    Exact for the nonlinear equation of :cite:t:`bartolozzi2007` with equal subthreshold slopes; the
    circuit departs from it when the pair's and the output's :math:`\kappa` differ (see the user guide).

    Parameters
    ----------
    i_w : float
        The input (weight) current (A).
    i_th : float
        The threshold current (A).
    i_tau : float
        The leak current (A).

    Returns
    -------
    float
        The steady output current (A); negative when :math:`I_w < I_\tau` (the circuit then stays off).

    Raises
    ------
    ValueError
        If any current is zero, negative or infinite (NaN gives NaN).

    Examples
    --------
    >>> round(dpi_steady_state(1e-9, 50e-12, 5e-12) * 1e9, 6)  # nA
    9.95
    """
    _positive(i_w=i_w, i_th=i_th, i_tau=i_tau)
    return float(_derived()["steady"](i_w, i_th, i_tau))


def dpi_step_response(t: ArrayLike, tau: float, gain: float, i_in: float, i_start: float) -> NDArray[np.float64]:
    r"""Linear DPI step response :math:`I(t) = G I_{in} + (I_0 - G I_{in}) e^{-t/\tau}` (sympy's solution).

    Parameters
    ----------
    t : array_like
        Times since the step (s).
    tau : float
        Time constant (s), e.g. from :func:`dpi_tau`.
    gain : float
        DC gain :math:`G`, e.g. from :func:`dpi_gain`.
    i_in : float
        Input current during the step (A).
    i_start : float
        Output at :math:`t = 0` (A).

    Returns
    -------
    numpy.ndarray
        The output current (A), shaped like ``t``.

    Raises
    ------
    ValueError
        If ``tau`` is zero, negative or infinite (NaN gives NaN).

    Examples
    --------
    >>> dpi_step_response([0.0, 0.01], tau=0.01, gain=10.0, i_in=1e-10, i_start=0.0).round(12)
    array([0.00e+00, 6.32e-10])
    """
    _positive(tau=tau)
    out = _derived()["step"](np.asarray(t, dtype=np.float64), tau, i_start, gain, i_in)
    return np.broadcast_to(np.asarray(out, dtype=np.float64), np.shape(t)).copy()


def dpi_pulse_train_response(
    t: ArrayLike, onsets: ArrayLike, width: float, tau: float, gain: float, i_w: float, i_start: float
) -> NDArray[np.float64]:
    """Linear DPI response to rectangular pulses of ``width`` starting at ``onsets`` (A).

    Pieces :func:`dpi_step_response` together: input ``i_w`` while a pulse is on, zero between.

    Parameters
    ----------
    t : array_like
        Sample times (s).
    onsets : array_like
        Pulse start times (s).
    width : float
        Pulse width (s).
    tau : float
        Time constant (s).
    gain : float
        DC gain.
    i_w : float
        Input current while a pulse is on (A).
    i_start : float
        Output at :math:`t = 0` (A).

    Returns
    -------
    numpy.ndarray
        The output current (A) at ``t``.

    Raises
    ------
    ValueError
        If ``tau`` or ``width`` is zero, negative or infinite (NaN gives NaN).

    Examples
    --------
    >>> i = dpi_pulse_train_response([0.0, 0.001, 0.01], [0.0], 0.001, 0.01, 10.0, 1e-10, 0.0)
    >>> (i * 1e12).round(1)  # pA
    array([ 0. , 95.2, 38.7])
    """
    _positive(tau=tau, width=width)
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
