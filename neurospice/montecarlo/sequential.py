"""Sequential stopping and sampling designs: as many SPICE samples as the answer needs, and better-spread ones.

Stopping (``target_ci``). A run with targets such as ``isi_rate_hz:cv=5%`` (the 95 % interval of
the rate's CV no wider than +-5 % of the CV) runs a pilot of ``pilot`` samples, then batches of
``batch``, and after each checkpoint estimates every target's statistic from the samples so far
(:mod:`neurospice.analysis.multifidelity`: plain Monte Carlo, the offsets regression or a cheap
model given by the caller); it stops when every target's half-width is met, or at the cap
(``samples``). Checkpoints are fixed (pilot, pilot + batch, ...) and each decision reads only
the samples below its checkpoint, so a stopped run is exactly the prefix of the unstopped one
(the same per-sample seeds), an interrupted run resumes to the same decision, and Dask workers
change nothing. In a sweep the rule runs per grid point. The rule, each checkpoint's estimates
and the reason for stopping are stored in the manifest (``stopping_rule``, ``stopping``).

The rule is not free of the optional-stopping effect: an interval read at the checkpoint that
first meets the target is a little more likely to be one of the narrow ones;
``benchmarks/multifidelity.py`` measures the coverage of the stopped estimate.

Designs (``sampling``, pelgrom mode). ``random``: each sample's offsets from
``default_rng(seed_k)`` (as always). ``lhs``: a Latin hypercube over all devices, ``sobol``: a
scrambled Sobol' sequence (scipy.stats.qmc), both mapped to N(0, 1) by the normal quantile and
scaled by each device's sigma; row k of the design is sample k's offsets. Each design is drawn
from the master seed (``SeedSequence(seed, spawn_key=(DESIGN_KEY,))``), so a run is reproducible
and a prefix of a Sobol' run is still a Sobol' sequence. pdk mode draws inside ngspice and is
always random. The intervals stay those of independent samples: conservative for a Latin
hypercube (Stein, Technometrics 29, 1987: its variance is at most n/(n - 1) of independent
sampling's), so the designs narrow the true error, not the printed interval; the benchmark
measures the true spread over repeated seeds.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..analysis.multifidelity import FOLDS, MFEstimate, Statistic, plain_estimate, regression_estimate
from ..params import ParameterError
from ..params.units import format_si, parse_si

__all__ = [
    "DESIGN_KEY",
    "ESTIMATORS",
    "SAMPLINGS",
    "Estimator",
    "Sampling",
    "SequentialPlan",
    "Stopping",
    "Target",
    "check_estimator",
    "check_sweep_estimator",
    "design_normals",
    "offset_estimator",
    "ok_rows",
    "parse_target",
]

Sampling = Literal["random", "lhs", "sobol"]
SAMPLINGS: tuple[Sampling, ...] = ("random", "lhs", "sobol")
ESTIMATORS = ("plain", "regression", "closed-form", "equation")
#: spawn key of the design's seed (far from the per-sample children 0..samples-1)
DESIGN_KEY = 2**32 - 7
#: the fewest samples a regression estimate is read from (its coverage below is not measured)
MIN_REGRESSION = 24

#: an estimator of one target: the samples so far (one group's rows) -> the estimate
Estimator = Callable[[pd.DataFrame, "Target"], MFEstimate]


@dataclass(frozen=True)
class Target:
    """The interval a run must reach: ``metric``'s ``statistic`` to +-``half_width`` (relative: a fraction of
    the estimate; absolute: in the statistic's unit, a fraction for ``cv``)."""

    metric: str
    statistic: Statistic
    half_width: float
    relative: bool

    def text(self, unit: str = "") -> str:
        if self.relative:
            return f"{self.metric}:{self.statistic}={100 * self.half_width:g}%"
        if self.statistic == "cv":
            return f"{self.metric}:cv={100 * self.half_width:g}pt"
        return f"{self.metric}:{self.statistic}={format_si(self.half_width, unit).replace(' ', '')}"

    def met(self, estimate: MFEstimate) -> bool:
        width = estimate.relative_half_width if self.relative else estimate.half_width
        return math.isfinite(width) and width <= self.half_width


