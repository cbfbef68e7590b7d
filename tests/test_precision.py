"""Precision from mismatch with real ngspice: closed forms vs Monte Carlo, Pelgrom, the cluster experiment, reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from neurospice.analysis import coefficient_of_variation, fit_pelgrom, mismatch_contributions
from neurospice.circuits import get_circuit
from neurospice.cli import app
from neurospice.montecarlo import load_run, monte_carlo
from neurospice.ngspice_models import get_technology
from neurospice.sim.characterization import pelgrom_check
from neurospice.sim.simulation import technology_facts
from neurospice.studies.precision import scaled_sizes

pytestmark = [pytest.mark.ngspice, pytest.mark.slow]

runner = CliRunner()
FAST = {"input_count": 2}
TRAIN = {"input_count": 10}  # 10 pulses at 100 Hz: I_syn >> I_th, the regime of the linear closed form


@pytest.mark.parametrize("device", ["nmos", "pmos"])
def test_pelgrom_check_recovers_the_technologys_own_law(device: str) -> None:
    tech = get_technology("gf180mcu")
    sizes = [(1e-6, 1e-6), (2e-6, 2e-6), (4e-6, 4e-6), (1e-6, 4e-6)]
    chk = pelgrom_check(tech, device, sizes, samples=200, seed=3)  # type: ignore[arg-type]
    fit = fit_pelgrom(chk.area_eff, chk.sigma_vt_est)
    stated = tech.device(device).a_vt  # type: ignore[arg-type]
    assert np.sqrt(2) * fit.a_fixed == pytest.approx(stated, rel=0.06)  # GF180: 7.148 / 6.66 mV um
    assert fit.exponent == pytest.approx(0.5, abs=0.05)
    np.testing.assert_allclose(chk.sigma_vt_est, chk.sigma_vt_law, rtol=0.15)  # 200 devices: sd of sd ~5 %
    again = pelgrom_check(tech, device, sizes[:1], samples=50, seed=3)  # type: ignore[arg-type]
    assert again.sigma_ln_id[0] == pelgrom_check(tech, device, sizes[:1], samples=50, seed=3).sigma_ln_id[0]  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def synapse_pelgrom_run() -> pd.DataFrame:
    return monte_carlo("dpi-synapse", "gf180mcu", samples=96, seed=21, overrides=TRAIN, tstop=0.15, mismatch="pelgrom")


def test_closed_form_cv_of_the_synapse_agrees_with_monte_carlo(synapse_pelgrom_run: pd.DataFrame) -> None:
    table = synapse_pelgrom_run
    syn, tech = get_circuit("dpi-synapse"), get_technology("gf180mcu")
    values = syn.params.resolve(TRAIN)
    pred = syn.predicted_cv(values, tech, technology_facts(tech, values))
    for metric in ("tau_s", "peak_current_a"):
        mc = coefficient_of_variation(table[metric], seed=1)
        # the prediction sits inside the bootstrap interval (widened by 5 % for the closed form's kappa)
        assert mc.ci_low * 0.95 < pred[metric]["cv"] < mc.ci_high * 1.05, (metric, mc, pred[metric])


def test_contributions_name_the_leak_transistor_for_tau_with_the_closed_form_sensitivity(
    synapse_pelgrom_run: pd.DataFrame,
) -> None:
    table = synapse_pelgrom_run
    dvt = [c for c in table.columns if c.startswith("dvt_")]
    res = mismatch_contributions(table[dvt].to_numpy(), table["tau_s"].to_numpy(), [c[4:] for c in dvt])
    top = res.table.iloc[0]
    assert top["device"] == "xsyn.md5" and top["variance_share"] > 0.9 and res.trusted
    syn, tech = get_circuit("dpi-synapse"), get_technology("gf180mcu")
    values = syn.params.resolve(TRAIN)
    pred = syn.predicted_cv(values, tech, technology_facts(tech, values))
    assert top["sensitivity_per_v"] == pytest.approx(pred["tau_s"]["sensitivity"]["md5"], rel=0.1)  # kappa_p/U_T
    # the peak: every device's regression slope against sympy's d ln(peak)/d delta (weight, pair, output, leak)
    peak = mismatch_contributions(table[dvt].to_numpy(), table["peak_current_a"].to_numpy(), [c[4:] for c in dvt])
    assert peak.r2 > 0.99
    fitted = peak.table.set_index("device")["sensitivity_per_v"]
    for device, slope in pred["peak_current_a"]["sensitivity"].items():
        assert fitted[f"xsyn.{device}"] == pytest.approx(slope, rel=0.12), device
    assert abs(fitted["xsyn.md3"]) < 1.0  # the input switch is on hard: its offset does not matter


def test_neuron_refractory_closed_form_agrees_with_monte_carlo() -> None:
    """The refractory period's closed-form CV (discharge transistor MR3) against 48 SPICE neurons, Pelgrom mode."""
    neuron, tech = get_circuit("dpi-neuron"), get_technology("gf180mcu")
    values = neuron.params.resolve({})
    run = monte_carlo(neuron, tech, samples=48, seed=11, tstop=0.05, mismatch="pelgrom", workers=2)
    measured = coefficient_of_variation(run["refractory_s"].to_numpy(dtype=float), seed=1)
    predicted = neuron.predicted_cv(values, tech, technology_facts(tech, values))["refractory_s"]["cv"]
    assert measured.ci_low <= predicted <= measured.ci_high, (measured, predicted)
    bigger = neuron.predicted_cv(neuron.params.resolve(scaled_sizes(2.0)), tech, technology_facts(tech, values))
    assert bigger["refractory_s"]["cv"] == pytest.approx(predicted / 2, rel=0.08)  # W, L x2: sigma / 2


