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
from .subthreshold import SubthresholdFit, extract_subthreshold
from .waveform import DecayFit, fit_exponential_decay

__all__ = [
    "DecayFit",
    "SubthresholdFit",
    "dpi_gain",
    "dpi_pulse_train_response",
    "dpi_steady_state",
    "dpi_step_response",
    "dpi_tau",
    "extract_subthreshold",
    "fit_exponential_decay",
    "thermal_voltage",
]
