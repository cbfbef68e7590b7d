"""Specs and yield (issue: corners, temperature, supply; specs, yield): the statistics on data with known
answers, the interval's coverage over repeated seeds, and the commands that print them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from neurospice.analysis.specs import Spec, spec_table, spec_yield
from neurospice.cli import app
from neurospice.params import ParameterError
from neurospice.params.specs import parse_spec, spec_from_table

runner = CliRunner()


def test_the_yield_counts_a_nan_sample_as_failed_and_names_the_worst() -> None:
    found = spec_yield([1.0, 2.0, 3.0, math.nan, 5.0], Spec("x", 0.0, 4.0))
    assert (found.n, found.passed, found.yield_) == (5, 3, 0.6) and not found.met
    assert found.worst_index == 3 and math.isnan(found.worst_value)  # a sample with no value is the worst
    found = spec_yield([1.0, 2.0, 3.9, 0.5], Spec("x", high=4.0))
    assert found.met and found.worst_index == 2  # nearest to the limit
    assert found.ci_low == pytest.approx(0.025**0.25, rel=1e-9)  # Clopper-Pearson at 4/4: (alpha/2)^(1/n)
    assert found.ci_high == 1.0


def test_cpk_is_the_distance_to_the_nearer_limit_in_three_sigmas() -> None:
    values = np.array([-1.0, 1.0, -1.0, 1.0])  # mean 0, sd (ddof=1) 2/sqrt(3)
    sd = float(np.std(values, ddof=1))
    assert spec_yield(values, Spec("x", -3.0, 6.0)).cpk == pytest.approx(3.0 / (3 * sd))
    assert spec_yield(values, Spec("x", low=-2.0)).cpk == pytest.approx(2.0 / (3 * sd))
    assert math.isnan(spec_yield([1.0, 1.0], Spec("x", 0.0, 2.0)).cpk)  # no spread: no capability index


@pytest.mark.parametrize(("p", "n"), [(0.9, 20), (0.99, 50), (0.5, 12)])
def test_the_yield_interval_covers_the_true_yield_at_its_nominal_rate(p: float, n: int) -> None:
    """Clopper-Pearson is exact: over 2000 populations of n samples its 95 % interval holds the true yield at
    least 95 % of the time (minus the Monte Carlo error of 2000 trials, 0.5 %)."""
    rng = np.random.default_rng(20261204)
    spec = Spec("x", high=0.0)
    covered = 0
    for _ in range(2000):
        values = np.where(rng.random(n) < p, -1.0, 1.0)  # each sample passes with probability p
        found = spec_yield(values, spec)
        covered += found.ci_low <= p <= found.ci_high
    assert covered / 2000 >= 0.94


def test_a_spec_table_judges_each_group_and_marks_the_worst_case() -> None:
    table = pd.DataFrame({"corner": ["ff", "ff", "ss", "ss"], "temp": [27, 27, 27, 27], "x": [1.0, 5.0, 2.0, 3.0]})
    found = spec_table(table, [Spec("x", 0.0, 4.0)], by=["corner", "temp"])
    assert found["yield"].tolist() == [0.5, 1.0]
    assert found.loc[found["worst_case"], "corner"].tolist() == ["ff"] and found["worst_row"].tolist() == [1, 3]


def test_specs_are_written_in_the_metric_s_unit_and_refused_in_one_line() -> None:
    units = {"rate_hz": "Hz", "tau_s": "s"}
    assert parse_spec("tau_s=5m:20m", units) == Spec("tau_s", 5e-3, 20e-3)
    assert parse_spec("rate_hz=100:", units) == Spec("rate_hz", 100.0)
    assert spec_from_table("rate_hz", {"min": "100", "max": "200", "typ": "150"}, units) == Spec("rate_hz", 100, 200)
    for bad, why in [
        ("rate_hz", "METRIC=LOW:HIGH"),
        ("gain=1:2", "a metric of the circuit"),
        ("tau_s=2:1", "LOW <= HIGH"),
    ]:
        with pytest.raises(ParameterError, match=why):
            parse_spec(bad, units)


@pytest.mark.ngspice
def test_a_run_with_specs_exits_0_and_reports_its_failures_and_fail_on_spec_exits_1() -> None:
    args = ["simulate", "dpi-synapse", "--tstop", "60m", "--spec", "tau_s=10m:11m", "--spec", "peak_current_a=50p:"]
    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert any(line.split()[:1] == ["tau_s"] and line.endswith("FAIL") for line in lines)
    assert any(line.split()[:1] == ["peak_current_a"] and line.endswith("pass") for line in lines)
    assert runner.invoke(app, [*args, "--fail-on-spec"]).exit_code == 1
    data = json.loads(runner.invoke(app, [*args, "--json"]).output)
    assert [s["pass"] for s in data["specs"]] == [False, True]
    refused = runner.invoke(app, ["simulate", "dpi-synapse", "--spec", "taus=1:2"])
    assert refused.exit_code == 2 and len(refused.output.strip().splitlines()) == 1


@pytest.mark.ngspice
def test_a_monte_carlo_run_prints_each_spec_s_yield_with_its_interval_cpk_and_worst_sample() -> None:
    args = ["mismatch", "dpi-synapse", "-n", "12", "--tstop", "60m", "--seed", "3", "--spec", "tau_s=10.5m:13m"]
    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.output
    assert "specs (yield with its Clopper-Pearson 95 % interval):" in out.output
    line = next(x for x in out.output.splitlines() if x.strip().startswith("tau_s ") and "yield" in x)
    assert "Cpk" in line and "worst sample" in line
    data = json.loads(runner.invoke(app, [*args, "--json"]).output)
    (spec,) = data["specs"]
    assert spec["n"] == 12 and 0 <= spec["ci_low"] <= spec["yield"] <= spec["ci_high"] <= 1
    if spec["passed"] < spec["n"]:
        assert runner.invoke(app, [*args, "--fail-on-spec"]).exit_code == 1


@pytest.mark.ngspice
def test_a_sweep_over_conditions_judges_every_point_and_names_the_worst_case() -> None:
    """At 120 °C the synapse's tau leaves a 9.5-13 ms window (leakage, see the conditions' tests): the worst
    case is a 120 °C point, and --fail-on-spec makes that exit 1."""
    args = ["sweep", "dpi-synapse", "--vary", "corner=typical,ss", "--vary", "temp=27:120:2", "-n", "3"]
    args += ["--tstop", "60m", "--spec", "tau_s=9.5m:13m"]
    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.output
    worst = next(line for line in out.output.splitlines() if "worst case:" in line)
    assert "temp=120.0" in worst
    assert out.output.count("corner=") >= 4 and "FAIL" in out.output and "pass" in out.output
    assert runner.invoke(app, [*args, "--fail-on-spec"]).exit_code == 1


def test_the_pvt_example_studies_plan_their_grid_and_specs() -> None:
    from neurospice.studies.run import plan_study
    from neurospice.studies.studyfile import read_study

    root = Path(__file__).resolve().parents[1] / "examples" / "studies"
    for name, metrics in (
        ("pvt_dpi_synapse", ["tau_s", "peak_current_a"]),
        ("pvt_dpi_neuron", ["isi_rate_hz", "power_w"]),
    ):
        study = read_study(root / f"{name}.toml")
        plan = plan_study(study, Path("/nonexistent-neurospice-folder") / name)
        assert plan.grid is not None and len(plan.grid) == 45  # 5 corners x 3 temperatures x 3 supplies
        assert [s.metric for s in plan.specs] == metrics


def _mismatch_study(folder: Path, samples: int, specs: str) -> Path:
    """A small mismatch study of the DPI synapse into ``folder/run`` with the ``[specs]`` lines ``specs``."""
    study = folder / "study.toml"
    study.write_text(
        f'kind = "mismatch"\ncircuit = "dpi-synapse"\nsamples = {samples}\ntstop = "60m"\nout = "run"\n[specs]\n{specs}'
    )
    return study


@pytest.mark.ngspice
def test_a_study_file_s_specs_are_judged_after_it_runs(tmp_path: Path) -> None:
    study = _mismatch_study(tmp_path, 4, 'tau_s = "1m:2m"\npeak_current_a = { min = "1p", typ = "500p" }\n')
    out = runner.invoke(app, ["run", str(study)])
    assert out.exit_code == 0, out.output
    assert "yield 0.0 %" in out.output and "yield 100.0 %" in out.output
    study.write_text(study.read_text().replace('out = "run"', 'out = "run2"'))
    assert runner.invoke(app, ["run", str(study), "--fail-on-spec"]).exit_code == 1
    study.write_text(study.read_text().replace('tau_s = "1m:2m"', 'taus = "1m:2m"'))
    bad = runner.invoke(app, ["run", str(study)])
    assert bad.exit_code == 2 and "specs.taus" in bad.output and "line 7" in bad.output


@pytest.mark.ngspice
def test_a_datasheet_of_a_stored_pvt_sweep_shows_the_failing_cells_the_yield_and_the_worst_case(
    tmp_path: Path,
) -> None:
    out = tmp_path / "pvt"
    args = ["sweep", "dpi-synapse", "--vary", "corner=typical,ss", "--vary", "temp=27:120:2", "-n", "3"]
    assert runner.invoke(app, [*args, "--tstop", "60m", "--out", str(out), "--quiet"]).exit_code == 0
    made = runner.invoke(app, ["datasheet", str(out), "--spec", "tau_s=9.5m:13m", "--fail-on-spec"])
    assert made.exit_code == 1, made.output  # 120 °C leaves the window (leakage): the spec fails there
    assert "FAIL (worst case corner=" in made.output and "temp=120.0" in made.output
    sheet = json.loads((out / "datasheet.json").read_text())
    (summary,) = sheet["summary"]
    assert summary["metric"] == "tau_s" and summary["met"] is False and summary["yield_min"] == 0.0
    assert 0.0 <= summary["ci_low"] <= summary["ci_high"] <= 1.0 and len(sheet["conditions"]) == 4
    typical = next(c for c in sheet["conditions"] if c["corner"] == "typical" and c["temp"] == 27.0)
    assert summary["typ"] == typical["median"]
    markdown = (out / "datasheet.md").read_text()
    assert "| tau_s |" in markdown and "FAIL" in markdown and "pass" in markdown
    page = (out / "datasheet.html").read_text()
    assert "tau_s against temperature" in page and "#f7c6c6" in page and "Yield at each condition" in page
    from neurospice.studies.design import load_sweep, sweep_dataset

    dataset = sweep_dataset(*load_sweep(out))  # the same run as labelled data: conditions are dimensions
    assert dataset["tau_s"].dims == ("corner", "temp", "sample") and dataset.sizes["sample"] == 3
    bad = runner.invoke(app, ["datasheet", str(out), "--spec", "nope=1:2"])
    assert bad.exit_code == 2 and len(bad.output.strip().splitlines()) == 1


@pytest.mark.ngspice
def test_a_study_folder_s_datasheet_judges_the_study_s_own_specs(tmp_path: Path) -> None:
    study = _mismatch_study(tmp_path, 3, 'peak_current_a = { min = "1p" }\n')
    assert runner.invoke(app, ["run", str(study)]).exit_code == 0
    made = runner.invoke(app, ["datasheet", str(tmp_path / "run")])
    assert made.exit_code == 0 and "peak_current_a" in made.output and "lowest yield 100.0 %  pass" in made.output
