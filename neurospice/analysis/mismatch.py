r"""Mismatch laws and attributions: Pelgrom fits, per-device variance shares (pure numpy/scipy).

Pelgrom M., Duinmaijer A., Welbers A., "Matching properties of MOS transistors", IEEE JSSC
24(5):1433-1440, 1989: :math:`\sigma = A/\sqrt{WL}`. Convention: ``A_VT`` is usually quoted for
the *difference of a pair*; one device then has :math:`\sigma_{V_T} = A_{VT}/\sqrt{2WL}`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ContributionResult", "LowR2Warning", "PelgromFit", "fit_pelgrom", "mismatch_contributions"]


@dataclass(frozen=True)
class PelgromFit:
    r"""Fit of :math:`\sigma = A\,(WL)^{-p}`: ``a`` in (units of sigma) x m when p = 1/2.

    ``a_fixed`` is the coefficient with the exponent held at the Pelgrom value 1/2 (the number
    to quote as A); ``a``/``exponent`` are the free fit, with standard errors from the
    least-squares covariance of the log-log regression.
    """

    a: float
    a_stderr: float
    exponent: float
    exponent_stderr: float
    a_fixed: float
    a_fixed_stderr: float
    r2: float
    n: int

    def as_dict(self) -> dict[str, float | int]:
        """Plain dict."""
        return asdict(self)


def fit_pelgrom(sizes: ArrayLike, values: ArrayLike) -> PelgromFit:
    r"""Fit Pelgrom's law :math:`\sigma = A (WL)^{-p}` :cite:p:`pelgrom1989` to spreads measured at several sizes.

    ``values`` are spreads at those sizes: :math:`\sigma_{V_T}` (V) gives :math:`A_{VT}` per device
    (V m; multiply by :math:`\sqrt 2` for the pair convention), a current CV gives the
    current-matching coefficient (m). The free fit is the linear regression
    :math:`\ln\sigma = \ln A - p \ln(WL)`; Pelgrom's law is :math:`p = 1/2`.

    Parameters
    ----------
    sizes : array_like
        Areas :math:`WL` (m^2), or an ``(n, 2)`` array of ``(W, L)`` pairs (m).
    values : array_like
        The spread at each size. Non-finite or non-positive pairs are dropped.

    Returns
    -------
    PelgromFit
        ``a`` and ``exponent`` of the free fit with standard errors, ``a_fixed`` (the exponent held
        at 1/2: the number to quote as A) with its standard error, ``r2`` and ``n``.

    Raises
    ------
    ValueError
        If sizes and values differ in length, or fewer than three distinct sizes remain.

    Examples
    --------
    >>> import numpy as np
    >>> area = np.array([1.0, 4.0, 16.0, 64.0]) * 1e-12     # m^2
    >>> fit = fit_pelgrom(area, 7.148e-9 / np.sqrt(area))    # sigma_VT (V) of GF180MCU's nmos_3p3
    >>> round(fit.a_fixed * 1e9, 3), round(fit.exponent, 3)  # mV um, exponent
    (7.148, 0.5)
    """
    from scipy.stats import linregress

    s = np.asarray(sizes, dtype=np.float64)
    area = s[:, 0] * s[:, 1] if s.ndim == 2 else s.ravel()
    v = np.asarray(values, dtype=np.float64).ravel()
    if area.shape != v.shape:
        raise ValueError(f"sizes and values differ in length ({area.size} vs {v.size})")
    ok = np.isfinite(area) & np.isfinite(v) & (area > 0) & (v > 0)
    area, v = area[ok], v[ok]
    if np.unique(area).size < 3:
        raise ValueError("fit_pelgrom needs spreads at three or more distinct sizes (positive, finite)")
    x, y = np.log(area), np.log(v)
    fit = linregress(x, y)
    a = float(np.exp(fit.intercept))
    # exponent held at 1/2: ln A = mean(ln sigma + ln(WL)/2); its error from the residual scatter
    z = y + 0.5 * x
    a_fixed = float(np.exp(z.mean()))
    a_fixed_se = a_fixed * float(z.std(ddof=1) / np.sqrt(z.size))
    return PelgromFit(
        a=a,
        a_stderr=a * float(fit.intercept_stderr),
        exponent=float(-fit.slope),
        exponent_stderr=float(fit.stderr),
        a_fixed=a_fixed,
        a_fixed_stderr=a_fixed_se,
        r2=float(fit.rvalue**2),
        n=int(v.size),
    )


class LowR2Warning(UserWarning):
    """A linear attribution explains too little of the metric's variance to be trusted."""


