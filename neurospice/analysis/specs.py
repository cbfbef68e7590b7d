"""Specs and yield: a metric held against its limits, over one run or a Monte Carlo population.

A :class:`Spec` is a metric with a lower and/or an upper limit. :func:`spec_yield` judges a population of
samples against it:

- the yield is the fraction of samples that meet it (a NaN sample, one that failed or whose metric has no
  value, does not);
- its interval is Clopper-Pearson's exact binomial interval (``scipy.stats.binomtest(...).proportion_ci``,
  method ``exact``): it covers the true yield at least at its nominal rate for every n and yield, at the cost
  of being wider than Wilson's near 0 and 1 (Clopper & Pearson, Biometrika 26(4), 1934);
- Cpk is ``min(USL - mean, mean - LSL) / (3 sd)`` over the finite samples (one-sided with one limit; NaN for
  fewer than 2 samples or no spread): the process-capability index of the spread against the limits;
- the worst sample is the one with the smallest margin to the nearer limit (a NaN sample first).

:func:`spec_table` does the same per group of a table (a sweep's points, a study's conditions) and marks the
worst case across them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["YIELD_INTERVAL", "Spec", "SpecYield", "spec_table", "spec_yield"]

#: the interval :func:`spec_yield` reports, named where it is printed
YIELD_INTERVAL = "Clopper-Pearson"


@dataclass(frozen=True)
class Spec:
    """A metric's limits (either may be open: -inf, inf), in the metric's SI unit."""

    metric: str
    low: float = -math.inf
    high: float = math.inf

    def __post_init__(self) -> None:
        if math.isnan(self.low) or math.isnan(self.high) or not self.low <= self.high:
            raise ValueError(f"spec {self.metric}: the limits must be numbers with low <= high")
        if math.isinf(self.low) and math.isinf(self.high):
            raise ValueError(f"spec {self.metric}: at least one limit is needed")

    def margin(self, values: ArrayLike) -> np.ndarray:
        """Each value's distance inside the nearer limit (negative: outside; NaN stays NaN)."""
        v = np.asarray(values, dtype=float)
        return np.asarray(np.minimum(v - self.low, self.high - v), dtype=float)

    def passes(self, values: ArrayLike) -> np.ndarray:
        """Whether each value meets the spec (NaN does not)."""
        return np.asarray(np.nan_to_num(self.margin(values), nan=-1.0) >= 0)


@dataclass(frozen=True)
class SpecYield:
    """How a population of samples meets one spec."""

    spec: Spec
    n: int
    passed: int
    yield_: float
    ci_low: float
    ci_high: float
    cpk: float
    #: index (into the values given) and value of the sample nearest to, or furthest beyond, a limit
    worst_index: int
    worst_value: float
    confidence: float = 0.95

    @property
    def met(self) -> bool:
        """Whether every sample meets the spec."""
        return self.passed == self.n


def spec_yield(values: ArrayLike, spec: Spec, confidence: float = 0.95) -> SpecYield:
    """The yield of ``values`` against ``spec`` with its Clopper-Pearson interval, Cpk and the worst sample."""
    from scipy.stats import binomtest

    v = np.asarray(values, dtype=float).ravel()
    if v.size == 0:
        raise ValueError("spec_yield: no samples")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence: got {confidence!r}; accepted: a number in (0, 1)")
    passed = int(spec.passes(v).sum())
    interval = binomtest(passed, v.size).proportion_ci(confidence_level=confidence, method="exact")
    margin = np.nan_to_num(spec.margin(v), nan=-math.inf)
    worst = int(np.argmin(margin))
    return SpecYield(
        spec,
        int(v.size),
        passed,
        passed / v.size,
        float(interval.low),
        float(interval.high),
        _cpk(v, spec),
        worst,
        float(v[worst]),
        confidence,
    )


def _cpk(v: np.ndarray, spec: Spec) -> float:
    finite = v[np.isfinite(v)]
    if finite.size < 2:
        return math.nan
    mean, sd = float(np.mean(finite)), float(np.std(finite, ddof=1))
    if sd == 0:
        return math.nan
    sides = [(spec.high - mean) / (3 * sd)] if math.isfinite(spec.high) else []
    sides += [(mean - spec.low) / (3 * sd)] if math.isfinite(spec.low) else []
    return min(sides)


def spec_table(
    table: pd.DataFrame, specs: Sequence[Spec], by: Sequence[str] = (), confidence: float = 0.95
) -> pd.DataFrame:
    """One row per spec and group of ``table`` (a pandas frame with a column per metric; ``by`` names the
    grouping columns, none: the whole table): n, passed, yield, its interval, Cpk, the worst sample's row label
    and value; the column ``worst_case`` marks, per spec, the group with the lowest yield (then the smallest
    margin)."""
    import pandas as pd

    groups = table.groupby(list(by), sort=False) if by else [((), table)]
    rows = []
    for key, part in groups:
        labels = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        for spec in specs:
            found = spec_yield(part[spec.metric].to_numpy(dtype=float), spec, confidence)
            margin = float(spec.margin([found.worst_value])[0])
            rows.append(
                {
                    **labels,
                    "metric": spec.metric,
                    "low": spec.low,
                    "high": spec.high,
                    "n": found.n,
                    "passed": found.passed,
                    "yield": found.yield_,
                    "ci_low": found.ci_low,
                    "ci_high": found.ci_high,
                    "cpk": found.cpk,
                    "worst_row": part.index[found.worst_index],
                    "worst_value": found.worst_value,
                    "worst_margin": margin if math.isfinite(margin) else -math.inf,
                }
            )
    out = pd.DataFrame(rows)
    out["worst_case"] = False
    for _, part in out.groupby("metric", sort=False):
        worst = part.sort_values(["yield", "worst_margin"]).index[0]
        out.loc[worst, "worst_case"] = True
    return out