STUDY = ["--neurons", "32", "--duration", "0.25", "--settle", "0.15", "--shuffles", "10", "--seed", "4"]


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("precision") / "run"
    result = runner.invoke(app, ["precision", *STUDY, "--out", str(out), "--report", "--json", "--quiet"])
    assert result.exit_code == 0, result.output
    return out, json.loads(result.output)


def test_cluster_cv_falls_as_one_over_sqrt_cluster_size_in_spice(study: tuple[Path, dict[str, Any]]) -> None:
    _, data = study
    assert data["ok"] == 32
    slope = data["slope"]
    assert slope["ci_low"] <= -0.5 <= slope["ci_high"], slope
    assert slope["ci_high"] < 0  # and the CV does fall
    single = data["single_neuron_rate_cv"]
    assert single["kind"] == "across devices" and single["n"] == 32 and single["cv"] > 0.02
    assert 20 < data["mean_rate_hz"] < 120


def test_study_writes_tables_report_and_resumes_to_the_same_numbers(study: tuple[Path, dict[str, Any]]) -> None:
    out, data = study
    table = pd.read_csv(out / "cluster_cv.csv")
    assert set(table["cluster_size"]) == {1, 2, 4, 8, 16} and table["window_s"].max() == pytest.approx(0.25)
    assert (table["cv_kind"] == "across clusters").all() and (table["bits_method"] == "log2_inv_cv2").all()
    bits = pd.read_csv(out / "bits_log2_inv_cv2.csv", index_col=0)
    assert bits.shape == (5, table["window_s"].nunique()) and (out / "heatmap.png").stat().st_size > 10_000
    comparison = pd.read_csv(out / "comparison.csv")
    assert len(comparison) > 0 and {"cv_sim", "cv_published", "difference_pp"} <= set(comparison.columns)
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "Zendrikov" in html and "log2_inv_cv2" in html
    # the default protocol spreads the phases, over 0.1 s, and says so; the run is that much longer
    summary = json.loads((out / "precision.json").read_text())
    assert summary["phase_spread_s"] == 0.1 and "whole input periods below 100 ms" in html
    assert json.loads((out / "manifest.json").read_text())["tstop_s"] == pytest.approx(0.15 + 0.1 + 0.25)
    samples = load_run(out)
    assert samples["spike_times"].map(len).sum() > 0
    again = runner.invoke(app, ["precision", *STUDY, "--out", str(out), "--resume", "--json", "--quiet"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["table"] == data["table"]  # nothing re-run, same numbers


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bits", "nat"], "parameter 'bits': got 'nat'; accepted: one of log2_inv_cv2, log2_inv_cv, enob"),
        (["--cluster-sizes", "1,x"], "parameter 'cluster_sizes'"),
        (["--cluster-sizes", "1,64"], "cluster_sizes: got [64]"),
        (["--windows", "5"], "windows: got [5.0]"),
        (["--duration", "forever"], "parameter 'duration'"),
        (["--neurons", "2"], "parameter 'neurons'"),
        (["--calibrate", "7"], "parameter 'target_cv'"),
        (["--set", "syn_i_w=1"], "parameter 'syn_i_w'"),
        (["--report"], "parameter 'report': needs --out"),
        (["--phase-spread", "-1"], "parameter 'phase_spread': got '-1'; accepted: a number in [0 s, 10 s]"),
    ],
)
def test_precision_bad_input_exits_2_naming_the_parameter(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "never"
    extra = [] if "--report" in args else ["--out", str(out)]
    result = runner.invoke(app, ["precision", "--neurons", "8", "--duration", "0.1", *args, *extra])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists()


def test_mismatch_report_has_closed_forms_pelgrom_plot_and_contributions(tmp_path: Path) -> None:
    out = tmp_path / "mc"
    args = ["mismatch", "dpi-synapse", "-n", "24", "--seed", "2", "--set", "input_count=2", "--tstop", "0.06",
            "--mismatch", "pelgrom", "--out", str(out), "--report", "--quiet"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text()
    for text in ("Pelgrom plot", "Mismatch contributions", "closed-form CV", "tau_s", "xsyn.md5", "A_VT pair fit"):
        assert text in html, text
    assert html.count("data:image/png;base64,") >= 3
    assert runner.invoke(app, ["mismatch", "dpi-synapse", "-n", "2", "--report"]).exit_code == 2
    # the report is drawn from stored data only: again, in a process where ngspice cannot even be found
    (out / "report.html").unlink()
    code = f"from neurospice.present.report import write_mismatch_report; write_mismatch_report({str(out)!r})"
    env = {**os.environ, "NGSPICE_LIBRARY_PATH": "/nonexistent/libngspice.so"}
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    assert (out / "report.html").read_text().count("data:image/png;base64,") == html.count("data:image/png;base64,")


def test_calibrate_scales_sizes_by_pelgrom_and_the_cv_follows() -> None:
    """Same seeds at both sizes (common random numbers): the pilot's CV falls by the size factor."""
    args = ["precision", "--neurons", "8", "--duration", "0.1", "--settle", "0.15", "--calibrate", "0.15",
            "--pilot", "8", "--json", "--quiet"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    first, second = data["calibration"][:2]
    assert first["factor"] == 1.0 and second["factor"] == pytest.approx(first["cv"] / 0.15)
    assert second["cv"] * second["factor"] == pytest.approx(first["cv"], rel=0.25)  # CV ~ 1/sqrt(WL)
    assert data["params"]["w_lk"] == pytest.approx(1e-6 * second["next_factor"])
    assert "w_sw" not in data["params"] and "w_pw" not in data["params"]  # switches keep their size


def test_calibration_does_not_run_for_a_design_that_cannot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad cluster size is refused before the (minutes long) calibration pilots start."""
    import neurospice.studies.precision

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("calibration started for a design that cannot run")

    monkeypatch.setattr(neurospice.studies.precision, "calibrate_sizes", never)
    args = ["precision", "--neurons", "8", "--duration", "0.1", "--calibrate", "0.18", "--cluster-sizes", "1,64"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "never")])
    assert result.exit_code == 2 and "cluster_sizes: got [64]" in result.output
    assert not (tmp_path / "never").exists()


def test_phase_offsets_are_whole_input_periods_from_each_neurons_seed() -> None:
    """d_i = k_i / input_rate, k_i uniform below phase_spread x input_rate from the neuron's own seed; a shifted
    train is the neuron's own spikes from settle + d_i on, moved onto the common window."""
    from neurospice.studies.precision import Recording, phase_offsets, shifted_trains

    rec = Recording(input_rate=200.0, duration=0.5, settle=0.2, phase_spread=0.1)
    assert rec.tstop == pytest.approx(0.8)
    seeds = list(range(1000, 1400))
    d = phase_offsets(seeds, rec)
    np.testing.assert_array_equal(d, phase_offsets(seeds, rec))  # reproducible from the seeds alone
    k = d * rec.input_rate
    np.testing.assert_allclose(k, np.round(k), atol=1e-9)
    assert k.min() == 0 and k.max() == 19 and len(set(k)) == 20  # 20 input periods in 0.1 s, all used
    assert not phase_offsets(seeds, Recording(phase_spread=0.004)).any()  # below one period: aligned
    train = np.arange(0.0, rec.tstop, 0.02)  # a 50 Hz neuron, its own clock
    (shifted,) = shifted_trains([train], np.array([0.035]), rec)
    np.testing.assert_allclose(shifted, train[(train >= 0.235) & (train < 0.735)] - 0.035)
    assert shifted.min() >= rec.settle and shifted.max() < rec.settle + rec.duration
