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
    "DecayFit",
    "InsufficientSpikesWarning",
    "SubthresholdFit",
    "detect_spikes",
    "dpi_gain",
    "dpi_pulse_train_response",
    "dpi_steady_state",
    "dpi_step_response",
    "dpi_tau",
    "extract_subthreshold",
    "firing_latency",
    "firing_rate",
    "fit_exponential_decay",
    "instantaneous_rate",
    "isi",
    "isi_cv",
    "isi_rate",
    "thermal_voltage",
]
