"""Input spike trains and their SPICE form (a piecewise-linear voltage source)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

from ..params.units import spice_number

__all__ = ["SpikeKind", "pwl_source", "spike_times"]

SpikeKind = Literal["regular", "poisson", "times"]

#: Rise and fall time of input pulses (s).
EDGE = 1e-6


def spike_times(
    kind: SpikeKind,
    *,
    rate: float,
    start: float,
    count: int,
    tstop: float,
    seed: int = 1,
    times: tuple[float, ...] = (),
) -> NDArray[np.float64]:
    """Spike onset times (s) before ``tstop``.

    ``regular``: ``start + k / rate``; ``poisson``: exponential intervals of mean ``1/rate``
    from ``start``, drawn from ``numpy.random.default_rng(seed)`` (same seed, same train);
    ``times``: the given times. ``count > 0`` keeps at most ``count`` spikes.
    """
    limit = count if count > 0 else None
    if kind == "regular":
        n = int(np.floor((tstop - start) * rate)) + 1 if tstop > start else 0
        # rounded to 1 ps so that k/rate lands on the grid users expect (0.01 + 18/200 == 0.1)
        out = np.round(start + np.arange(n if limit is None else min(n, limit)) / rate, 12)
    elif kind == "poisson":
        rng = np.random.default_rng(seed)
        expected = max(1, int((tstop - start) * rate * 1.5) + 20)
        out = start + np.cumsum(rng.exponential(1.0 / rate, size=expected))
        while out.size and out[-1] < tstop:  # rare: extend with the same generator
            out = np.concatenate([out, out[-1] + np.cumsum(rng.exponential(1.0 / rate, size=expected))])
        out = out[:limit]
    else:
        out = np.asarray(sorted(times), dtype=np.float64)[:limit]
    return out[(out >= 0) & (out < tstop)].astype(np.float64)


def pwl_source(name: str, node: str, onsets: NDArray[np.float64], width: float, high: float) -> str:
    """A SPICE voltage source ``name`` from ``node`` to ground pulsing to ``high`` for ``width`` at each onset.

    Pulses closer than their width merge into one. Lines are continued with ``+`` so that
    long trains stay within every SPICE reader's line length.
    """
    points: list[tuple[float, float]] = [(0.0, 0.0)]
    for t0 in onsets:
        rise, fall = float(t0), float(t0) + EDGE + width
        if len(points) > 1 and rise <= points[-1][0] + EDGE:  # overlaps the previous pulse: extend it
            points[-2:] = [(max(fall, points[-2][0]), high), (max(fall, points[-2][0]) + EDGE, 0.0)]
            continue
        points += [(rise, 0.0)] if rise > 0 else []
        points += [(rise + EDGE, high), (fall, high), (fall + EDGE, 0.0)]
    pairs = [f"{spice_number(t)} {spice_number(v)}" for t, v in points]
    lines = [f"{name} {node} 0 PWL("]
    lines += ["+ " + " ".join(pairs[i : i + 6]) for i in range(0, len(pairs), 6)]
    lines.append("+ )")
    return "\n".join(lines)
