"""Sequential stopping and sampling designs on real ngspice runs: a stopped run is a prefix of the full run,
survives kill -9 and resumes to the same decision; designs are reproducible and stratified as they claim."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from typer.testing import CliRunner

from neurospice.cli import app
from neurospice.montecarlo import Stopping, monte_carlo
from neurospice.montecarlo.sequential import design_normals, parse_target
from neurospice.params import ParameterError
from neurospice.store import load_run

N, SEED, TSTOP = 40, 21, 0.06
OVERRIDES = {"input_count": "2"}
VOLATILE = ["wall_s", "sim_s", "worker", "attempts", "first_failure"]
#: met at the second or third checkpoint of a 13 % CV (plain bootstrap): the run stops well before the cap
RULE = Stopping((parse_target("tau_s:cv=25%"),), pilot=8, batch=8)
runner = CliRunner()


def _stable(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=[c for c in VOLATILE if c in table]).reset_index(drop=True)


def _run(out: Path | None = None, **kwargs: object) -> pd.DataFrame:
    args: dict[str, object] = {
        "samples": N, "seed": SEED, "overrides": OVERRIDES, "tstop": TSTOP, "workers": 2, "mismatch": "pelgrom",
    }  # fmt: skip
    return monte_carlo("dpi-synapse", "gf180mcu", out=out, **{**args, **kwargs})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def unstopped(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return _run(tmp_path_factory.mktemp("full") / "run")


@pytest.fixture(scope="module")
def stopped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("stopped") / "run"
    _run(out, stopping=RULE)
    return out


def test_target_parsing_and_refusals_name_the_option() -> None:
    t = parse_target("latency_s:mean=10us", {"latency_s": "s"})
    assert (t.statistic, t.relative) == ("mean", False) and t.half_width == pytest.approx(1e-5)
    assert parse_target("isi_rate_hz:cv=0.5pt").half_width == pytest.approx(0.005)
    assert parse_target("tau_s:sd=2%").relative
    for bad, said in (
        ("tau_s", "METRIC:STAT=WIDTH"),
        ("tau_s:median=5%", "METRIC:STAT=WIDTH"),
        ("tau_s:mean=2pt", "width '2pt'"),
        ("tau_s:cv=-1%", "a width > 0"),
    ):
        with pytest.raises(ParameterError, match=said):
            parse_target(bad)
    with pytest.raises(ParameterError, match="not a metric of this circuit"):
        parse_target("nope:cv=5%", {"tau_s": "s"})
    with pytest.raises(ParameterError, match="regression control variate reads each sample's stored offsets"):
        Stopping((t,), estimator="regression").check(100, "pdk")
    with pytest.raises(ParameterError, match="at least 24"):
        Stopping((t,), pilot=16, estimator="regression").check(100, "pelgrom")
    assert RULE.checkpoints(40) == [8, 16, 24, 32, 40] and Stopping((t,), pilot=30, batch=16).checkpoints(40) == [
        30,
        40,
    ]


def test_the_command_lines_estimators_are_the_libraries() -> None:
    from neurospice.cli.estimate import ESTIMATOR_NAMES
    from neurospice.montecarlo import RUN_OPTIONS
    from neurospice.montecarlo.sequential import ESTIMATORS
    from neurospice.studies.estimate import ESTIMATORS as STUDY

    assert ESTIMATOR_NAMES == ESTIMATORS == STUDY == RUN_OPTIONS["estimator"].choices


def test_designs_are_reproducible_stratified_and_sobol_prefixes_are_sobol() -> None:
    lhs = design_normals("lhs", 5, 16, 6)
    assert np.array_equal(lhs, design_normals("lhs", 5, 16, 6)) and not np.array_equal(
        lhs, design_normals("lhs", 6, 16, 6)
    )
    strata = np.floor(norm.cdf(lhs) * 16).astype(int)
    assert all(sorted(strata[:, d]) == list(range(16)) for d in range(6))  # one sample per stratum, each device
    sobol = design_normals("sobol", 5, 12, 6)
    assert np.array_equal(sobol[:8], design_normals("sobol", 5, 8, 6))  # a shorter run's design is a prefix
    u = norm.cdf(design_normals("sobol", 5, 16, 3))
    assert all(sorted(np.floor(u[:, d] * 16).astype(int)) == list(range(16)) for d in range(3))  # a (0, 4, s)-net


@pytest.mark.ngspice
@pytest.mark.slow
def test_a_stopped_run_is_a_prefix_of_the_full_run_and_records_why_it_stopped(
    stopped: Path, unstopped: pd.DataFrame
) -> None:
    table = load_run(stopped, strict=True)  # whole: the rule's kept samples, no warning
    manifest = json.loads((stopped / "manifest.json").read_text())
    outcome = manifest["stopping"]
    n = outcome["per_group"][0]["samples"]
    assert 8 < n < N and outcome["per_group"][0]["reason"] == "target met" and outcome["kept"] == [[0, n]]
    assert manifest["status"]["complete"] and manifest["stopping_rule"]["targets"] == ["tau_s:cv=25%"]
    pd.testing.assert_frame_equal(_stable(table), _stable(unstopped.iloc[:n]), check_dtype=False)
    readings = outcome["checkpoints"]
    assert [r["samples"] for r in readings] == list(range(8, n + 1, 8)) and readings[-1]["met"]
    assert not readings[0]["met"]  # the pilot alone was not enough
    last = readings[-1]["tau_s:cv=25%"]
    assert (last["high"] - last["low"]) / 2 <= 0.25 * last["value"] and last["n_spice"] == n
    again = _run(stopped, stopping=RULE, resume=True)  # a finished stopped run: resuming runs nothing
    pd.testing.assert_frame_equal(_stable(again), _stable(table), check_dtype=False)


@pytest.mark.ngspice
@pytest.mark.slow
@pytest.mark.faults
def test_kill_9_during_a_stopped_run_resumes_to_the_same_decision_and_samples(tmp_path: Path, stopped: Path) -> None:
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "neurospice", "mismatch", "dpi-synapse", "-n", str(N), "--seed", str(SEED),
           "--set", "input_count=2", "--tstop", str(TSTOP), "--workers", "2", "--quiet", "--mismatch", "pelgrom",
           "--target-ci", "tau_s:cv=25%", "--pilot", "8", "--batch", "8", "--out", str(out)]  # fmt: skip
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not list((out / "samples").glob("part-*.parquet")) if (out / "samples").is_dir() else True:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    _run(out, stopping=RULE, resume=True)
    first, second = (json.loads((p / "manifest.json").read_text())["stopping"] for p in (out, stopped))
    assert first["kept"] == second["kept"] and first["per_group"] == second["per_group"]
    pd.testing.assert_frame_equal(_stable(load_run(out, strict=True)), _stable(load_run(stopped)), check_dtype=False)


@pytest.mark.ngspice
@pytest.mark.slow
def test_a_stopped_run_on_dask_is_the_local_one(tmp_path: Path, stopped: Path) -> None:
    from dask import distributed

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:  # fmt: skip
        _run(tmp_path / "dask", stopping=RULE, client=client)
    first, second = (json.loads((p / "manifest.json").read_text())["stopping"] for p in (tmp_path / "dask", stopped))
    assert first["kept"] == second["kept"] and first["checkpoints"] == second["checkpoints"]
    pd.testing.assert_frame_equal(_stable(load_run(tmp_path / "dask")), _stable(load_run(stopped)), check_dtype=False)


@pytest.mark.ngspice
@pytest.mark.slow
def test_the_offsets_regression_stops_at_the_pilot_where_plain_monte_carlo_cannot(tmp_path: Path) -> None:
    """The synapse's tau depends on one device: regression on the stored offsets meets +-1 % at the 24-sample
    pilot; plain Monte Carlo on the same samples is nowhere near (its interval is many times wider)."""
    rule = Stopping((parse_target("tau_s:cv=1%"),), pilot=24, batch=8, estimator="regression")
    table = _run(tmp_path / "reg", stopping=rule, samples=64)
    outcome = json.loads((tmp_path / "reg" / "manifest.json").read_text())["stopping"]
    reading = outcome["checkpoints"][0]["tau_s:cv=1%"]
    assert len(table) == 24 and outcome["per_group"][0]["reason"] == "target met"
    assert "xsyn.md5" in reading["model"] and reading["rho"] > 0.999
    from neurospice.analysis.multifidelity import plain_estimate

    plain = plain_estimate(table["tau_s"].to_numpy(), "cv")
    assert plain.half_width > 5 * (reading["high"] - reading["low"]) / 2


@pytest.mark.ngspice
@pytest.mark.slow
def test_the_report_shows_each_metrics_control_variate_beside_plain_monte_carlo(stopped: Path) -> None:
    result = runner.invoke(app, ["report", str(stopped)])
    assert result.exit_code == 0, result.output
    inputs = json.loads((stopped / "report_inputs.json").read_text())["multifidelity"]
    tau = inputs["tau_s"]
    assert tau["rho"] > 0.999 and tau["high"] - tau["low"] < (tau["plain_high"] - tau["plain_low"]) / 5
    assert "tau_error" not in inputs  # a signed diagnostic has no CV to narrow
    page = (stopped / "report.html").read_text()
    assert "Control variates: the same samples, narrower intervals" in page and "Stopping rule" in page


@pytest.mark.ngspice
@pytest.mark.slow
def test_lhs_offsets_are_the_design_scaled_by_each_devices_sigma(tmp_path: Path) -> None:
    from neurospice.circuits import get_circuit
    from neurospice.ngspice_models import get_technology

    table = _run(tmp_path / "lhs", samples=12, sampling="lhs")
    tech = get_technology("gf180mcu")
    devices = get_circuit("dpi-synapse").devices(get_circuit("dpi-synapse").values(OVERRIDES, tech))
    z = design_normals("lhs", SEED, 12, len(devices))
    for k, d in enumerate(devices):
        np.testing.assert_allclose(table[f"dvt_{d.key}"].to_numpy(), d.sigma_vt(tech) * z[:, k], rtol=1e-12)
    assert json.loads((tmp_path / "lhs" / "manifest.json").read_text())["sampling"] == "lhs"
    with pytest.raises(ParameterError, match="pdk mode draws inside ngspice"):
        _run(samples=4, sampling="sobol", mismatch="pdk")


@pytest.mark.ngspice
@pytest.mark.slow
def test_cli_stops_reports_and_estimates_a_stored_run(stopped: Path) -> None:
    result = runner.invoke(app, ["estimate", str(stopped), "-m", "tau_s", "--estimator", "plain", "--estimator",
                                 "closed-form", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["estimates"]
    plain, closed = rows
    assert closed["rho"] > 0.999 and closed["half_width"] < plain["half_width"] / 5
    assert "xsyn.md5" in closed["model"] and not math.isnan(plain["value"])
    from neurospice.present.datasheet import write_datasheet

    sheet, _ = write_datasheet(stopped)
    n = json.loads((stopped / "manifest.json").read_text())["stopping"]["samples_run"]
    assert [row[1] for row in sheet.stopping] == ["tau_s:cv=25%"] and sheet.stopping[0][3] == str(n)
    assert "## SPICE runs and intervals (stopping rule)" in (stopped / "datasheet.md").read_text()
    for args, said in (
        (["mismatch", "dpi-synapse", "--target-ci", "tau_s:cv"], "parameter 'target-ci'"),
        (["mismatch", "dpi-synapse", "--estimator", "regression"], "applies to --target-ci"),
        (["mismatch", "dpi-synapse", "--sampling", "lhs"], "pdk mode draws inside ngspice"),
        (["mismatch", "dpi-synapse", "--mismatch", "pelgrom", "--target-ci", "tau_s:cv=5%", "--estimator", "equation"],
         "the calibrated equation is dpi-neuron's"),
        (["estimate", str(stopped), "-m", "nope"], "parameter 'metric'"),
        (["estimate", str(stopped), "-m", "tau_s", "--samples", "abc"], "got 'abc'; accepted: a whole number >= 3"),
        (["estimate", str(stopped), "-m", "tau_s", "--confidence", "1.5"], "a level in (0, 1)"),
        (["sweep", "dpi-synapse", "--vary", "i_tau=2p,8p", "-n", "32", "--mismatch", "pelgrom", "--target-ci",
          "tau_s:cv=5%", "--estimator", "closed-form"], "accepted: plain or regression"),
    ):  # fmt: skip
        bad = runner.invoke(app, args)
        assert bad.exit_code == 2 and said in bad.output and len(bad.output.strip().splitlines()) == 1, bad.output
