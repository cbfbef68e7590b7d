"""Accuracy presets: what they write, that they are recorded, that resuming respects them, and that
the default's spike times agree with the tight reference (the benchmark measures cost and error
across inputs; here one case, run for real)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from neurospice import monte_carlo, simulate
from neurospice.cli import app
from neurospice.params import ParameterError
from neurospice.params.options import ACCURACY, SimOptions, accuracy, accuracy_name
from neurospice.studies.studyfile import StudyError, read_study

runner = CliRunner()


def test_presets_are_what_the_deck_says() -> None:
    assert accuracy_name(SimOptions()) == "default"
    assert accuracy("default") == SimOptions()
    assert accuracy_name(SimOptions(reltol=3e-4)) == "custom"
    assert "method=trap trtol=2.0 bypass=1" in SimOptions().spice()
    assert "method=gear trtol=7.0 bypass=0" in ACCURACY["legacy"].spice()
    ref = ACCURACY["reference"]
    assert "reltol=1e-07" in ref.spice() and ref.step(0.3) == 2e-6 and SimOptions().step(0.3) == pytest.approx(6e-5)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"trtol": 0}, "trtol"), ({"trtol": "2"}, "trtol"), ({"bypass": 1}, "bypass"), ({"max_step": 0}, "max_step"),
     ({"max_step": float("nan")}, "max_step"), ({"trtol": True}, "trtol")],
)  # fmt: skip
def test_new_options_refuse_bad_values(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(ParameterError, match=f"parameter '{name}'"):
        SimOptions(**kwargs)  # type: ignore[arg-type]


def test_unknown_preset_is_one_line_naming_accuracy(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match=r"parameter 'accuracy'.*fast, default, reference, undamped, legacy"):
        accuracy("exact")
    out = tmp_path / "run"
    for args in (["simulate", "dpi-synapse"], ["mismatch", "dpi-synapse", "--out", str(out)],
                 ["sweep", "dpi-synapse", "-p", "i_w", "-v", "1n"], ["precision"], ["budget", "dpi-synapse"]):  # fmt: skip
        result = runner.invoke(app, [*args, "--accuracy", "exact"])
        assert result.exit_code == 2, (args, result.output)
        assert result.output.strip().splitlines() == [
            "error: parameter 'accuracy': got 'exact'; accepted: fast, default, reference, undamped, legacy"
        ]
    assert not out.exists()
    study = tmp_path / "s.toml"
    study.write_text('kind = "mismatch"\ncircuit = "dpi-synapse"\nsamples = 2\naccuracy = "exact"\n')
    with pytest.raises(StudyError, match="accuracy"):
        read_study(study)
    study.write_text('kind = "mismatch"\ncircuit = "dpi-synapse"\nsamples = 2\naccuracy = "fast"\n')
    assert read_study(study).accuracy == "fast"


@pytest.mark.ngspice
def test_default_spike_times_agree_with_the_reference() -> None:
    """The default preset's spikes against the reference's, DPI neuron at 1 nA (benchmark: 0.68 % of an ISI)."""
    runs = {name: simulate("dpi-neuron", "gf180mcu", {"i_in": "1n"}, tstop=0.04, options=ACCURACY[name])
            for name in ("reference", "default", "legacy")}  # fmt: skip
    ref = runs["reference"].spikes
    isi = float(np.mean(np.diff(ref)))
    assert len(ref) >= 6
    for name in ("default", "legacy"):
        spikes = runs[name].spikes
        assert len(spikes) == len(ref), name
        assert np.max(np.abs(spikes - ref)) < 0.012 * isi, name
        assert runs[name].provenance["accuracy"] == name
    # the presets are not the same integration: their spike times differ
    assert not np.array_equal(runs["default"].spikes, runs["legacy"].spikes)


@pytest.mark.ngspice
def test_run_records_its_accuracy_and_resume_needs_the_same(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = {"samples": 3, "seed": 5, "tstop": 0.02, "mismatch": "pelgrom", "out": out}
    whole = monte_carlo("dpi-synapse", "gf180mcu", options=ACCURACY["legacy"], **args)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["accuracy"] == "legacy" and manifest["options"]["method"] == "gear"
    # a run written before trtol, bypass and max_step were recorded: the options it lacks were ngspice's defaults
    for key in ("trtol", "bypass", "max_step"):
        del manifest["options"][key]
    del manifest["accuracy"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    parts = sorted((out / "samples").glob("*.parquet"))
    for part in parts:
        part.unlink()
    with pytest.raises(ParameterError, match=r"differs in: options.*accuracy 'legacy': resume with --accuracy legacy"):
        monte_carlo("dpi-synapse", "gf180mcu", resume=True, **args)
    again = monte_carlo("dpi-synapse", "gf180mcu", options=ACCURACY["legacy"], resume=True, **args)
    cols = ["sample", "seed", "tau_s", "peak_current_a"]
    pd.testing.assert_frame_equal(whole[cols].reset_index(drop=True), again[cols].reset_index(drop=True))
    result = runner.invoke(app, ["mismatch", "dpi-synapse", "-n", "3", "--seed", "5", "--tstop", "20m",
                                 "--mismatch", "pelgrom", "--out", str(out), "--resume", "--accuracy", "fast"])  # fmt: skip
    assert result.exit_code == 2
    assert "resume with --accuracy legacy" in result.output


@pytest.mark.ngspice
def test_a_default_run_from_before_xmu_resumes_with_the_undamped_preset(tmp_path: Path) -> None:
    """Runs made with the trapezoidal default before xmu = 0.49 have no xmu in their manifest: they ran at
    ngspice's 0.5, and resume with ``--accuracy undamped``, row for row."""
    out = tmp_path / "run"
    args = {"samples": 3, "seed": 5, "tstop": 0.02, "mismatch": "pelgrom", "out": out}
    whole = monte_carlo("dpi-synapse", "gf180mcu", options=ACCURACY["undamped"], **args)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["options"]["xmu"] == 0.5 and "xmu=0.5" in ACCURACY["undamped"].spice()
    del manifest["options"]["xmu"]
    del manifest["accuracy"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    next((out / "samples").glob("*.parquet")).unlink()
    with pytest.raises(ParameterError, match=r"accuracy 'undamped': resume with --accuracy undamped"):
        monte_carlo("dpi-synapse", "gf180mcu", resume=True, **args)
    again = monte_carlo("dpi-synapse", "gf180mcu", options=ACCURACY["undamped"], resume=True, **args)
    cols = ["sample", "seed", "tau_s", "peak_current_a"]
    pd.testing.assert_frame_equal(whole[cols].reset_index(drop=True), again[cols].reset_index(drop=True))


def test_study_file_accuracy_reaches_the_run(tmp_path: Path) -> None:
    study = tmp_path / "s.toml"
    study.write_text('kind = "mismatch"\ncircuit = "dpi-synapse"\nsamples = 2\ntstop = "10m"\naccuracy = "fast"\n'
                     'out = "run"\n')  # fmt: skip
    result = runner.invoke(app, ["run", str(study)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["accuracy"] == "fast"
    assert manifest["options"] == {**ACCURACY["default"].__dict__, "trtol": 7.0}