_TARGET = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*:\s*(mean|sd|cv)\s*=\s*(\S+)\s*$")


def parse_target(text: str, metrics: Mapping[str, str] | None = None) -> Target:
    """``METRIC:STAT=WIDTH``: STAT mean, sd or cv; WIDTH ``5%`` (relative to the estimate), ``0.5pt`` (a CV's
    absolute percentage points) or a number with SI prefix/unit in the metric's unit (``10us``); ``metrics``
    maps the circuit's metric names to their units."""
    accepted = "METRIC:STAT=WIDTH with STAT mean, sd or cv and WIDTH 5% (relative), 0.5pt (CV points) or 10us"
    match = _TARGET.match(text)
    if not match:
        raise ParameterError("target-ci", f"got {text!r}; accepted: {accepted}")
    metric, statistic, width = match.groups()
    if metrics is not None and metric not in metrics:
        raise ParameterError("target-ci", f"{metric!r} is not a metric of this circuit; accepted: {', '.join(metrics)}")
    relative = width.endswith("%")
    points = width.endswith("pt")
    try:
        if relative:
            value = float(width[:-1]) / 100
        elif points:
            if statistic != "cv":
                raise ValueError
            value = float(width[:-2]) / 100
        else:
            value = parse_si(width, (metrics or {}).get(metric, ""))
    except ValueError:
        raise ParameterError("target-ci", f"got width {width!r} in {text!r}; accepted: {accepted}") from None
    if not (math.isfinite(value) and value > 0):
        raise ParameterError("target-ci", f"got width {width!r} in {text!r}; accepted: a width > 0")
    return Target(metric, statistic, value, relative)  # type: ignore[arg-type]


def check_estimator(name: str, mismatch: str) -> None:
    """Refuse an estimator that is not one of :data:`ESTIMATORS`, or a cheap model on a run without offsets."""
    if name not in ESTIMATORS:
        raise ParameterError("estimator", f"got {name!r}; accepted: {', '.join(ESTIMATORS)}")
    if name != "plain" and mismatch != "pelgrom":
        raise ParameterError(
            "estimator",
            f"got {name!r} in {mismatch} mode; accepted: plain (the {name} control variate reads each sample's "
            "stored offsets: use --mismatch pelgrom)",
        )


def check_sweep_estimator(name: str) -> None:
    """Refuse a cheap model built for one set of values (``closed-form``, ``equation``) on a sweep."""
    if name in ("closed-form", "equation"):
        raise ParameterError(
            "estimator",
            f"got {name!r} for a sweep; accepted: plain or regression (a cheap model is built for one set of "
            "values, and a sweep changes them)",
        )


