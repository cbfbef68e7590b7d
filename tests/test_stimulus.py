"""Input spike trains and their PWL form."""

from __future__ import annotations

import numpy as np
import pytest

from neurospice.circuits.stimulus import EDGE, pwl_source, spike_times


def test_regular_train() -> None:
    t = spike_times("regular", rate=200.0, start=0.01, count=0, tstop=0.1)
    np.testing.assert_allclose(t, 0.01 + np.arange(18) / 200.0)
    assert spike_times("regular", rate=200.0, start=0.01, count=5, tstop=0.1).size == 5


def test_poisson_is_seeded_and_has_the_rate() -> None:
    a = spike_times("poisson", rate=100.0, start=0.0, count=0, tstop=100.0, seed=3)
    b = spike_times("poisson", rate=100.0, start=0.0, count=0, tstop=100.0, seed=3)
    c = spike_times("poisson", rate=100.0, start=0.0, count=0, tstop=100.0, seed=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a[:50], c[:50])
    assert a.size == pytest.approx(10_000, abs=4 * 100)  # Poisson: sd = sqrt(10000)
    isi = np.diff(a)
    assert np.std(isi) / np.mean(isi) == pytest.approx(1.0, abs=0.05)


def test_explicit_times_sorted_and_clipped() -> None:
    t = spike_times("times", rate=1.0, start=0.0, count=0, tstop=0.05, times=(0.03, 0.01, 0.2))
    np.testing.assert_array_equal(t, [0.01, 0.03])


def _points(src: str) -> np.ndarray:
    body = " ".join(line[2:] for line in src.splitlines()[1:-1])
    return np.array(body.split(), dtype=float).reshape(-1, 2)


def test_pwl_pulses_and_merge() -> None:
    pts = _points(pwl_source("Vin", "vin", np.array([0.01, 0.02]), 1e-3, 3.3))
    assert pts.shape == (9, 2)
    np.testing.assert_allclose(pts[1:5, 0], [0.01, 0.01 + EDGE, 0.011 + EDGE, 0.011 + 2 * EDGE])
    merged = _points(pwl_source("Vin", "vin", np.array([0.01, 0.0105]), 1e-3, 3.3))
    assert merged.shape == (5, 2)  # one pulse from 10 ms to 11.5 ms
    assert merged[3, 0] == pytest.approx(0.0115 + EDGE)
    assert np.all(np.diff(merged[:, 0]) > 0)


def test_pwl_lines_are_short() -> None:
    src = pwl_source("Vin", "vin", np.arange(1000) * 1e-3, 1e-4, 3.3)
    assert max(len(line) for line in src.splitlines()) < 200
