"""Published figures to compare simulations with."""

from __future__ import annotations

from importlib.resources import files
from io import StringIO
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["compare_cluster_cv", "published_cluster_cv"]

_CLUSTER_CV = "zendrikov2023_cluster_cv.csv"


def published_cluster_cv() -> pd.DataFrame:
    """Cluster-rate CV of 256 DYNAP-SE neurons (Zendrikov, Solinas & Indiveri 2023), tidy.

    Columns ``cluster_size``, ``window_s``, ``cv`` (a fraction). 200 Hz regular input, about
    50 Hz output, CV across clusters of the cluster-averaged rate, mean of 10 shuffles; values read
    from the thesis figure (D. Zendrikov, ``Cluster_size_tradeoff``); the source prints no error
    bars for this version and no CV-to-bits formula.
    """
    import pandas as pd

    text = (files("neurospice.analysis") / "data" / _CLUSTER_CV).read_text()
    wide = pd.read_csv(StringIO(text), comment="#")
    long = wide.melt(id_vars="cluster_size", var_name="window_s", value_name="cv_percent")
    long["window_s"] = long["window_s"].astype(float)
    long["cv"] = long.pop("cv_percent") / 100.0
    return long.sort_values(["cluster_size", "window_s"], ignore_index=True)


def compare_cluster_cv(table: pd.DataFrame) -> pd.DataFrame:
    """Simulated cluster CVs (from :func:`~neurospice.analysis.cluster_rate_cv`) next to the published ones.

    One row per (cluster size, window) present in both: ``cv_sim``, ``cv_published``, their
    difference in percentage points and their ratio.
    """
    ref = published_cluster_cv().rename(columns={"cv": "cv_published"})
    sim = table[["cluster_size", "window_s", "cv", "cv_ci_low", "cv_ci_high"]].rename(columns={"cv": "cv_sim"})
    both = sim.merge(ref, on=["cluster_size", "window_s"], how="inner")
    both["difference_pp"] = 100.0 * (both["cv_sim"] - both["cv_published"])
    both["ratio"] = both["cv_sim"] / both["cv_published"]
    return both
