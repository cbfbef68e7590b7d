"""Study files: validated with the key and line of every error; run, kept, and resumed by running them again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from neurospice.cli import app
from neurospice.studies.design import load_sweep
from neurospice.studies.studyfile import StudyError, read_study

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

SMALL = """\
kind = "sweep"
circuit = "axon-hillock"
samples = 3
seed = 4
tstop = "20m"
out = "runs/small"

[vary]
i_in = ["0.5n", "1n"]
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [('kind = "sweep"\ncircuit = "axon-hillock"\nsamplez = 3\n', "line 3: samplez: unknown key"),
     ('kind = "explore"\ncircuit = "dpi-synapse"\n', "line 1: kind: got 'explore'; accepted: one of sweep, mismatch, budget"),
     (SMALL.replace('samples = 3', 'samples = -1'), "line 3: samples: got -1"),
     (SMALL.replace('tstop = "20m"', 'tstop = "soon"'), "line 5: tstop: got 'soon'"),
     (SMALL.replace('i_in = ["0.5n", "1n"]', 'i_in = 5'), "line 9: vary.i_in"),
     (SMALL + "[budget]\nnope = 1\n", "line 10: budget"),
     ('kind = "sweep"\ncircuit = "dpi-synapse"\n', "vary: a sweep needs at least one axis"),
     ("kind = = 1\n", "line 1: syntax: not valid TOML"),
     (SMALL + '[stopping]\ntarget_ci = "tau_s"\n', "line 11: stopping.target_ci: a list of"),
     (SMALL + "[stopping]\npilots = 3\n", "line 10: stopping: a table with keys batch, estimator, pilot, target_ci"),
     (SMALL.replace('samples = 3', 'samples = 3\nsampling = "halton"'), "line 4: sampling: got 'halton'")],
)  # fmt: skip
def test_a_bad_study_names_its_key_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "study.toml"
    path.write_text(text)
    with pytest.raises(StudyError, match=message.replace("(", r"\(").replace("[", r"\[")):
        read_study(path)


def test_values_the_circuit_refuses_name_the_key_and_line_before_anything_runs(tmp_path: Path) -> None:
    path = tmp_path / "study.toml"
    path.write_text(SMALL.replace('i_in = ["0.5n", "1n"]', 'i_in = ["0.5n", "1x"]') + '\n[params]\nc_mem = "1p"\n')
    result = runner.invoke(app, ["run", str(path)])
    assert result.exit_code == 2 and "line 9: vary.i_in" in result.output and "got '1x'" in result.output
    path.write_text(SMALL + '\n[params]\nc_mem = "-1p"\n')
    result = runner.invoke(app, ["run", str(path)])
    assert result.exit_code == 2 and "line 12: params.c_mem" in result.output
    assert not (tmp_path / "runs").exists()


@pytest.mark.ngspice
def test_a_study_runs_keeps_its_file_and_resumes_when_run_again(tmp_path: Path) -> None:
    path = tmp_path / "study.toml"
    path.write_text(SMALL)
    first = runner.invoke(app, ["run", str(path)])
    assert first.exit_code == 0, first.output
    folder = tmp_path / "runs" / "small"
    assert (folder / "study.toml").read_text() == SMALL and "i_in=500 pA" in first.output
    whole, _ = load_sweep(folder)
    shutil.copytree(folder, tmp_path / "copy")
    sorted((folder / "samples").iterdir())[0].unlink()  # a lost part: running the file again completes the run
    again = runner.invoke(app, ["run", str(path)])
    assert again.exit_code == 0 and "resumed and finished" in again.output
    resumed, _ = load_sweep(folder)
    keep = ["sample", "point", "device", "i_in", "seed", "status", "isi_rate_hz", "latency_s"]
    pd.testing.assert_frame_equal(whole[keep], resumed[keep])
    path.write_text(SMALL.replace('"1n"]', '"2n"]'))  # a changed study is not the stored run
    changed = runner.invoke(app, ["run", str(path)])
    assert changed.exit_code == 2 and "differs in" in changed.output


def test_a_stopping_rule_is_checked_against_the_circuit_before_anything_runs(tmp_path: Path) -> None:
    path = tmp_path / "study.toml"
    mismatch = 'kind = "mismatch"\ncircuit = "dpi-synapse"\nsamples = 40\nmismatch = "pelgrom"\nout = "r"\n'
    for table, said in (
        ('[stopping]\ntarget_ci = ["nope:cv=5%"]\n', "line 7: stopping.target_ci"),
        ('[stopping]\ntarget_ci = ["tau_s:cv=5%"]\nestimator = "equation"\n', "the calibrated equation is dpi-neuron"),
        ('[stopping]\ntarget_ci = ["tau_s:cv=5%"]\npilot = 80\n', "more than the cap --samples 40"),
    ):  # fmt: skip
        path.write_text(mismatch + table)
        result = runner.invoke(app, ["run", str(path)])
        assert result.exit_code == 2 and said in result.output, result.output
    assert not (tmp_path / "r").exists()


@pytest.mark.ngspice
@pytest.mark.slow
def test_a_mismatch_study_stops_at_its_target(tmp_path: Path) -> None:
    path = tmp_path / "study.toml"
    path.write_text(
        'kind = "mismatch"\ncircuit = "dpi-synapse"\nsamples = 64\nmismatch = "pelgrom"\nsampling = "lhs"\n'
        'tstop = "60m"\nout = "r"\n[params]\ninput_count = 2\n'
        '[stopping]\ntarget_ci = ["tau_s:cv=2%"]\nestimator = "closed-form"\npilot = 8\nbatch = 8\n'
    )
    result = runner.invoke(app, ["run", str(path)])
    assert result.exit_code == 0, result.output
    import json

    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert manifest["sampling"] == "lhs" and manifest["stopping"]["per_group"][0]["reason"] == "target met"
    assert manifest["stopping"]["samples_run"] < 64 and manifest["stopping_rule"]["estimator"] == "closed-form"


def test_the_example_studies_are_valid() -> None:
    for path in sorted((ROOT / "examples" / "studies").glob("*.toml")):
        study = read_study(path)
        assert study.out is not None and study.out.is_relative_to(ROOT / "runs")