@dataclass(frozen=True)
class Stopping:
    """A sequential rule: ``targets``, the pilot and batch sizes, the estimator and the interval's level."""

    targets: tuple[Target, ...]
    pilot: int = 32
    batch: int = 16
    estimator: str = "plain"
    confidence: float = 0.95
    #: the estimators of the targets, one each (default: built from ``estimator``; ``equation`` needs them)
    models: tuple[Estimator, ...] | None = field(default=None, compare=False, repr=False)

    def check(self, cap: int, mismatch: str) -> None:
        """Refuse a rule that cannot run (before anything runs)."""
        if not self.targets:
            raise ParameterError("target-ci", "no target given; accepted: METRIC:STAT=WIDTH (repeatable)")
        for name, value in (("pilot", self.pilot), ("batch", self.batch)):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000_000:
                raise ParameterError(name, f"got {value!r}; accepted: a whole number in [1, 10000000]")
        if self.pilot < 3:
            raise ParameterError("pilot", f"got {self.pilot}; accepted: at least 3 samples (an interval needs them)")
        check_estimator(self.estimator, mismatch)
        if self.estimator == "regression" and self.pilot < MIN_REGRESSION:
            raise ParameterError(
                "pilot", f"got {self.pilot} with the regression estimator; accepted: at least {MIN_REGRESSION}"
            )
        if not 0 < self.confidence < 1:
            raise ParameterError("confidence", f"got {self.confidence!r}; accepted: a level in (0, 1)")
        if self.pilot > cap:
            raise ParameterError("pilot", f"got {self.pilot}, more than the cap --samples {cap}; accepted: <= {cap}")

    def checkpoints(self, cap: int) -> list[int]:
        """The sample counts at which the rule is read: pilot, pilot + batch, ..., cap."""
        points = list(range(self.pilot, cap, self.batch))
        return [*points, cap] if not points or points[-1] != cap else points

    def record(self) -> dict[str, Any]:
        """The rule as the manifest stores it (what a resume must match)."""
        return {
            "targets": [t.text() for t in self.targets],
            "pilot": self.pilot,
            "batch": self.batch,
            "estimator": self.estimator,
            "confidence": self.confidence,
        }


