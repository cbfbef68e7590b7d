r"""Spike trains from sampled waveforms, and their statistics (pure numpy).

Policy for too few spikes: a statistic that needs more spikes than there are (latency with no
spike, ISI rate and ISI CV with fewer than two or three spikes) returns ``NaN`` and emits an
:class:`InsufficientSpikesWarning` whose message gives the reason; it never returns a silent 0.
A firing rate counted over a window is a count, so zero spikes give 0 Hz.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "InsufficientSpikesWarning",
    "detect_spikes",
    "firing_latency",
    "firing_rate",
    "instantaneous_rate",
    "isi",
    "isi_cv",
    "isi_rate",
    "swing_events",
    "unmatched_events",
]

Array = NDArray[np.float64]


class InsufficientSpikesWarning(UserWarning):
    """A spike statistic was NaN because the train had too few spikes."""


def _nan(reason: str) -> float:
    warnings.warn(reason, InsufficientSpikesWarning, stacklevel=3)
    return float("nan")


def detect_spikes(
    t: ArrayLike, v: ArrayLike, threshold: float, *, hysteresis: float | None = None, refractory: float = 0.0
) -> Array:
    r"""Spike times: upward crossings of ``threshold``, with hysteresis and a refractory guard.

    A crossing between samples :math:`(t_k, v_k)` and :math:`(t_{k+1}, v_{k+1})` is placed by
    linear interpolation, :math:`t^* = t_k + (\theta - v_k)(t_{k+1} - t_k)/(v_{k+1} - v_k)`, which
    holds for any (non-uniform) sampling, such as ngspice's own time steps.

    Parameters
    ----------
    t : array_like
        Sample times (s), increasing; ngspice's steps need not be uniform.
    v : array_like
        The waveform at those times (V), same length as ``t``.
    threshold : float
        Crossing level (V).
    hysteresis : float, optional
        After a spike the detector re-arms only once ``v`` has fallen below ``threshold - hysteresis``;
        default a tenth of the waveform's range.
    refractory : float, default 0
        A crossing less than this many seconds after the previous spike is ignored.

    Returns
    -------
    numpy.ndarray
        Spike times (s), increasing; empty when nothing crosses.

    Raises
    ------
    ValueError
        If ``t`` and ``v`` are not 1-D arrays of the same length.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(0.0, 0.09, 9001)
    >>> v = 1.5 * (1 + np.sin(2 * np.pi * 50 * t))
    >>> detect_spikes(t, v, threshold=1.5).round(4)
    array([0.02, 0.04, 0.06, 0.08])
    """
    t, v = np.asarray(t, dtype=np.float64), np.asarray(v, dtype=np.float64)
    if t.shape != v.shape or t.ndim != 1:
        raise ValueError("t and v must be 1-D arrays of the same length")
    if t.size < 2:
        return np.empty(0)
    if hysteresis is None:
        hysteresis = 0.1 * float(np.ptp(v))
    above = v >= threshold
    rearm = v < threshold - hysteresis
    up = np.flatnonzero(~above[:-1] & above[1:])
    # a rising crossing counts if the signal went below the re-arm level since the last counted one
    last_low = np.maximum.accumulate(np.where(rearm, np.arange(v.size), -1))
    times: list[float] = []
    armed_since = -1
    for k in up:
        if times and last_low[k] <= armed_since:
            continue
        frac = (threshold - v[k]) / (v[k + 1] - v[k])
        tc = float(t[k] + frac * (t[k + 1] - t[k]))
        if times and tc - times[-1] < refractory:
            continue
        times.append(tc)
        armed_since = int(k)
    return np.asarray(times, dtype=np.float64)


def _train(spikes: ArrayLike) -> Array:
    s = np.asarray(spikes, dtype=np.float64)
    if s.ndim != 1 or np.any(np.diff(s) < 0):
        raise ValueError("spikes must be a 1-D array of spike times in increasing order")
    return s


def isi(spikes: ArrayLike) -> Array:
    """Inter-spike intervals :math:`t_{i+1} - t_i` (s).

    Parameters
    ----------
    spikes : array_like
        Spike times (s), increasing.

    Returns
    -------
    numpy.ndarray
        One interval fewer than there are spikes.

    Raises
    ------
    ValueError
        If ``spikes`` is not a 1-D array of increasing times.

    Examples
    --------
    >>> isi([0.01, 0.03, 0.06])
    array([0.02, 0.03])
    """
    return np.diff(_train(spikes))


def firing_rate(spikes: ArrayLike, t_start: float, t_stop: float) -> float:
    """Spike count in :math:`[t_{start}, t_{stop})` divided by the window (Hz).

    A count over a window is a count: zero spikes give 0 Hz (not NaN).

    Parameters
    ----------
    spikes : array_like
        Spike times (s).
    t_start, t_stop : float
        The window (s); spikes at ``t_start`` count, at ``t_stop`` not.

    Returns
    -------
    float
        The rate in Hz.

    Raises
    ------
    ValueError
        If ``t_stop`` is not after ``t_start``.

    Examples
    --------
    >>> firing_rate([0.01, 0.03, 0.05, 0.07], 0.0, 0.1)
    40.0
    """
    if not t_stop > t_start:
        raise ValueError(f"t_stop ({t_stop}) must be after t_start ({t_start})")
    s = np.asarray(spikes, dtype=np.float64)
    return float(np.count_nonzero((s >= t_start) & (s < t_stop)) / (t_stop - t_start))


def isi_rate(spikes: ArrayLike) -> float:
    r"""Steady rate :math:`1/\overline{\mathrm{ISI}}` (Hz), independent of where a window starts.

    Parameters
    ----------
    spikes : array_like
        Spike times (s), increasing.

    Returns
    -------
    float
        The inverse mean interval (Hz); NaN with an :class:`InsufficientSpikesWarning` below two spikes.

    Raises
    ------
    ValueError
        If ``spikes`` is not a 1-D array of increasing times.

    Examples
    --------
    >>> isi_rate([0.01, 0.03, 0.05, 0.07])
    50.0
    """
    intervals = isi(spikes)
    if intervals.size < 1:
        return _nan("isi_rate needs at least 2 spikes")
    return float(1.0 / intervals.mean())


def instantaneous_rate(spikes: ArrayLike) -> tuple[Array, Array]:
    r"""Instantaneous rate :math:`1/\mathrm{ISI}_i`, placed at the second spike of each interval.

    Parameters
    ----------
    spikes : array_like
        Spike times (s), increasing.

    Returns
    -------
    times : numpy.ndarray
        The second spike of each interval (s).
    rates : numpy.ndarray
        The inverse of each interval (Hz).

    Raises
    ------
    ValueError
        If ``spikes`` is not a 1-D array of increasing times.

    Examples
    --------
    >>> instantaneous_rate([0.0, 0.01, 0.03])
    (array([0.01, 0.03]), array([100.,  50.]))
    """
    s = _train(spikes)
    return s[1:], 1.0 / np.diff(s)


def isi_cv(spikes: ArrayLike, ddof: int = 1) -> float:
    r"""Coefficient of variation of the inter-spike intervals, :math:`\sigma_{ISI}/\mu_{ISI}`.

    A regular train gives 0, a Poisson train 1.

    Parameters
    ----------
    spikes : array_like
        Spike times (s), increasing.
    ddof : int, default 1
        Passed to the standard deviation (1: the sample estimate).

    Returns
    -------
    float
        The CV (a fraction); NaN with an :class:`InsufficientSpikesWarning` when fewer than ``ddof + 1``
        intervals exist.

    Raises
    ------
    ValueError
        If ``spikes`` is not a 1-D array of increasing times.

    Examples
    --------
    >>> round(isi_cv([0.0, 0.01, 0.02, 0.03]), 12)
    0.0
    >>> round(isi_cv([0.0, 0.01, 0.03, 0.04]), 4)
    0.433
    """
    intervals = isi(spikes)
    if intervals.size < ddof + 1:
        return _nan(f"isi_cv needs at least {ddof + 2} spikes (ddof={ddof})")
    return float(np.std(intervals, ddof=ddof) / intervals.mean())


def firing_latency(spikes: ArrayLike, onset: float) -> float:
    """Time from ``onset`` to the first spike at or after it (s).

    Parameters
    ----------
    spikes : array_like
        Spike times (s), increasing.
    onset : float
        The stimulus onset (s).

    Returns
    -------
    float
        The latency (s); NaN with an :class:`InsufficientSpikesWarning` when no spike follows the onset.

    Raises
    ------
    ValueError
        If ``spikes`` is not a 1-D array of increasing times.

    Examples
    --------
    >>> round(firing_latency([0.002, 0.012, 0.022], onset=0.005), 6)
    0.007
    """
    s = _train(spikes)
    after = s[s >= onset]
    if after.size == 0:
        return _nan("no spike after the stimulus onset: latency undefined")
    return float(after[0] - onset)


def swing_events(t: ArrayLike, v: ArrayLike, *, fraction: float = 0.3, min_swing: float = 0.0) -> Array:
    """Upward crossings of ``low + fraction * (high - low)`` of the signal's own swing, hysteresis a tenth of
    it: a spike that peaks below a fixed level (weak feedback, a low supply) is still found. A signal
    that swings less than ``min_swing`` has no events."""
    tt, vv = np.asarray(t, dtype=np.float64), np.asarray(v, dtype=np.float64)
    if vv.size < 2:
        return np.empty(0)
    low, high = float(np.min(vv)), float(np.max(vv))
    if high - low <= max(min_swing, 0.0) or high == low:
        return np.empty(0)
    return detect_spikes(tt, vv, low + fraction * (high - low), hysteresis=0.1 * (high - low))


def unmatched_events(spikes: ArrayLike, resets: ArrayLike, t_end: float, window: float) -> tuple[int, int]:
    """Spikes without a reset within ``window`` after them, and resets without a spike within ``window`` before
    them; a spike closer than ``window`` to ``t_end`` may still be waiting for its reset and is not counted."""
    s, r = np.asarray(spikes, dtype=np.float64), np.asarray(resets, dtype=np.float64)
    lone_spikes = sum(1 for x in s if x + window < t_end and not np.any((r >= x) & (r <= x + window)))
    lone_resets = sum(1 for x in r if not np.any((s <= x) & (s >= x - window)))
    return lone_spikes, lone_resets
