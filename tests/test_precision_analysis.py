"""Precision analysis on synthetic data with known answers (pure numpy, no simulator)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurospice.analysis import (
    LowR2Warning,
    c4,
    cluster_rate_cv,
    coefficient_of_variation,
    cv_slope,
    equivalent_bits,
    fit_pelgrom,
    mismatch_contributions,
    regular_count_cv,
)


def test_cv_of_a_known_sample_and_its_interval_covers_the_truth() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(100.0, 15.0, 400)
    est = coefficient_of_variation(x)
    assert est.cv == pytest.approx(np.std(x, ddof=1) / np.mean(x))
    assert est.ci_low < 0.15 < est.ci_high
    assert est.ci_low < est.cv < est.ci_high
    assert (est.n, est.ddof, est.kind) == (400, 1, "across devices")


def test_cv_interval_narrows_with_more_samples_and_is_reproducible() -> None:
    rng = np.random.default_rng(4)
    small, large = rng.normal(1.0, 0.1, 20), rng.normal(1.0, 0.1, 2000)
    a, b = coefficient_of_variation(small), coefficient_of_variation(large)
    assert (b.ci_high - b.ci_low) < (a.ci_high - a.ci_low) / 5
    assert coefficient_of_variation(small, seed=7) == coefficient_of_variation(small, seed=7)


def test_cv_nan_policy_drops_non_finite_and_never_returns_zero_for_too_few() -> None:
    est = coefficient_of_variation([1.0, np.nan, 3.0, np.inf])
    assert est.n == 2 and est.cv == pytest.approx(np.std([1, 3], ddof=1) / 2)
    one = coefficient_of_variation([5.0, np.nan])
    assert one.n == 1 and np.isnan(one.cv) and np.isnan(one.ci_low)
    assert np.isnan(coefficient_of_variation([1.0, -1.0]).cv)  # zero mean
    with pytest.raises(ValueError, match="ddof"):
        coefficient_of_variation([1.0, 2.0], ddof=2)


def test_ddof_zero_underestimates_for_two_values() -> None:
    x = [1.0, 2.0]
    assert coefficient_of_variation(x, ddof=0).cv == pytest.approx(coefficient_of_variation(x).cv / np.sqrt(2))


def test_equivalent_bits_reproduces_the_published_colour_bar_end_points() -> None:
    # Zendrikov et al. 2023: 18.5 % -> 4.9 bits, 0.8 % -> 13.9 bits with log2(1/CV^2)
    assert equivalent_bits(0.185) == pytest.approx(4.87, abs=0.01)
    assert equivalent_bits(0.008) == pytest.approx(13.93, abs=0.01)
    assert equivalent_bits(0.05, "log2_inv_cv") == pytest.approx(4.32, abs=0.01)
    assert equivalent_bits(0.01, "enob") == pytest.approx((40 - 1.76) / 6.02)
    assert np.isinf(equivalent_bits(0.0)) and np.isnan(equivalent_bits(np.nan))
    with pytest.raises(ValueError, match="method"):
        equivalent_bits(0.1, "bogus")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cv must be"):
        equivalent_bits(-0.1)


@settings(max_examples=50, deadline=None)
@given(st.floats(1e-4, 0.9), st.floats(1e-4, 0.9))
def test_more_spread_means_fewer_bits_for_every_method(a: float, b: float) -> None:
    lo, hi = min(a, b), max(a, b)
    for method in ("log2_inv_cv2", "log2_inv_cv", "enob"):
        assert equivalent_bits(lo, method) >= equivalent_bits(hi, method)  # type: ignore[arg-type]


def _regular_population(n: int, cv: float, duration: float, seed: int) -> list[np.ndarray]:
    """Independent regular trains, rates log-normal around 50 Hz with the given CV, random phases."""
    rng = np.random.default_rng(seed)
    rates = 50.0 * np.exp(rng.normal(0, cv, n))
    return [np.arange(rng.uniform(0, 1 / r), duration, 1 / r) for r in rates]


def test_cluster_cv_falls_as_one_over_sqrt_cluster_size_for_independent_neurons() -> None:
    trains = _regular_population(512, 0.18, 5.0, seed=1)
    table = cluster_rate_cv(trains, (1, 2, 4, 8, 16, 32), (5.0,), span=(0.0, 5.0), n_shuffles=20, rng=2)
    k, cv = table["cluster_size"].to_numpy(), table["cv"].to_numpy()
    slope = np.polyfit(np.log(k), np.log(cv), 1)[0]
    assert slope == pytest.approx(-0.5, abs=0.07)
    assert cv[0] == pytest.approx(0.18, rel=0.15)
    assert (table["cv_ci_low"] < table["cv"]).all() and (table["cv"] < table["cv_ci_high"]).all()
    assert set(table["cv_kind"]) == {"across clusters"} and set(table["bits_method"]) == {"log2_inv_cv2"}
    assert table["bits"].to_numpy() == pytest.approx(-2 * np.log2(cv))


def test_short_windows_add_counting_noise() -> None:
    trains = _regular_population(256, 0.18, 2.0, seed=5)
    table = cluster_rate_cv(trains, (1, 16), (0.01, 0.02, 0.1, 1.0), span=(0.0, 2.0), rng=1)
    for k in (1, 16):
        cv = table[table["cluster_size"] == k].set_index("window_s")["cv"]
        assert cv[0.01] > cv[0.02] > cv[1.0]
        assert cv[0.01] > 2 * cv[1.0]  # half a spike per 10 ms window: counting noise dominates
    one = table[(table["cluster_size"] == 1) & (table["window_s"] == 1.0)]
    assert one["n_windows"].item() == 2 and one["n_clusters"].item() == 256


def test_identical_neurons_have_no_cluster_spread_in_long_windows() -> None:
    trains = [np.arange(0.0, 2.0, 0.02) for _ in range(16)]
    table = cluster_rate_cv(trains, (1, 2), (1.0,), span=(0.0, 2.0))
    assert (table["cv"] == 0).all()


def test_cluster_cv_refuses_bad_sizes_and_windows_naming_them() -> None:
    trains = [np.arange(0.0, 1.0, 0.02) for _ in range(8)]
    with pytest.raises(ValueError, match=r"cluster_sizes: got \[5\]; accepted: whole numbers in \[1, 4\]"):
        cluster_rate_cv(trains, (1, 5), (0.1,), span=(0.0, 1.0))
    with pytest.raises(ValueError, match=r"windows: got \[2.0\]"):
        cluster_rate_cv(trains, (1,), (2.0,), span=(0.0, 1.0))
    with pytest.raises(ValueError, match="t_stop"):
        cluster_rate_cv(trains, (1,), (0.1,), span=(1.0, 1.0))


def test_cluster_cv_is_reproducible_for_a_seed() -> None:
    trains = _regular_population(64, 0.2, 1.0, seed=9)
    a = cluster_rate_cv(trains, (2, 4), (0.1,), span=(0, 1.0), rng=3)
    b = cluster_rate_cv(trains, (2, 4), (0.1,), span=(0, 1.0), rng=3)
    assert a.equals(b)


def test_fit_pelgrom_recovers_coefficient_and_exponent() -> None:
    rng = np.random.default_rng(0)
    w = l = np.array([0.5, 1, 2, 4, 8]) * 1e-6
    a_true = 5e-9  # 5 mV um per device
    sigma = a_true / np.sqrt(w * l) * np.exp(rng.normal(0, 0.02, w.size))
    fit = fit_pelgrom(np.column_stack([w, l]), sigma)
    assert fit.exponent == pytest.approx(0.5, abs=3 * fit.exponent_stderr + 0.01)
    assert fit.a_fixed == pytest.approx(a_true, rel=0.05)
    assert fit.r2 > 0.99 and fit.n == 5
    assert fit_pelgrom(w * l, sigma).a_fixed == pytest.approx(fit.a_fixed)
    with pytest.raises(ValueError, match="three or more distinct sizes"):
        fit_pelgrom([1e-12, 1e-12, 4e-12], [1.0, 1.0, 0.5])


def test_contributions_find_the_device_that_matters() -> None:
    rng = np.random.default_rng(1)
    n, sig = 400, np.array([5e-3, 5e-3, 2e-3])
    dvt = rng.normal(0, 1, (n, 3)) * sig
    # ln(metric) = -kappa/U_T * dvt_a - 0.3 kappa/U_T dvt_b, device c plays no part
    k = 0.7 / 0.0259
    metric = np.exp(-k * dvt[:, 0] - 0.3 * k * dvt[:, 1] + rng.normal(0, 0.005, n))
    res = mismatch_contributions(dvt, metric, ["a", "b", "c"])
    share = res.table.set_index("device")["variance_share"]
    assert list(res.table["device"][:2]) == ["a", "b"]
    assert share["a"] == pytest.approx(1 / 1.09, abs=0.03) and share["c"] < 0.01
    assert res.table.set_index("device")["sensitivity_per_v"]["a"] == pytest.approx(-k, rel=0.03)
    assert res.r2 > 0.95 and res.trusted


def test_contributions_warn_when_the_metric_is_not_linear_in_the_offsets() -> None:
    rng = np.random.default_rng(2)
    dvt = rng.normal(0, 5e-3, (200, 2))
    metric = np.exp(rng.normal(0, 0.2, 200))  # unrelated to the offsets
    with pytest.warns(LowR2Warning, match="not to be trusted"):
        res = mismatch_contributions(dvt, metric, ["a", "b"])
    assert not res.trusted
    with pytest.raises(ValueError, match="need at least"):
        mismatch_contributions(dvt[:4], metric[:4], ["a", "b"])


def test_cv_slope_is_minus_one_half_for_independent_neurons_with_a_bootstrap_interval() -> None:
    trains = _regular_population(128, 0.18, 2.0, seed=11)
    res = cv_slope(trains, (1, 2, 4, 8, 16, 32, 64), 2.0, span=(0.0, 2.0), n_boot=100, rng=1)
    assert res["ci_low"] <= -0.5 <= res["ci_high"] and res["ci_high"] - res["ci_low"] < 0.3
    assert res["slope"] == pytest.approx(-0.5, abs=0.08)
    with pytest.raises(ValueError, match="three or more sizes"):
        cv_slope(trains, (1, 2), 1.0, span=(0.0, 2.0))


def test_cv_unbiased_removes_the_small_sample_bias_of_two_clusters() -> None:
    assert c4(2) == pytest.approx(np.sqrt(2 / np.pi))  # E[s] of two normal values
    assert c4(1000) == pytest.approx(1.0, abs=1e-3)


def test_counting_floor_of_regular_neurons_is_the_cluster_cv_of_short_windows() -> None:
    """Regular trains, rate CV 18 % around 50 Hz, random phases: counting in 20 ms windows gives about 38 %,
    and the closed form (Var(r w) + <f(1 - f)>)/k predicts cluster_rate_cv's cells (within their noise)."""
    rng = np.random.default_rng(11)
    rates = rng.normal(50.0, 9.0, 256)
    trains = [np.arange(rng.uniform(0, 1 / r), 1.2, 1 / r) for r in rates]
    table = cluster_rate_cv(trains, [1, 4, 16], [0.02, 0.1], span=(0.0, 1.2), n_shuffles=40, rng=1)
    for _, row in table.iterrows():
        pred = regular_count_cv(rates, row["window_s"], int(row["cluster_size"]))
        assert row["cv"] == pytest.approx(pred, rel=0.1), row  # 16 clusters of 16: about 5 % noise
    single = regular_count_cv(rates, 0.02)
    assert 0.34 < single < 0.42  # twice the rate CV: no phase protocol brings a regular 50 Hz core below it
    aligned = [np.arange(0.0, 1.2, 1 / r) for r in rates]  # all phases equal at t = 0: the same floor once dephased
    late = cluster_rate_cv(aligned, [1], [0.02], span=(0.2, 1.2), n_shuffles=1, rng=1)
    assert float(late["cv"].iloc[0]) == pytest.approx(single, rel=0.1)
    with pytest.raises(ValueError, match="at least 2 rates"):
        regular_count_cv([50.0], 0.02)
