r"""The precision budget: bigger devices or more of them?

Two ways to reach a target precision of a metric (bits :math:`b = \log_2 1/\mathrm{CV}^2`, so
:math:`\mathrm{CV}_t = 2^{-b/2}`):

(a) scale every analog transistor's area by :math:`s` (W and L by :math:`\sqrt s`): Pelgrom
    predicts :math:`\mathrm{CV}(s) = \mathrm{CV}(1)\,s^{-1/2}`; the exponent is *fitted* to the
    measured points;
(b) average :math:`k` unscaled circuits (a cluster): for independent mismatch
    :math:`\mathrm{CV}_k = \mathrm{CV}_1\,k^{-1/2}`, again fitted to measured cluster CVs.

Each strategy's area and power follow from measured points: (a) area and power measured at each
scale, interpolated linearly in :math:`s` (capacitors do not scale, transistors do); (b)
:math:`k` times one circuit's. Everything here is pure numpy on measured tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .population import c4

__all__ = ["BudgetFit", "budget_table", "cluster_mean_cv", "fit_power_law"]


def cluster_mean_cv(values: ArrayLike, sizes: Sequence[int], *, n_shuffles: int = 20, rng: int = 0) -> pd.DataFrame:
    """CV across clusters of the cluster mean of ``values`` (one per circuit), for each cluster size.

    The circuits are shuffled into ``len(values) // k`` disjoint clusters of ``k`` (``n_shuffles``
    random partitions, the CVs averaged), as in Zendrikov et al. 2023. ``cv_unbiased`` divides by
    :math:`c_4` of the number of clusters (two clusters give 0.8 sigma on average). Sizes that
    leave fewer than two clusters are skipped.
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    gen = np.random.default_rng(rng)
    rows = []
    for k in sorted({int(k) for k in sizes}):
        n = x.size // k
        if k < 1 or n < 2:
            continue
        cvs = []
        for _ in range(n_shuffles if k > 1 else 1):
            means = gen.permutation(x)[: n * k].reshape(n, k).mean(axis=1)
            cvs.append(np.std(means, ddof=1) / abs(np.mean(means)))
        cv = float(np.mean(cvs))
        rows.append({"k": k, "clusters": n, "cv": cv, "cv_unbiased": cv / float(c4(n)), "shuffles": len(cvs)})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class BudgetFit:
    """:math:`y = a\\,x^p` fitted in log-log (least squares) with the exponent's standard error."""

    a: float
    p: float
    p_se: float

    def __call__(self, x: ArrayLike) -> np.ndarray:
        return self.a * np.asarray(x, dtype=np.float64) ** self.p

    def solve(self, y: float) -> float:
        """The x where the fit reaches y."""
        return float((y / self.a) ** (1.0 / self.p))


def fit_power_law(x: ArrayLike, y: ArrayLike) -> BudgetFit:
    """Fit :math:`y = a x^p` to positive finite points (at least two)."""
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    keep = np.isfinite(xs) & np.isfinite(ys) & (xs > 0) & (ys > 0)
    lx, ly = np.log(xs[keep]), np.log(ys[keep])
    if lx.size < 2:
        raise ValueError("a power-law fit needs at least two positive points")
    p, b = np.polyfit(lx, ly, 1)
    se = float("nan")
    if lx.size > 2:
        resid = ly - (p * lx + b)
        se = float(np.sqrt(np.sum(resid**2) / (lx.size - 2) / np.sum((lx - lx.mean()) ** 2)))
    return BudgetFit(float(math.exp(b)), float(p), se)


def budget_table(
    scaling: pd.DataFrame, clusters: pd.DataFrame, bits: Sequence[float], max_scale: float = math.inf
) -> pd.DataFrame:
    """For each target in ``bits``: the scale and cluster size it needs and the area and power of each way.

    ``scaling`` has one row per scale: ``scale``, ``cv``, ``area_um2``, ``power_w`` (means over the
    samples at that scale); ``clusters`` has ``k`` and ``cv_unbiased`` of unscaled circuits.
    ``max_scale`` is the largest scale the device-size ranges allow (beyond it: not reachable).
    Columns: bits, target_cv, scale, scale_area_um2, scale_power_w, k, cluster_area_um2,
    cluster_power_w, cheaper_area, cheaper_power, reason.
    """
    cv_fit = fit_power_law(scaling["scale"], scaling["cv"])
    k_fit = fit_power_law(clusters["k"], clusters["cv_unbiased"])
    s, area, power = (scaling[c].to_numpy(dtype=float) for c in ("scale", "area_um2", "power_w"))
    area_line, power_line = np.polyfit(s, area, 1), np.polyfit(s, power, 1)  # linear in s (capacitors fixed)
    unit_area, unit_power = float(np.polyval(area_line, 1.0)), float(np.polyval(power_line, 1.0))
    rows = []
    for b in bits:
        target = 2.0 ** (-b / 2.0)
        scale = max(1.0, cv_fit.solve(target))
        k = max(1, math.ceil(k_fit.solve(target) - 1e-9))
        reachable = scale <= max_scale
        sa = float(np.polyval(area_line, scale)) if reachable else float("nan")
        sp = float(np.polyval(power_line, scale)) if reachable else float("nan")
        ca, cp = k * unit_area, k * unit_power
        rows.append(
            {
                "bits": b,
                "target_cv": target,
                "scale": scale,
                "scale_area_um2": sa,
                "scale_power_w": sp,
                "k": k,
                "cluster_area_um2": ca,
                "cluster_power_w": cp,
                "cheaper_area": _cheaper(sa, ca),
                "cheaper_power": _cheaper(sp, cp),
            }
        )
        fixed = float(np.polyval(area_line, 0.0)) / unit_area if unit_area else float("nan")
        rows[-1]["reason"] = _reason(rows[-1], reachable, fixed)
    out = pd.DataFrame(rows)
    out.attrs.update(
        cv_exponent_scale=cv_fit.p, cv_exponent_scale_se=cv_fit.p_se, cv_exponent_k=k_fit.p, cv_exponent_k_se=k_fit.p_se
    )
    return out


def _cheaper(scaled: float, cluster: float) -> str:
    if not np.isfinite(scaled):
        return "averaging"
    if math.isclose(scaled, cluster, rel_tol=1e-9):
        return "either"
    return "scaling" if scaled < cluster else "averaging"


def _reason(row: dict[str, float | str], reachable: bool, fixed: float) -> str:
    """Why the cheaper way to ``row``'s precision is cheaper (``fixed``: the share of the area that does not scale)."""
    scale, k = float(row["scale"]), int(row["k"])
    sa, sp = float(row["scale_area_um2"]), float(row["scale_power_w"])
    ca, cp = float(row["cluster_area_um2"]), float(row["cluster_power_w"])
    if not reachable:
        return f"scaling would need {scale:.3g}x the device area, beyond the parameters' ranges"
    if scale <= 1.0 and k == 1:
        return "one unscaled circuit already reaches this precision"
    return (
        f"scaling multiplies only the transistors' area ({scale:.3g}x; {100 * fixed:.0f} % of one circuit's area "
        f"does not scale) and keeps the bias currents; averaging needs {k} whole circuits, "
        f"each with its capacitors and bias currents (area {ca / sa:.3g}x, power {cp / sp:.3g}x of scaling's)"
    )