@dataclass(frozen=True)
class ContributionResult:
    """Per-device attribution of a metric's variance (see :func:`mismatch_contributions`)."""

    table: pd.DataFrame
    r2: float
    n_samples: int
    transform: str
    trusted: bool
    min_r2: float


def mismatch_contributions(
    offsets: ArrayLike,
    metric: ArrayLike,
    names: Sequence[str],
    *,
    transform: Literal["log", "linear"] = "log",
    min_r2: float = 0.8,
) -> ContributionResult:
    r"""Share of a metric's variance due to each transistor's threshold offset (linear regression).

    With independent offsets :math:`\delta_i` (Pelgrom-mode draws), fit
    :math:`y = \beta_0 + \sum_i \beta_i \delta_i + \varepsilon` by least squares, where
    :math:`y = \ln m` (``transform="log"``: subthreshold currents, rates and time constants are
    log-normal in :math:`\delta`) or :math:`y = m`. Device :math:`i`'s share is

    .. math::

        s_i = \frac{\beta_i^2 \operatorname{var}(\delta_i)}{\operatorname{var}(y)},
        \qquad \sum_i s_i \approx R^2 .

    When :math:`R^2 <` ``min_r2`` the metric is not linear in the offsets (switching, saturation, an
    outlier) and the shares are not to be trusted: ``trusted`` is False and a :class:`LowR2Warning` says so.

    Parameters
    ----------
    offsets : array_like
        Threshold offsets (V), shape ``(samples, devices)``.
    metric : array_like
        The metric per sample. Rows with a non-finite metric (or a non-positive one under ``log``) are dropped.
    names : sequence of str
        One name per device (column of ``offsets``).
    transform : {"log", "linear"}
        What is regressed: the metric's log or the metric.
    min_r2 : float, default 0.8
        Below this R^2 the shares are marked untrusted.

    Returns
    -------
    ContributionResult
        ``table`` (one row per device, largest share first: ``device``, ``sensitivity_per_v``,
        ``sigma_offset_v``, ``sigma_contribution``, ``variance_share``), ``r2``, ``n_samples``,
        ``transform``, ``trusted`` and ``min_r2``.

    Raises
    ------
    ValueError
        If the shapes disagree, the transform is unknown, or fewer than ``devices + 3`` usable samples remain.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> dvt = rng.normal(0.0, 0.01, (200, 2))                       # V
    >>> tau = 0.01 * np.exp(27.0 * dvt[:, 0] + 5.0 * dvt[:, 1])     # s: device A dominates
    >>> result = mismatch_contributions(dvt, tau, ["A", "B"])
    >>> result.table["device"].tolist(), round(result.r2, 3)
    (['A', 'B'], 1.0)
    """
    import pandas as pd

    x = np.asarray(offsets, dtype=np.float64)
    y = np.asarray(metric, dtype=np.float64).ravel()
    if x.ndim != 2 or x.shape[0] != y.size or x.shape[1] != len(names):
        raise ValueError(f"offsets must be (samples, devices) = ({y.size}, {len(names)}), got {x.shape}")
    if transform not in ("log", "linear"):
        raise ValueError(f"transform: got {transform!r}; accepted: log, linear")
    ok = np.isfinite(y) & np.all(np.isfinite(x), axis=1)
    if transform == "log":
        ok &= y > 0
    x, y = x[ok], y[ok]
    if transform == "log":
        y = np.log(y)
    n, d = x.shape
    if n < d + 3:
        raise ValueError(f"{n} usable samples for {d} devices: need at least {d + 3} for a regression")
    design = np.column_stack([np.ones(n), x])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ beta
    var_y = float(np.var(y, ddof=1))
    r2 = 1.0 - float(np.var(resid, ddof=1)) / var_y if var_y > 0 else float("nan")
    sd_x = x.std(axis=0, ddof=1)
    b = beta[1:]
    share = b**2 * sd_x**2 / var_y if var_y > 0 else np.full(d, np.nan)
    table = pd.DataFrame(
        {
            "device": list(names),
            "sensitivity_per_v": b,
            "sigma_offset_v": sd_x,
            "sigma_contribution": np.abs(b) * sd_x,
            "variance_share": share,
        }
    ).sort_values("variance_share", ascending=False, ignore_index=True)
    trusted = bool(np.isfinite(r2) and r2 >= min_r2)
    if not trusted:
        warnings.warn(
            f"linear attribution explains R^2 = {r2:.2f} of the variance (< {min_r2}); shares not to be trusted",
            LowR2Warning,
            stacklevel=2,
        )
    return ContributionResult(table, r2, n, transform, trusted, min_r2)
