r"""Precision recovered by averaging over neurons and over time (Zendrikov, Solinas & Indiveri 2023).

Protocol (Zendrikov D., Solinas S., Indiveri G., "Brain-inspired methods for achieving robust
computation in heterogeneous mixed-signal neuromorphic processing systems", Neuromorph. Comput.
Eng. 3:034002, 2023, doi 10.1088/2634-4386/ace64c; thesis of D. Zendrikov, ch. 2): the neurons
are split at random into clusters of ``k``; each cluster's rate in a window is the mean of its
neurons' spike counts divided by the window; the **CV across clusters** of that rate is taken in
every window and averaged over the windows of the recording, then over ``n_shuffles`` random
partitions. With independent neurons of rate CV :math:`c_1` the cluster CV is
:math:`c_1/\sqrt{k}`; short windows add the counting (quantisation) noise of a few spikes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .cv import BITS_METHODS, BitsMethod, equivalent_bits

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_CLUSTER_SIZES",
    "DEFAULT_WINDOWS",
    "c4",
    "check_cluster_design",
    "cluster_rate_cv",
    "cv_slope",
    "regular_count_cv",
    "window_counts",
]

DEFAULT_CLUSTER_SIZES = (1, 2, 4, 8, 16, 32, 64, 128)
DEFAULT_WINDOWS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)


def window_counts(
    spike_trains: Sequence[ArrayLike], t_start: float, window: float, n_windows: int
) -> NDArray[np.int64]:
    """Spike counts in consecutive windows :math:`[t_0 + j w, t_0 + (j+1) w)`.

    Parameters
    ----------
    spike_trains : sequence of array_like
        One array of spike times (s) per neuron.
    t_start : float
        Start of the first window (s).
    window : float
        Window length (s).
    n_windows : int
        Number of windows.

    Returns
    -------
    numpy.ndarray
        Integer counts, shape ``(neurons, n_windows)``.

    Raises
    ------
    ValueError
        If ``window`` is not positive or ``n_windows`` is below 1.

    Examples
    --------
    >>> window_counts([[0.01, 0.02, 0.11], [0.05]], t_start=0.0, window=0.1, n_windows=2)
    array([[2, 1],
           [1, 0]])
    """
    if not window > 0 or n_windows < 1:
        raise ValueError(f"window must be positive and n_windows at least 1, got {window!r} and {n_windows!r}")
    edges = t_start + window * np.arange(n_windows + 1)
    out = np.empty((len(spike_trains), n_windows), dtype=np.int64)
    for i, train in enumerate(spike_trains):
        s = np.sort(np.asarray(train, dtype=np.float64))
        out[i] = np.diff(np.searchsorted(s, edges, side="left"))
    return out


def regular_count_cv(rates_hz: ArrayLike, window: float, cluster_size: int = 1) -> float:
    r"""The cluster CV that perfectly regular neurons give by counting alone: the floor spike counting sets.

    A regular neuron of rate r counts :math:`\lfloor rw \rfloor` or :math:`\lceil rw \rceil` spikes in a
    window of ``window`` seconds (its phase independent and uniform), with variance :math:`f(1 - f)`, f the
    fractional part of rw. Across neurons the count's variance is
    :math:`\mathrm{Var}_i(r_i w) + \langle f_i(1 - f_i) \rangle`, and a cluster of k independent neurons
    averages it down by k:

    .. math::

        \mathrm{CV}_k = \sqrt{(\mathrm{Var}_i(r_i w) + \langle f_i(1-f_i)\rangle)/k} / \langle r_i w \rangle .

    At 20 ms and about 50 Hz (one spike a window) this is about 2x the rate CV.

    Parameters
    ----------
    rates_hz : array_like
        The neurons' rates (Hz), at least two.
    window : float
        Counting window (s).
    cluster_size : int, default 1
        Neurons averaged per cluster.

    Returns
    -------
    float
        The floor of the cluster-rate CV (a fraction).

    Raises
    ------
    ValueError
        With fewer than two rates, a non-positive window or a cluster size below 1.

    Examples
    --------
    >>> round(regular_count_cv([45.0, 50.0, 55.0], window=1.0), 4)
    0.1
    """
    x = np.asarray(rates_hz, dtype=np.float64) * window
    if x.size < 2 or not window > 0 or cluster_size < 1:
        raise ValueError("regular_count_cv needs at least 2 rates, a positive window and cluster_size >= 1")
    f = x - np.floor(x)
    variance = float(np.var(x, ddof=1) + np.mean(f * (1.0 - f)))
    return float(np.sqrt(variance / cluster_size) / np.mean(x))


def c4(n: int | NDArray[np.int64]) -> NDArray[np.float64]:
    r"""Bias of the sample standard deviation of ``n`` normal values: :math:`E[s] = c_4(n)\,\sigma`.

    :math:`c_4(n) = \sqrt{2/(n-1)}\,\Gamma(n/2)/\Gamma((n-1)/2)`.

    Parameters
    ----------
    n : int or array of int
        Number of values (at least 2).

    Returns
    -------
    numpy.ndarray
        :math:`c_4(n)`, shaped like ``n``.

    Raises
    ------
    ValueError
        If any ``n`` is below 2.

    Examples
    --------
    >>> c4([2, 4, 8]).round(3)
    array([0.798, 0.921, 0.965])
    """
    from scipy.special import gammaln

    m = np.asarray(n, dtype=np.float64)
    if np.any(m < 2):
        raise ValueError(f"c4 needs n >= 2, got {n!r}")
    return np.sqrt(2.0 / (m - 1)) * np.exp(gammaln(m / 2) - gammaln((m - 1) / 2))  # type: ignore[no-any-return]


def _chi2_interval(cv: float, n: int, confidence: float) -> tuple[float, float]:
    """Interval for a CV of ``n`` normal values, from the chi-square law of the sample variance."""
    from scipy.stats import chi2

    if n < 2 or not np.isfinite(cv):
        return float("nan"), float("nan")
    a = 1.0 - confidence
    dof = n - 1
    return float(cv * np.sqrt(dof / chi2.ppf(1 - a / 2, dof))), float(cv * np.sqrt(dof / chi2.ppf(a / 2, dof)))


def check_cluster_design(
    n: int,
    cluster_sizes: Sequence[int],
    windows: Sequence[float],
    t_start: float,
    t_stop: float,
    n_shuffles: int = 10,
    bits_method: str = "log2_inv_cv2",
) -> None:
    """Refuse a cluster-size x window design that ``n`` neurons over ``[t_start, t_stop)`` cannot fill.

    Lets a study check its design before it simulates anything.

    Parameters
    ----------
    n : int
        Number of neurons.
    cluster_sizes : sequence of int
        Cluster sizes, each in [1, n // 2] (at least two clusters).
    windows : sequence of float
        Window lengths (s), each in (0, t_stop - t_start].
    t_start, t_stop : float
        The recording analysed (s).
    n_shuffles : int, default 10
        Random partitions, at least 1.
    bits_method : str, default "log2_inv_cv2"
        One of :data:`BITS_METHODS`.

    Returns
    -------
    None
        Returns only when the design is valid.

    Raises
    ------
    ValueError
        Naming the argument and what it accepts.

    Examples
    --------
    >>> check_cluster_design(8, [1, 2, 4], [0.1], 0.0, 1.0)
    >>> check_cluster_design(8, [8], [0.1], 0.0, 1.0)
    Traceback (most recent call last):
    ValueError: cluster_sizes: got [8]; accepted: whole numbers in [1, 4] for 8 neurons
    """
    duration = t_stop - t_start
    if not duration > 0:
        raise ValueError(f"t_stop ({t_stop}) must be after t_start ({t_start})")
    if n < 2:
        raise ValueError(f"spike_trains: got {n} neuron(s); accepted: at least 2")
    bad_k = [k for k in cluster_sizes if not (isinstance(k, (int, np.integer)) and 1 <= k <= n // 2)]
    if bad_k:
        raise ValueError(f"cluster_sizes: got {bad_k}; accepted: whole numbers in [1, {n // 2}] for {n} neurons")
    bad_w = [w for w in windows if not (np.isfinite(w) and 0 < w <= duration * (1 + 1e-9))]
    if bad_w:
        raise ValueError(f"windows: got {bad_w}; accepted: seconds in (0, {duration:g}] (the recording analysed)")
    if n_shuffles < 1:
        raise ValueError(f"n_shuffles must be >= 1, got {n_shuffles}")
    if bits_method not in BITS_METHODS:
        raise ValueError(f"bits_method: got {bits_method!r}; accepted: {', '.join(BITS_METHODS)}")


def cluster_rate_cv(
    spike_trains: Sequence[ArrayLike],
    cluster_sizes: Sequence[int] = DEFAULT_CLUSTER_SIZES,
    windows: Sequence[float] = DEFAULT_WINDOWS,
    *,
    span: tuple[float, float],
    n_shuffles: int = 10,
    rng: np.random.Generator | int | None = 0,
    confidence: float = 0.95,
    bits_method: BitsMethod = "log2_inv_cv2",
) -> pd.DataFrame:
    r"""Cluster-rate CV for every cluster size and integration window (a tidy table).

    The protocol of :cite:t:`zendrikov2023`. For cluster size :math:`k`, window :math:`w` and one random
    partition of the :math:`N` neurons into :math:`m = \lfloor N/k \rfloor` clusters (the :math:`N - mk`
    left over sit out that shuffle), the rate of cluster :math:`c` in window :math:`j` is
    :math:`r_{cj} = \frac{1}{k w}\sum_{i \in c} n_{ij}`, and

    .. math::

        \mathrm{CV}(k, w) = \Big\langle \big\langle s_c(r_{cj}) / \bar r_{\cdot j}
            \big\rangle_{j} \Big\rangle_{\mathrm{shuffles}}

    with :math:`s_c` the sample standard deviation across clusters (``ddof = 1``). Windows with no spike in
    any cluster are left out of the mean over windows (their CV is undefined).

    Parameters
    ----------
    spike_trains : sequence of array_like
        One array of spike times (s) per neuron.
    cluster_sizes : sequence of int
        Cluster sizes, each at most N/2, so that at least two clusters exist.
    windows : sequence of float
        Window lengths (s), each at most the span's length.
    span : tuple of float
        ``(t_start, t_stop)``: the recording analysed (leave out the onset transient).
    n_shuffles : int, default 10
        Random partitions averaged (the paper used 10).
    rng : numpy.random.Generator or int or None, default 0
        Seeds the partitions.
    confidence : float, default 0.95
        Level of the interval.
    bits_method : str, default "log2_inv_cv2"
        Conversion of CV to equivalent bits (:func:`equivalent_bits`).

    Returns
    -------
    pandas.DataFrame
        One row per (cluster size, window): ``cluster_size``, ``window_s``, ``cv`` (fraction),
        ``cv_ci_low``, ``cv_ci_high`` (chi-square interval for ``n_clusters`` normal cluster
        rates: the uncertainty of the CV itself, wide when few clusters exist),
        ``cv_shuffle_sd`` (spread over partitions, the "±" of the published figure),
        ``cv_unbiased`` (``cv / c4(n_clusters)``, the small-sample bias of a standard deviation
        removed: with 2 clusters ``cv`` is about 0.8 sigma), ``n_clusters``, ``n_windows``,
        ``mean_rate_hz``, ``bits`` and ``bits_method``, ``cv_kind`` ("across clusters") and ``ddof``.

    Raises
    ------
    ValueError
        If the design does not fit the population (see :func:`check_cluster_design`).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> trains = [np.sort(rng.uniform(0, 1, rng.poisson(50))) for _ in range(16)]
    >>> table = cluster_rate_cv(trains, [1, 2, 4], [0.5, 1.0], span=(0.0, 1.0))
    >>> table[["cluster_size", "window_s", "n_clusters"]].values.tolist()[:3]
    [[1.0, 0.5, 16.0], [2.0, 0.5, 8.0], [4.0, 0.5, 4.0]]
    >>> bool(table.groupby("window_s")["cv"].apply(lambda c: c.is_monotonic_decreasing).all())  # averaging helps
    True
    """
    import pandas as pd

    n, ddof = len(spike_trains), 1
    t_start, t_stop = span
    duration = t_stop - t_start
    check_cluster_design(n, cluster_sizes, windows, t_start, t_stop, n_shuffles, bits_method)
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    perms = [gen.permutation(n) for _ in range(n_shuffles)]
    rows = []
    for w in windows:
        n_win = max(1, int(np.floor(duration / w + 1e-9)))
        counts = window_counts(spike_trains, t_start, float(w), n_win).astype(np.float64)
        for k in cluster_sizes:
            m = n // k
            per_shuffle = []
            for perm in perms:
                rates = counts[perm[: m * k]].reshape(m, k, n_win).mean(axis=1) / w  # (clusters, windows)
                mean = rates.mean(axis=0)
                ok = mean > 0
                if not ok.any():
                    per_shuffle.append(np.nan)
                    continue
                sd = rates[:, ok].std(axis=0, ddof=ddof)
                per_shuffle.append(float(np.mean(sd / mean[ok])))
            arr = np.asarray(per_shuffle)
            cv = float(np.nanmean(arr)) if np.isfinite(arr).any() else float("nan")
            low, high = _chi2_interval(cv, m, confidence)
            rows.append(
                {
                    "cluster_size": int(k),
                    "window_s": float(w),
                    "cv": cv,
                    "cv_ci_low": low,
                    "cv_ci_high": high,
                    "cv_unbiased": cv / float(c4(m)) if ddof == 1 else float("nan"),
                    "cv_shuffle_sd": float(np.nanstd(arr, ddof=1)) if np.isfinite(arr).sum() > 1 else float("nan"),
                    "n_clusters": m,
                    "n_windows": n_win,
                    "mean_rate_hz": float(counts.mean() / w),
                    "bits": float(equivalent_bits(cv, bits_method)) if np.isfinite(cv) else float("nan"),
                    "bits_method": bits_method,
                    "cv_kind": "across clusters",
                    "ddof": ddof,
                }
            )
    return pd.DataFrame(rows)


def _weighted_slope(cells: pd.DataFrame) -> float:
    x, y = np.log(cells["cluster_size"].to_numpy(float)), np.log(cells["cv_unbiased"].to_numpy(float))
    weight = 2.0 * (cells["n_clusters"].to_numpy(float) - 1)
    return float(np.polyfit(x, y, 1, w=np.sqrt(weight))[0])


def cv_slope(
    spike_trains: Sequence[ArrayLike],
    cluster_sizes: Sequence[int],
    window: float,
    *,
    span: tuple[float, float],
    n_shuffles: int = 10,
    n_boot: int = 200,
    confidence: float = 0.95,
    rng: np.random.Generator | int | None = 0,
) -> dict[str, float]:
    r"""Log-log slope of the cluster-rate CV against cluster size at one window, with a bootstrap interval.

    Fits :math:`\ln \mathrm{CV}_u = a + b \ln k` by weighted least squares, with
    :math:`\mathrm{CV}_u` the bias-corrected ``cv_unbiased`` of :func:`cluster_rate_cv` and weights
    :math:`2(m - 1)`, the inverse variance of the log of a standard deviation of :math:`m` normal
    values (a cell of 2 clusters counts 1/31 of one of 32). Independent neurons give
    :math:`b = -1/2`. The interval is the percentile bootstrap over neurons (``n_boot``
    resamples of the population, each re-partitioned): it carries the correlation between cells
    that share neurons, which a regression's own standard error ignores.

    Parameters
    ----------
    spike_trains : sequence of array_like
        One array of spike times (s) per neuron.
    cluster_sizes : sequence of int
        Three or more cluster sizes.
    window : float
        The window (s).
    span : tuple of float
        ``(t_start, t_stop)``, the recording analysed (s).
    n_shuffles : int, default 10
        Random partitions per table.
    n_boot : int, default 200
        Bootstrap resamples of the population.
    confidence : float, default 0.95
        Level of the interval.
    rng : numpy.random.Generator or int or None, default 0
        Seeds partitions and resamples.

    Returns
    -------
    dict
        ``slope``, ``ci_low``, ``ci_high``, ``window_s`` and ``points`` (cluster sizes fitted).

    Raises
    ------
    ValueError
        With fewer than three cluster sizes, or a design that does not fit the population.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> rates = rng.normal(50, 9, 32)
    >>> trains = [np.arange(rng.uniform(0, 1 / r), 1.0, 1 / r) for r in rates]
    >>> fit = cv_slope(trains, [1, 2, 4, 8], 1.0, span=(0.0, 1.0), n_boot=50)
    >>> fit["ci_low"] < -0.5 < fit["ci_high"]
    True
    """
    sizes = [k for k in cluster_sizes]
    if len(sizes) < 3:
        raise ValueError(f"cluster_sizes: got {sizes}; accepted: three or more sizes for a slope")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    kwargs = {"span": span, "n_shuffles": n_shuffles}
    point = _weighted_slope(cluster_rate_cv(spike_trains, sizes, [window], rng=gen, **kwargs))  # type: ignore[arg-type]
    n = len(spike_trains)
    boots = []
    for _ in range(n_boot):
        pick = gen.integers(0, n, n)
        table = cluster_rate_cv([spike_trains[i] for i in pick], sizes, [window], rng=gen, **kwargs)  # type: ignore[arg-type]
        if np.all(np.isfinite(table["cv_unbiased"])) and np.all(table["cv_unbiased"] > 0):
            boots.append(_weighted_slope(table))
    a = (1 - confidence) / 2
    low, high = np.quantile(boots, [a, 1 - a]) if boots else (np.nan, np.nan)
    return {
        "slope": point,
        "ci_low": float(low),
        "ci_high": float(high),
        "window_s": float(window),
        "points": float(len(sizes)),
    }
