r"""Subthreshold parameters from an I_D-V_G sweep.

In weak inversion and saturation (source and bulk at 0) a MOSFET follows
:math:`I_D = I_0\, e^{\kappa V_G / U_T}` (Mead 1989), so :math:`\ln I_D` is linear in
:math:`V_G` with slope :math:`\kappa/U_T`; the slope factor is :math:`n = 1/\kappa` and the
subthreshold swing :math:`S = \ln(10)\, U_T/\kappa` (V/decade).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._fit import log_linear_fit
from .closed_form import thermal_voltage

__all__ = ["SubthresholdFit", "extract_subthreshold"]


@dataclass(frozen=True)
class SubthresholdFit:
    """kappa, n, swing (V/decade) and I0 (A, current at V_G = 0 on the fitted exponential)."""

    kappa: float
    n: float
    slope_v_per_decade: float
    i0_a: float
    i_low_a: float
    i_high_a: float
    n_points: int
    r2: float
    ut_v: float

    def as_dict(self) -> dict[str, float]:
        """Plain dict (for JSON)."""
        return {k: float(v) for k, v in asdict(self).items()}


def extract_subthreshold(
    vg: ArrayLike, i_d: ArrayLike, *, i_low: float = 1e-12, i_high: float = 1e-9, ut: float | None = None
) -> SubthresholdFit:
    r"""Subthreshold slope factor, swing and I0 from an I_D-V_G sweep :cite:p:`mead1989`.

    Fits :math:`\ln |I_D| = \ln I_0 + \kappa |V_G| / U_T` to the points between ``i_low`` and ``i_high``.
    ``vg`` is the gate voltage magnitude measured from the source (the sign is dropped, so a pFET sweep
    with negative voltages works as it is).

    Parameters
    ----------
    vg : array_like
        Gate-source voltages (V).
    i_d : array_like
        Drain currents (A), same length.
    i_low, i_high : float
        The current window of the fit (A); default 1 pA to 1 nA.
    ut : float, optional
        Thermal voltage (V); default :func:`thermal_voltage` at 27 degC.

    Returns
    -------
    SubthresholdFit
        ``kappa``, ``n`` (= 1/kappa), ``slope_v_per_decade``, ``i0_a``, the window, ``n_points``,
        ``r2`` and ``ut_v``.

    Raises
    ------
    ValueError
        When fewer than 4 points lie in the window.

    Examples
    --------
    >>> import numpy as np
    >>> vg = np.linspace(0.0, 0.6, 61)
    >>> fit = extract_subthreshold(vg, 1e-15 * np.exp(0.7 * vg / 0.025865))
    >>> round(fit.kappa, 3), round(fit.slope_v_per_decade * 1e3, 1)
    (0.7, 85.1)
    """
    ut = thermal_voltage() if ut is None else ut
    v, i = np.abs(np.asarray(vg, dtype=np.float64)), np.abs(np.asarray(i_d, dtype=np.float64))
    sel = (i >= i_low) & (i <= i_high)
    if sel.sum() < 4:
        raise ValueError(f"fewer than 4 sweep points between {i_low:g} A and {i_high:g} A")
    slope, intercept, r2 = log_linear_fit(v[sel], i[sel])
    kappa = slope * ut
    return SubthresholdFit(
        kappa=kappa,
        n=1.0 / kappa,
        slope_v_per_decade=math.log(10) / slope,
        i0_a=float(math.exp(intercept)),
        i_low_a=i_low,
        i_high_a=i_high,
        n_points=int(sel.sum()),
        r2=r2,
        ut_v=ut,
    )
