r"""Precision from mismatch: coefficients of variation with confidence intervals, equivalent bits.

Every CV here says which CV it is (``kind``: across devices, across clusters, or of ISIs) and
which ``ddof`` it used, because the literature mixes them.

NaN policy (one for the whole module): non-finite values are dropped and the count actually
used is reported as ``n``; a CV that cannot be estimated (fewer than ``ddof + 1`` finite values,
fewer than 2 values, or a mean of zero) is NaN, with NaN bounds; it is never 0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["BITS_METHODS", "BitsMethod", "CVEstimate", "CVKind", "coefficient_of_variation", "equivalent_bits"]

CVKind = Literal["across devices", "across clusters", "isi"]
BitsMethod = Literal["log2_inv_cv2", "log2_inv_cv", "enob"]
BITS_METHODS: tuple[BitsMethod, ...] = ("log2_inv_cv2", "log2_inv_cv", "enob")


@dataclass(frozen=True)
class CVEstimate:
    """A coefficient of variation with its bootstrap confidence interval and what it rests on."""

    cv: float
    ci_low: float
    ci_high: float
    n: int
    ddof: int
    confidence: float
    kind: str
    mean: float
    std: float

    def as_dict(self) -> dict[str, float | int | str]:
        """Plain dict (for tables and JSON)."""
        return asdict(self)


def _cv(x: NDArray[np.float64], ddof: int, axis: int = -1) -> NDArray[np.float64]:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.std(x, ddof=ddof, axis=axis) / np.abs(np.mean(x, axis=axis))  # type: ignore[no-any-return]


def coefficient_of_variation(
    x: ArrayLike,
    ddof: int = 1,
    *,
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
    kind: CVKind = "across devices",
) -> CVEstimate:
    r"""Coefficient of variation :math:`\mathrm{CV} = s/|\bar x|` with a bootstrap confidence interval.

    .. math::

        \mathrm{CV} = \frac{1}{|\bar x|}\sqrt{\frac{1}{n - \mathrm{ddof}}\sum_i (x_i - \bar x)^2}

    The interval is the percentile bootstrap of the same statistic :cite:p:`efron1993`
    (``scipy.stats.bootstrap``, ``n_boot`` resamples from ``numpy.random.default_rng(seed)``):
    reproducible for a given seed. With few values it is wide, and it covers the true CV less often than
    its nominal level (about 0.88 at n = 32 and 0.84 at n = 16 for a 95 % interval on normal data,
    measured over 400 seeds); report ``n`` with it. ``ddof=0`` underestimates sigma for small ``n``
    (expectation about 0.56 sigma for n = 2: the large-cluster values of :cite:t:`zendrikov2023` fall below
    1/sqrt(N) for this reason).

    Parameters
    ----------
    x : array_like
        The values, one per device (or cluster, or interval); non-finite values are dropped and
        counted out (``n`` is the number used).
    ddof : {1, 0}
        Delta degrees of freedom of the standard deviation (1: the sample estimate).
    confidence : float, default 0.95
        Level of the interval, in (0, 1).
    n_boot : int, default 2000
        Bootstrap resamples.
    seed : int, default 0
        Seed of the bootstrap's generator.
    kind : {"across devices", "across clusters", "isi"}
        Which CV this is, carried into tables and reports.

    Returns
    -------
    CVEstimate
        ``cv``, ``ci_low``, ``ci_high`` (fractions), ``n``, ``ddof``, ``confidence``, ``kind``,
        ``mean`` and ``std``. Fewer than two finite values or a zero mean give NaN, never 0.

    Raises
    ------
    ValueError
        If ``ddof`` is not 0 or 1, or ``confidence`` is not in (0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(1).normal(1.0, 0.1, 64)
    >>> est = coefficient_of_variation(x)
    >>> round(est.cv, 4), est.n, est.ci_low < est.cv < est.ci_high
    (0.0868, 64, True)
    """
    from scipy.stats import bootstrap

    if ddof not in (0, 1):
        raise ValueError(f"ddof must be 0 or 1, got {ddof!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    arr = np.asarray(x, dtype=np.float64).ravel()
    arr = arr[np.isfinite(arr)]
    n = int(arr.size)
    nan = float("nan")
    if n < max(2, ddof + 1) or np.mean(arr) == 0:
        return CVEstimate(nan, nan, nan, n, ddof, confidence, kind, float(np.mean(arr)) if n else nan, nan)
    cv = float(_cv(arr, ddof))
    low, high = cv, cv
    if np.ptp(arr) > 0:
        res = bootstrap(
            (arr,),
            lambda s, axis=-1: _cv(s, ddof, axis),
            n_resamples=n_boot,
            confidence_level=confidence,
            method="percentile",
            rng=np.random.default_rng(seed),
            vectorized=True,
        )
        low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return CVEstimate(cv, low, high, n, ddof, confidence, kind, float(np.mean(arr)), float(np.std(arr, ddof=ddof)))


def equivalent_bits(cv: ArrayLike, method: BitsMethod = "log2_inv_cv2") -> NDArray[np.float64]:
    r"""Equivalent bit precision of a relative spread ``cv`` (a fraction, not %).

    Methods (name the one used next to every number shown):

    - ``log2_inv_cv2`` (default): :math:`b = \log_2(1/\mathrm{CV}^2) = -2\log_2 \mathrm{CV}`, the
      log of the power signal-to-noise ratio. It reproduces the end points of the colour bar of
      :cite:t:`zendrikov2023` (18.5 % -> 4.9 bits, 0.8 % -> 13.9 bits); the paper prints no formula,
      so this is a reconstruction.
    - ``log2_inv_cv``: :math:`b = \log_2(1/\mathrm{CV})`, levels one sigma apart over the mean.
    - ``enob``: ADC-style :math:`(20\log_{10}(1/\mathrm{CV}) - 1.76)/6.02` (IEEE 1241), treating CV
      as the noise-to-signal amplitude ratio.

    Bits mean something only for a positive quantity whose spread is well above its noise floor;
    reports leave them out otherwise, and say so.

    Parameters
    ----------
    cv : array_like
        Relative spread(s), fractions (0.05 for 5 %).
    method : {"log2_inv_cv2", "log2_inv_cv", "enob"}
        The conversion.

    Returns
    -------
    numpy.ndarray
        Bits, shaped like ``cv``; CV = 0 gives ``inf``, NaN stays NaN.

    Raises
    ------
    ValueError
        If a CV is negative or the method is unknown.

    Examples
    --------
    >>> equivalent_bits([0.185, 0.008]).round(1)
    array([ 4.9, 13.9])
    >>> float(equivalent_bits(0.01, "enob").round(2))
    6.35
    """
    c = np.asarray(cv, dtype=np.float64)
    if np.any(c < 0):
        raise ValueError("cv must be >= 0 (a fraction: 0.05 for 5 %)")
    with np.errstate(divide="ignore"):
        if method == "log2_inv_cv2":
            return -2.0 * np.log2(c)
        if method == "log2_inv_cv":
            return -np.log2(c)
        if method == "enob":
            return (-20.0 * np.log10(c) - 1.76) / 6.02
    raise ValueError(f"method: got {method!r}; accepted: {', '.join(BITS_METHODS)}")
