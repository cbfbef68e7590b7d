"""Least-squares line through (x, ln y), shared by the exponential fits."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def log_linear_fit(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[float, float, float]:
    """Slope and intercept of ``ln y = intercept + slope * x`` and the fit's R^2 (NaN if ``ln y`` is constant)."""
    log_y = np.log(y)
    slope, intercept = np.polyfit(x, log_y, 1)
    ss_res = float(np.sum((log_y - (intercept + slope * x)) ** 2))
    ss_tot = float(np.sum((log_y - log_y.mean()) ** 2))
    return float(slope), float(intercept), (1.0 - ss_res / ss_tot) if ss_tot > 0 else float("nan")
