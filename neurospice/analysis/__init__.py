"""Analysis: pure numpy functions on waveforms and closed-form (sympy-derived) predictions.

Nothing here runs a simulator.
"""

from __future__ import annotations

from .closed_form import (
    dpi_gain,
    dpi_pulse_train_response,
    dpi_steady_state,
    dpi_step_response,
    dpi_tau,
    thermal_voltage,
)
from .cv import BITS_METHODS, BitsMethod, CVEstimate, CVKind, coefficient_of_variation, equivalent_bits
from .mismatch import ContributionResult, LowR2Warning, PelgromFit, fit_pelgrom, mismatch_contributions
from .population import (
    DEFAULT_CLUSTER_SIZES,
    DEFAULT_WINDOWS,
    c4,
    check_cluster_design,
    cluster_rate_cv,
    cv_slope,
    regular_count_cv,
    window_counts,
)
from .reference import compare_cluster_cv, published_cluster_cv
from .spikes import (
    InsufficientSpikesWarning,
    detect_spikes,
    firing_latency,
    firing_rate,
    instantaneous_rate,
    isi,
    isi_cv,
    isi_rate,
)
from .subthreshold import SubthresholdFit, extract_subthreshold
from .waveform import DecayFit, fit_exponential_decay

__all__ = [
    "BITS_METHODS",
    "DEFAULT_CLUSTER_SIZES",
    "DEFAULT_WINDOWS",
    "BitsMethod",
    "CVEstimate",
    "CVKind",
    "ContributionResult",
    "DecayFit",
    "InsufficientSpikesWarning",
    "LowR2Warning",
    "PelgromFit",
    "SubthresholdFit",
    "c4",
    "check_cluster_design",
    "cluster_rate_cv",
    "coefficient_of_variation",
    "compare_cluster_cv",
    "cv_slope",
    "detect_spikes",
    "dpi_gain",
    "dpi_pulse_train_response",
    "dpi_steady_state",
    "dpi_step_response",
    "dpi_tau",
    "equivalent_bits",
    "extract_subthreshold",
    "firing_latency",
    "firing_rate",
    "fit_exponential_decay",
    "fit_pelgrom",
    "instantaneous_rate",
    "isi",
    "isi_cv",
    "isi_rate",
    "mismatch_contributions",
    "published_cluster_cv",
    "regular_count_cv",
    "thermal_voltage",
    "window_counts",
]
