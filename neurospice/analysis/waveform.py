"""Waveform measurements: exponential decay fits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._fit import log_linear_fit

__all__ = ["DecayFit", "fit_exponential_decay"]


@dataclass(frozen=True)
class DecayFit:
    """Result of :func:`fit_exponential_decay`; ``tau`` is NaN when there was nothing to fit."""

    tau: float
    amplitude: float
    r2: float
    n_points: int
    reason: str = ""


def fit_exponential_decay(
    t: ArrayLike, y: ArrayLike, *, t_start: float, high: float = 0.8, low: float = 0.05, floor: float = 0.0
) -> DecayFit:
    r"""Fit :math:`y = A e^{-(t - t_0)/\tau}` to the decay that follows ``t_start``.

    Uses the samples after ``t_start`` whose value lies between ``low`` and ``high`` times the value at
    ``t_start`` and above ``floor``, up to the first sample that leaves that band from below; least
    squares on :math:`\ln y` against ``t`` (sample times may be non-uniform).

    Parameters
    ----------
    t : array_like
        Sample times (s).
    y : array_like
        The decaying quantity (e.g. a current, A), positive.
    t_start : float
        Where the decay starts (s).
    high, low : float
        The band of the fit, as fractions of the value at ``t_start`` (default 0.8 and 0.05).
    floor : float, default 0
        Values below it are left out (a leakage floor).

    Returns
    -------
    DecayFit
        ``tau`` (s), ``amplitude``, ``r2``, ``n_points``; ``tau`` is NaN with the ``reason`` when fewer
        than 5 samples lie in the band or the signal does not decay.

    Raises
    ------
    ValueError
        If ``t`` and ``y`` are not 1-D arrays of the same length.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(0.0, 0.1, 1001)
    >>> fit = fit_exponential_decay(t, 1e-10 * np.exp(-t / 0.0114), t_start=0.0)
    >>> round(fit.tau * 1e3, 2), fit.reason
    (11.4, '')
    """
    t, y = np.asarray(t, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if t.shape != y.shape or t.ndim != 1:
        raise ValueError("t and y must be 1-D arrays of the same length")
    after = t >= t_start
    if not after.any():
        return DecayFit(np.nan, np.nan, np.nan, 0, "no samples after t_start")
    y0 = y[after][0]
    top, bottom = high * y0, max(low * y0, floor)
    idx = np.flatnonzero(after)
    below_bottom = idx[y[idx] < bottom]
    stop = below_bottom[0] if below_bottom.size else idx[-1] + 1
    sel = idx[(idx < stop) & (y[idx] <= top) & (y[idx] >= bottom)]
    if sel.size < 5 or y0 <= 0:
        return DecayFit(np.nan, np.nan, np.nan, int(sel.size), "fewer than 5 samples in the decay band")
    slope, intercept, r2 = log_linear_fit(t[sel] - t_start, y[sel])
    if slope >= 0:
        return DecayFit(np.nan, np.nan, r2, int(sel.size), "signal does not decay")
    return DecayFit(float(-1.0 / slope), float(np.exp(intercept)), r2, int(sel.size))
