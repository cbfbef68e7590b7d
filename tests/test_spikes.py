"""Spike detection and statistics on exact synthetic trains, and on a stored ngspice waveform."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from neurospice.analysis import (
    InsufficientSpikesWarning,
    detect_spikes,
    firing_latency,
    firing_rate,
    instantaneous_rate,
    isi_cv,
    isi_rate,
)

FIXTURE = Path(__file__).with_name("data") / "dpi_neuron_req_gf180.npz"


def _sawtooth_with_spikes(t: np.ndarray, times: np.ndarray, width: float = 2e-4) -> np.ndarray:
    """A 0..3.3 V trace whose rising edge crosses 1.65 V exactly at each of ``times`` (linear ramps)."""
    v = np.zeros_like(t)
    for s in times:
        ramp = (t >= s - width / 2) & (t < s + width / 2)
        v[ramp] = 3.3 * ((t[ramp] - (s - width / 2)) / width)
        top = (t >= s + width / 2) & (t < s + 2 * width)
        v[top] = 3.3
    return v


def test_exact_times_on_non_uniform_sampling() -> None:
    rng = np.random.default_rng(1)
    times = np.array([0.010, 0.0234, 0.0351, 0.0502, 0.0777])
    # non-uniform steps, dense around edges as ngspice does, plus the ramp ends themselves
    t = np.unique(np.concatenate([np.sort(rng.uniform(0, 0.1, 3000)), times - 1e-4, times + 1e-4, times + 4e-4]))
    v = _sawtooth_with_spikes(t, times)
    np.testing.assert_allclose(detect_spikes(t, v, 1.65), times, atol=1e-12)


def test_hysteresis_ignores_ringing_and_refractory_guard() -> None:
    t = np.linspace(0, 1, 10001)
    v = np.where((t > 0.2) & (t < 0.3), 1.0, 0.0) + 0.02 * np.sin(2 * np.pi * 2000 * t) * ((t > 0.2) & (t < 0.3))
    assert detect_spikes(t, v, 0.99, hysteresis=0.5).size == 1
    assert detect_spikes(t, v, 0.99, hysteresis=0.0).size > 1
    two = np.where(((t > 0.2) & (t < 0.21)) | ((t > 0.215) & (t < 0.22)), 1.0, 0.0)
    assert detect_spikes(t, two, 0.5).size == 2
    assert detect_spikes(t, two, 0.5, refractory=0.01).size == 2  # 15 ms apart
    assert detect_spikes(t, two, 0.5, refractory=0.02).size == 1


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0.001, 0.099), min_size=0, max_size=20, unique=True), st.floats(-0.05, 0.05))
def test_shift_moves_spikes_exactly(times: list[float], shift: float) -> None:
    times_arr = np.array(sorted(times))
    assume(times_arr.size < 2 or np.min(np.diff(times_arr)) >= 1e-3)  # keep pulses separate
    t = np.linspace(0, 0.1, 100001)
    v = _sawtooth_with_spikes(t, times_arr, width=1e-4)
    a = detect_spikes(t, v, 1.65)
    b = detect_spikes(t + shift, v, 1.65)
    np.testing.assert_allclose(b, a + shift, atol=1e-12)


def test_statistics_reference_values() -> None:
    regular = np.arange(10) * 0.02 + 0.005
    assert isi_cv(regular) == pytest.approx(0.0, abs=1e-12)
    assert isi_rate(regular) == pytest.approx(50.0)
    assert firing_rate(regular, 0.0, 0.2) == pytest.approx(50.0)
    assert firing_latency(regular, 0.0) == pytest.approx(0.005)
    poisson = np.cumsum(np.random.default_rng(2).exponential(0.01, 20000))
    assert isi_cv(poisson) == pytest.approx(1.0, abs=0.03)
    when, rate = instantaneous_rate(regular)
    np.testing.assert_allclose(rate, 50.0)
    np.testing.assert_array_equal(when, regular[1:])


@pytest.mark.parametrize(
    ("call", "reason"),
    [(lambda: isi_cv(np.array([0.1, 0.2])), "at least 3 spikes"), (lambda: isi_rate(np.array([0.1])), "at least 2"),
     (lambda: firing_latency(np.array([0.1]), 0.2), "no spike after")],
)  # fmt: skip
def test_too_few_spikes_nan_with_reason(call: object, reason: str) -> None:
    with pytest.warns(InsufficientSpikesWarning, match=reason):
        assert math.isnan(call())  # type: ignore[operator]
    assert firing_rate(np.array([]), 0.0, 1.0) == 0.0  # a count: zero spikes, zero hertz


def test_stored_ngspice_waveform_matches_visual_count() -> None:
    """REQ of the GF180 DPI neuron (500 pA DC from 10 ms, 60 ms); 8 spikes counted by eye on its plot."""
    data = np.load(FIXTURE)
    spikes = detect_spikes(data["t"], data["req"], 1.65)
    assert spikes.size == 8
    assert np.all(np.diff(data["t"]) > 0) and np.ptp(np.diff(data["t"])) > 1e-5  # non-uniform steps
    assert isi_cv(spikes) < 0.01