def ok_rows(rows: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The successful samples of ``rows`` with ``columns`` (NaN where a column is missing: no sample has it yet)."""
    ok = rows[rows["status"] == "ok"] if "status" in rows else rows.iloc[:0]
    return ok.reindex(columns=list(columns))


def offset_estimator(sigmas: dict[str, float], confidence: float = 0.95, seed: int = 0) -> Estimator:
    """The offsets-regression control variate (:func:`~neurospice.analysis.multifidelity.regression_estimate`)
    over the stored ``dvt_`` columns, with each device's Pelgrom sigma (keyed by column)."""
    columns = list(sigmas)

    def estimate(rows: pd.DataFrame, target: Target) -> MFEstimate:
        ok = ok_rows(rows, [target.metric, *columns])
        y = ok[target.metric].to_numpy(dtype=float)
        X = ok[columns].to_numpy(dtype=float)
        est = regression_estimate(
            y, X, [sigmas[c] for c in columns], target.statistic, confidence=confidence, seed=seed
        )
        names = ", ".join(columns[i].removeprefix("dvt_") for i in est.terms)
        kind = est.model.split(" on ")[0] if est.model else "regression"
        return dataclasses.replace(est, model=f"{kind} on the offsets of {names} ({FOLDS}-fold cross-fitted)")

    return estimate


def plain_estimator(confidence: float = 0.95, seed: int = 0) -> Estimator:
    def estimate(rows: pd.DataFrame, target: Target) -> MFEstimate:
        y = ok_rows(rows, [target.metric])[target.metric].to_numpy(dtype=float)
        return plain_estimate(y, target.statistic, confidence=confidence, seed=seed)

    return estimate


@dataclass
class SequentialPlan:
    """The checkpoints of a stopped run over ``groups`` (sweep points; 1 for a Monte Carlo run) of ``per_group``
    tasks each (task i: group i // per_group, sample i % per_group), and what was decided at each."""

    rule: Stopping
    per_group: int
    groups: int
    #: per group, one estimator per target
    estimators: Sequence[Sequence[Estimator]]
    history: list[dict[str, Any]] = field(default_factory=list)
    reached: dict[int, int] = field(default_factory=dict)
    reasons: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._points = self.rule.checkpoints(self.per_group)
        self._level = 0
        self._open = list(range(self.groups))

    def first(self) -> list[int]:
        return self._tasks(self._open, 0, self._points[0])

    def _tasks(self, groups: Sequence[int], start: int, stop: int) -> list[int]:
        return [g * self.per_group + k for g in groups for k in range(start, stop)]

    def advance(self, table: pd.DataFrame) -> list[int]:
        """Read the rule at the current checkpoint on ``table`` (every stored row); the next tasks ([]: stop)."""
        n = self._points[self._level]
        still = []
        for g in self._open:
            rows = self._prefix(table, g, n)
            chosen = self.estimators[g]
            estimates = {t.text(): est(rows, t) for t, est in zip(self.rule.targets, chosen, strict=True)}
            met = all(t.met(e) for t, e in zip(self.rule.targets, estimates.values(), strict=True))
            self.history.append(
                {
                    "group": g,
                    "samples": n,
                    "met": met,
                    **{k: _brief(e) for k, e in estimates.items()},
                }
            )
            if met or n >= self.per_group:
                self.reached[g] = n
                self.reasons[g] = "target met" if met else "cap reached (--samples) before the target"
            else:
                still.append(g)
        self._open = still
        if not still:
            return []
        self._level += 1
        return self._tasks(still, n, self._points[self._level])

    def _prefix(self, table: pd.DataFrame, group: int, n: int) -> pd.DataFrame:
        if table.empty:
            return table
        index = table["sample"].to_numpy(dtype=np.int64)
        inside = (index // self.per_group == group) & (index % self.per_group < n)
        prefix: pd.DataFrame = table.loc[inside].sort_values("sample")  # the order parts were written in is not
        return prefix  # the run's: a bootstrap reads the samples in index order, so a resumed run decides alike

    def kept(self) -> list[list[int]]:
        """The task ranges the finished run holds, ``[[start, stop], ...]``."""
        return [[g * self.per_group, g * self.per_group + self.reached[g]] for g in sorted(self.reached)]

    def outcome(self) -> dict[str, Any]:
        """The manifest's ``stopping`` record: per group its samples and reason, the checkpoints read, the kept
        ranges."""
        return {
            "final": not self._open,
            "kept": self.kept(),
            "samples_run": int(sum(self.reached.values())),
            "per_group": [
                {"group": g, "samples": self.reached[g], "reason": self.reasons[g]} for g in sorted(self.reached)
            ],
            "checkpoints": self.history,
        }


def _brief(e: MFEstimate) -> dict[str, Any]:
    return {
        "value": e.value,
        "low": e.low,
        "high": e.high,
        "n_spice": e.n_spice,
        "rho": e.rho,
        "method": e.method,
        "model": e.model,
    }


def design_normals(sampling: Sampling, seed: int, samples: int, devices: int) -> np.ndarray:
    """The design's standard normal draws, ``samples`` rows x ``devices`` columns (``random``: none here; the
    worker draws each sample's own)."""
    from scipy.stats import norm, qmc

    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(DESIGN_KEY,)))
    if sampling == "lhs":
        u = qmc.LatinHypercube(d=devices, rng=rng).random(samples)
    elif sampling == "sobol":
        size = 1 << max(0, math.ceil(math.log2(samples)))  # the balanced 2^m block the prefix is taken from
        u = qmc.Sobol(d=devices, scramble=True, rng=rng).random(size)[:samples]
    else:
        raise ValueError(f"no design for sampling {sampling!r}")
    return np.asarray(norm.ppf(np.clip(u, 1e-12, 1 - 1e-12)), dtype=np.float64)


def check_sampling(sampling: str, mismatch: str, samples: int) -> None:
    """Refuse a design the mode cannot use (before anything runs)."""
    if sampling not in SAMPLINGS:
        raise ParameterError("sampling", f"got {sampling!r}; accepted: {', '.join(SAMPLINGS)}")
    if sampling != "random" and mismatch != "pelgrom":
        raise ParameterError(
            "sampling",
            f"got {sampling!r} in {mismatch} mode; accepted: random (pdk mode draws inside ngspice; "
            "designs need --mismatch pelgrom)",
        )
    if sampling != "random" and samples > 1_000_000:
        raise ParameterError("sampling", f"got {sampling!r} for {samples} samples; accepted: at most 1000000")
