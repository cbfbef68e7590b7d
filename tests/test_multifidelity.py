"""Multifidelity estimators against known answers and against plain Monte Carlo, coverage over repeated seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurospice.analysis.multifidelity import (
    control_variate,
    lognormal_moments,
    mfmc_gain,
    plain_estimate,
    regression_estimate,
    select_devices,
)

DEVICES = 26
SIGMA = np.full(DEVICES, 0.004)
WEIGHTS = np.zeros(DEVICES)
WEIGHTS[:5] = np.array([40.0, -30.0, 25.0, 15.0, 10.0]) * 0.4  # 5 devices matter, as in the DPI neuron's rate


def _draw(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    offsets = rng.standard_normal((n, DEVICES)) * SIGMA
    return offsets, 100 * np.exp(offsets @ WEIGHTS + 0.01 * rng.standard_normal(n))


@pytest.fixture(scope="module")
def truth() -> dict[str, float]:
    _, y = _draw(np.random.default_rng(123), 2_000_000)
    return {"mean": float(y.mean()), "sd": float(y.std(ddof=1)), "cv": float(y.std(ddof=1) / y.mean())}


def _cheap(offsets: np.ndarray) -> np.ndarray:
    """A cheap model that is wrong in level (0.9x) and in slope (1.3x the sensitivities): correlated, not equal."""
    return 90 * np.exp(offsets @ (1.3 * WEIGHTS))


def test_the_mfmc_mean_is_the_published_formula_on_a_hand_computed_case() -> None:
    y = np.array([1.0, 2.0, 4.0, 5.0])
    x = np.array([1.0, 3.0, 3.0, 5.0])
    fresh = np.array([2.0, 2.0, 2.0, 2.0])
    beta = np.cov(y, x)[0, 1] / np.var(x, ddof=1)  # 1.125
    mean_all = (x.sum() + fresh.sum()) / 8  # 2.5
    est = control_variate(y, x, fresh, "mean", n_boot=200)
    assert est.value == pytest.approx(y.mean() + beta * (mean_all - x.mean()))
    var_all = np.var(np.concatenate([x, fresh]), ddof=1)
    sd = control_variate(y, x, fresh, "sd", n_boot=200)
    assert sd.value**2 == pytest.approx(np.var(y, ddof=1) + beta**2 * (var_all - np.var(x, ddof=1)))
    assert mfmc_gain(0.9, 32, 32) == pytest.approx(1.0) and mfmc_gain(0.99, 32, 10**9) == pytest.approx(
        1 / (1 - 0.9801), rel=1e-4
    )


def test_the_estimate_does_not_inherit_the_cheap_models_bias() -> None:
    """Only the correlation is used: a cheap model off by a factor and an offset gives the perfect model's answer."""
    rng = np.random.default_rng(4)
    offsets, y = _draw(rng, 40)
    fresh_offsets = rng.standard_normal((5000, DEVICES)) * SIGMA
    good = control_variate(y, _cheap(offsets), _cheap(fresh_offsets), "cv", n_boot=300)
    shifted = control_variate(y, 3 * _cheap(offsets) + 7, 3 * _cheap(fresh_offsets) + 7, "cv", n_boot=300)
    assert shifted.value == pytest.approx(good.value, rel=1e-9)
    assert good.rho > 0.98 and good.n_spice == 40 and good.n_cheap == 5040


def test_exact_moments_give_the_cheap_models_own_statistic_when_it_is_perfect() -> None:
    """y = exp(S dvt) exactly and its lognormal moments known: the CV is the closed form, to the interval's width."""
    rng = np.random.default_rng(5)
    s, sig = np.array([27.0]), np.array([0.004])
    dvt = rng.standard_normal((24, 1)) * sig
    y = np.exp(dvt @ s)
    mean, var = lognormal_moments(s, sig)
    est = control_variate(y, y, None, "cv", moments=(mean, var), n_boot=300)
    assert est.value == pytest.approx(math.sqrt(var) / mean, rel=1e-9)
    assert est.half_width < 1e-9 < est.plain_high - est.plain_low
    big = np.exp(rng.standard_normal(2_000_000) * 0.004 * 27)
    assert big.mean() == pytest.approx(mean, rel=1e-4) and big.var() == pytest.approx(var, rel=5e-3)
    with pytest.raises(ValueError, match="not both or neither"):
        control_variate(y, y, y, "cv", moments=(mean, var))


def test_forward_selection_finds_the_devices_that_matter() -> None:
    offsets, y = _draw(np.random.default_rng(6), 32)
    chosen = select_devices(np.log(y), offsets, 8)
    assert set(chosen[:4].tolist()) <= {0, 1, 2, 3, 4} and len(chosen) <= 8


@pytest.mark.parametrize("statistic", ["cv", "mean"])
def test_intervals_cover_the_truth_at_their_nominal_rate_over_200_seeds(
    statistic: str, truth: dict[str, float]
) -> None:
    """Statistical honesty before any speed-up: for a nominal 95 %, 90-97 % of 200 seeds' intervals (n = 32) hold
    the truth, and the multifidelity intervals are much narrower than plain Monte Carlo's."""
    hits = {"control variate": 0, "regression": 0}
    widths: dict[str, list[float]] = {"plain": [], "control variate": [], "regression": []}
    for r in range(200):
        rng = np.random.default_rng(7000 + r)
        offsets, y = _draw(rng, 32)
        fresh = _cheap(rng.standard_normal((20000, DEVICES)) * SIGMA)
        cv = control_variate(y, _cheap(offsets), fresh, statistic, n_boot=500, seed=r)  # type: ignore[arg-type]
        reg = regression_estimate(y, offsets, SIGMA, statistic, seed=r)  # type: ignore[arg-type]
        for name, est in (("control variate", cv), ("regression", reg)):
            hits[name] += est.low <= truth[statistic] <= est.high
            widths[name].append(est.half_width)
        widths["plain"].append((cv.plain_high - cv.plain_low) / 2)
    for name, hit in hits.items():
        assert 0.90 <= hit / 200 <= 0.97, f"{name}: {hit}/200"
        assert np.mean(widths[name]) < np.mean(widths["plain"]) / 2.5


def test_the_regression_agrees_with_plain_monte_carlo_on_a_large_run(truth: dict[str, float]) -> None:
    offsets, y = _draw(np.random.default_rng(8), 2000)
    reg = regression_estimate(y, offsets, SIGMA, "cv")
    plain = plain_estimate(y, "cv", n_boot=500)
    assert reg.low <= truth["cv"] <= reg.high and plain.low <= truth["cv"] <= plain.high
    assert reg.half_width < plain.half_width / 3 and reg.rho > 0.99 and reg.gain > 9
    assert set(reg.terms[:5]) == {0, 1, 2, 3, 4}


def test_bad_shapes_and_statistics_are_refused_with_what_is_accepted() -> None:
    with pytest.raises(ValueError, match="statistic must be one of mean, sd, cv"):
        plain_estimate([1.0, 2.0, 3.0], "median")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must pair up"):
        control_variate([1.0, 2.0, 3.0], [1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="samples x 3 devices"):
        regression_estimate(np.ones(30), np.ones((30, 2)), [1.0, 1.0, 1.0])
    few = plain_estimate([1.0, 2.0], "cv")
    assert math.isnan(few.value) and few.n_spice == 2
