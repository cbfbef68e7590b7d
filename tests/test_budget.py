"""The precision budget: bigger devices against averaging, on synthetic data and on the DPI neuron."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from neurospice.analysis.budget import budget_table, cluster_mean_cv, fit_power_law
from neurospice.cli import app

runner = CliRunner()


def test_averaging_independent_circuits_divides_the_cv_by_sqrt_k() -> None:
    x = np.random.default_rng(3).normal(100.0, 10.0, 1024)
    table = cluster_mean_cv(x, [1, 2, 4, 8, 16, 32, 64], n_shuffles=20, rng=1)
    fit = fit_power_law(table["k"], table["cv_unbiased"])
    assert fit.p == pytest.approx(-0.5, abs=0.04)
    assert table["cv"].iloc[0] == pytest.approx(np.std(x, ddof=1) / np.mean(x))
    assert list(table["clusters"]) == [1024 // k for k in table["k"]]


def test_the_budget_solves_both_laws_and_prices_each_way() -> None:
    scaling = pd.DataFrame({"scale": [1.0, 4.0], "cv": [0.2, 0.1], "area_um2": [1000.0, 1030.0], "power_w": [1e-6] * 2})
    clusters = pd.DataFrame({"k": [1, 4, 16], "cv_unbiased": [0.2, 0.1, 0.05]})
    table = budget_table(scaling, clusters, [4.0, 6.0, 8.0], max_scale=50.0)
    # 6 bits: CV 1/8 -> scale (0.2/0.125)^2 = 2.56, k = ceil(2.56) = 3
    six = table[table["bits"] == 6.0].iloc[0]
    assert six["scale"] == pytest.approx(2.56) and six["k"] == 3
    assert six["scale_area_um2"] == pytest.approx(1000 + 10 * 1.56) and six["cluster_area_um2"] == pytest.approx(3000)
    assert six["cheaper_area"] == "scaling" and six["cheaper_power"] == "scaling"
    # 8 bits: scale 10.24 within the ranges; 4 bits (CV 0.25) is met by one circuit
    assert table[table["bits"] == 4.0].iloc[0]["reason"] == "one unscaled circuit already reaches this precision"
    beyond = budget_table(scaling, clusters, [10.0], max_scale=20.0).iloc[0]  # needs 40.96x
    assert np.isnan(beyond["scale_area_um2"]) and beyond["cheaper_area"] == "averaging"
    assert "beyond the parameters' ranges" in beyond["reason"]


@pytest.mark.ngspice
@pytest.mark.slow
def test_dpi_neuron_budget_measures_both_laws_and_says_which_is_cheaper(tmp_path: Path) -> None:
    out = tmp_path / "budget"
    result = runner.invoke(app, ["budget", "dpi-neuron", "--set", "input_kind=none", "-n", "16", "--scales", "1,4",
                                 "--clusters", "1,2,4,8", "--tstop", "0.1", "--out", str(out), "--json", "--quiet"])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    settings = data["settings"]
    # Pelgrom, measured: four times the device area halves the rate CV (exponent -1/2, 16 samples: +-0.2)
    assert settings["cv_exponent_scale"] == pytest.approx(-0.5, abs=0.2)
    assert settings["cv_exponent_k"] == pytest.approx(-0.5, abs=0.15)
    rows = {r["bits"]: r for r in data["budget"]}
    assert set(rows) == {6.0, 8.0, 10.0}
    for r in rows.values():
        assert r["cheaper_area"] in ("scaling", "averaging", "either") and r["reason"]
    # the membrane and refractory capacitors (1500 µm² of 1522) do not scale: bigger devices win on area
    assert rows[10.0]["cheaper_area"] == "scaling" and rows[10.0]["k"] > 4
    assert (out / "budget.png").stat().st_size > 10_000 and (out / "budget.csv").is_file()
