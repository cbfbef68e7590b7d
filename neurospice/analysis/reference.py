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
    """The published cluster-rate CV of 256 DYNAP-SE neurons :cite:p:`zendrikov2023`, as a tidy table.

    200 Hz regular input, about 50 Hz output, CV across clusters of the cluster-averaged rate, mean of
    10 shuffles; values read from the thesis figure :cite:p:`zendrikov2024thesis` (``Cluster_size_tradeoff``);
    the source prints no error bars for this version and no CV-to-bits formula.

    Returns
    -------
    pandas.DataFrame
        Columns ``cluster_size``, ``window_s`` and ``cv`` (a fraction), sorted.

    Raises
    ------
    FileNotFoundError
        If the package's data file is missing (a broken installation).

    Examples
    --------
    >>> table = published_cluster_cv()
    >>> float(table.query("cluster_size == 2 and window_s == 1.0")["cv"].iloc[0])
    0.128
    """
    import pandas as pd

    text = (files("neurospice.analysis") / "data" / _CLUSTER_CV).read_text()
    wide = pd.read_csv(StringIO(text), comment="#")
    long = wide.melt(id_vars="cluster_size", var_name="window_s", value_name="cv_percent")
    long["window_s"] = long["window_s"].astype(float)
    long["cv"] = long.pop("cv_percent") / 100.0
    return long.sort_values(["cluster_size", "window_s"], ignore_index=True)


def compare_cluster_cv(table: pd.DataFrame) -> pd.DataFrame:
    """Simulated cluster CVs (from :func:`cluster_rate_cv`) next to the published ones.

    Parameters
    ----------
    table : pandas.DataFrame
        A :func:`cluster_rate_cv` table (``cluster_size``, ``window_s``, ``cv``, ``cv_ci_low``, ``cv_ci_high``).

    Returns
    -------
    pandas.DataFrame
        One row per (cluster size, window) present in both: ``cv_sim``, ``cv_published``, the
        interval, their difference in percentage points (``difference_pp``) and their ratio.

    Raises
    ------
    KeyError
        If ``table`` lacks one of the columns above.

    Examples
    --------
    >>> import pandas as pd
    >>> sim = pd.DataFrame({"cluster_size": [2], "window_s": [1.0], "cv": [0.15], "cv_ci_low": [0.12],
    ...                     "cv_ci_high": [0.18]})
    >>> compare_cluster_cv(sim)[["cv_sim", "cv_published", "ratio"]].round(3).values.tolist()
    [[0.15, 0.128, 1.172]]
    """
    ref = published_cluster_cv().rename(columns={"cv": "cv_published"})
    sim = table[["cluster_size", "window_s", "cv", "cv_ci_low", "cv_ci_high"]].rename(columns={"cv": "cv_sim"})
    both = sim.merge(ref, on=["cluster_size", "window_s"], how="inner")
    both["difference_pp"] = 100.0 * (both["cv_sim"] - both["cv_published"])
    both["ratio"] = both["cv_sim"] / both["cv_published"]
    return both
