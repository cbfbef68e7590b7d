"""The command line: real runs, JSON output, and what bad input gets (exit 2, nothing written)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from neurospice.cli import app

pytestmark = pytest.mark.ngspice

runner = CliRunner()


def test_circuits_and_show() -> None:
    listed = runner.invoke(app, ["circuits"])
    assert listed.exit_code == 0
    assert {line.split()[0] for line in listed.output.splitlines()} == {"dpi-synapse", "dpi-neuron", "axon-hillock"}
    shown = runner.invoke(app, ["show", "dpi-synapse"])
    assert shown.exit_code == 0
    assert "i_tau" in shown.output and "[10 fA, 10 nA]" in shown.output and "i_syn" in shown.output
    assert runner.invoke(app, ["show", "nosuch"]).exit_code == 2


def test_netlist_prints_complete_deck() -> None:
    result = runner.invoke(app, ["netlist", "dpi-synapse", "--tech", "ekv", "--set", "i_tau=7pA", "--tstop", "50m"])
    assert result.exit_code == 0
    assert "Xbtau vdd vtau bias_p ibias=7e-12" in result.output
    assert ".subckt dpi_synapse" in result.output and ".tran 1e-05 0.05" in result.output


def test_simulate_json_and_out_folder(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = runner.invoke(app, ["simulate", "dpi-synapse", "--set", "i_tau=10p", "--tstop", "80m",
                                 "--out", str(out), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["params"]["i_tau"] == pytest.approx(10e-12)
    assert data["metrics"]["tau_s"] == pytest.approx(data["metrics"]["tau_pred_s"], rel=0.04)
    assert data["metrics"]["peak_current_a"] > 1e-11
    assert data["provenance"]["technology"] == "gf180mcu"
    assert data["provenance"]["versions"]["ngspice"].startswith("39") and data["provenance"]["options"]["method"]
    assert json.loads((out / "run.json").read_text())["provenance"]["files"]  # model files with their SHA-256
    assert sorted(p.name for p in out.iterdir()) == ["metrics.csv", "run.json", "spikes.csv", "waveforms.parquet"]
    waves = pd.read_parquet(out / "waveforms.parquet")
    assert {"time", "i_syn", "v_syn", "v_in"} <= set(waves.columns)
    assert pd.read_csv(out / "metrics.csv")["tau_s"].iloc[0] == pytest.approx(data["metrics"]["tau_s"])


def test_simulate_summary_shows_tau_next_to_closed_form() -> None:
    result = runner.invoke(app, ["simulate", "dpi-synapse", "--tech", "ekv", "--tstop", "0.1"])
    assert result.exit_code == 0, result.output
    assert "tau" in result.output and "closed form" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [(["simulate", "nosuch"], "unknown circuit 'nosuch'; accepted: dpi-synapse"),
     (["simulate", "dpi-synapse", "--set", "i_tau=abc"], "parameter 'i_tau': got 'abc'; accepted: a number in [10 fA, 10 nA]"),
     (["simulate", "dpi-synapse", "--set", "i_tau=1"], "parameter 'i_tau'"),
     (["simulate", "dpi-synapse", "--set", "i_tau=5p\n.include /etc/passwd"], "parameter 'i_tau'"),
     (["simulate", "dpi-synapse", "--set", "bogus=1"], "parameter 'bogus': unknown parameter"),
     (["simulate", "dpi-synapse", "--set", "i_tau"], "expected NAME=VALUE"),
     (["simulate", "dpi-synapse", "--set", "input_kind=burst"], "one of regular, poisson, times"),
     (["simulate", "dpi-synapse", "--tech", "sky999"], "unknown technology 'sky999'; accepted: gf180mcu, sky130, ekv"),
     (["simulate", "dpi-synapse", "--tstop", "-1"], "parameter 'tstop'"),
     (["simulate", "dpi-synapse", "--tstop", "1e9"], "parameter 'tstop'"),
     (["netlist", "dpi-synapse", "--set", "w_out=1"], "parameter 'w_out'"),
     (["characterize", "diode"], "parameter 'device'"),
     (["characterize", "nmos", "--w", "1n"], "parameter 'w'"),
     (["sweep", "dpi-neuron", "-p", "i_nope", "-v", "1n"], "parameter 'i_nope': unknown parameter"),
     (["sweep", "dpi-neuron", "-p", "i_in", "-v", "1n,2x"], "parameter 'i_in': got '2x'"),
     (["sweep", "dpi-neuron", "-p", "i_in", "-v", ","], "'i_in=,': no values"),
     (["sweep", "dpi-synapse", "--vary", "i_tau=1p:10p:1"], "N must be a whole number in [2, 1000]"),
     (["sweep", "dpi-synapse", "--vary", "i_tau=0:10p:3:log"], "parameter 'i_tau'"),
     (["sweep", "dpi-synapse", "--vary", "i_tau=1p:10p:3:cubic"], "START:STOP:N or START:STOP:N:log"),
     (["sweep", "dpi-synapse", "--vary", "i_tau=1p,2p", "--vary", "i_w=1n,2n,3n", "--zip"], "same number of values"),
     (["sweep", "dpi-synapse", "--vary", "i_tau=1p,2p", "--vary", "i_tau=3p"], "varied twice"),
     (["sweep", "dpi-synapse", "--vary", "i_tau=1p,2p", "--set", "i_tau=3p"], "both fixed (--set) and varied"),
     (["sweep", "dpi-synapse", "--vary", "input_kind=1:2:3"], "a range needs a number parameter"),
     (["sweep", "dpi-synapse", "--vary", "i_tau=1p,2p", "--plot"], "parameter 'plot': needs --out"),
     (["sweep", "dpi-synapse", "--vary", "i_tau=1p,2p", "-n", "abc"], "parameter 'samples'"),
     (["sweep", "dpi-synapse"], "give at least one --vary")],
)  # fmt: skip
def test_bad_input_exits_2_with_one_clear_line(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "never"
    extra = ["--out", str(out)] if args[0] == "simulate" and args[1] == "dpi-synapse" else []
    result = runner.invoke(app, args + extra)
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_existing_output_folder_is_not_touched(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    result = runner.invoke(app, ["simulate", "dpi-synapse", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "exists and is not empty" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_characterize_json() -> None:
    result = runner.invoke(app, ["characterize", "pmos", "--tech", "gf180mcu", "--json"])
    data = json.loads(result.output)
    assert 0.6 < data["kappa"] < 0.75 and 1e-18 < data["i0_a"] < 1e-12


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "neurospice", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120, check=False)  # fmt: skip


def test_doctor_reports_and_fails_when_models_missing(tmp_path: Path) -> None:
    ok = _cli("doctor")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "ngspice 39" in ok.stdout and "technology gf180mcu" in ok.stdout
    missing = _cli("doctor", env={"NEUROSPICE_CACHE_DIR": str(tmp_path)})
    assert missing.returncode == 1
    assert "MISSING technology gf180mcu" in missing.stdout and "neurospice fetch gf180mcu" in missing.stdout


def test_python_m_entry_point_exit_status() -> None:
    assert _cli("simulate", "dpi-synapse", "--set", "c_syn=1").returncode == 2


@pytest.mark.parametrize("circuit", ["dpi-neuron", "axon-hillock"])
def test_neuron_simulate_writes_spikes_and_plot(tmp_path: Path, circuit: str) -> None:
    out = tmp_path / "run"
    result = runner.invoke(
        app, ["simulate", circuit, "--set", "i_in=1n", "--tstop", "40m", "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output)["metrics"]
    assert {"n_spikes", "rate_hz", "latency_s", "isi_cv"} <= set(metrics)
    spikes = pd.read_csv(out / "spikes.csv")["spike_time_s"]
    assert len(spikes) == metrics["n_spikes"] >= 3
    assert spikes.iloc[0] == pytest.approx(0.01 + metrics["latency_s"])
    plotted = runner.invoke(app, ["plot", str(out)])
    assert plotted.exit_code == 0, plotted.output
    assert (out / "waveforms.png").stat().st_size > 10_000


def test_plot_refuses_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    result = runner.invoke(app, ["plot", str(tmp_path)])
    assert result.exit_code == 2 and "not a neurospice run folder" in result.output
    assert list(tmp_path.iterdir()) == []


def test_sweep_table_and_csv(tmp_path: Path) -> None:
    out = tmp_path / "fi"
    result = runner.invoke(app, ["sweep", "axon-hillock", "-p", "i_in", "-v", "0.5n,1n,2n", "--tstop", "20m",
                                 "--out", str(out), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["i_in"] for r in rows] == pytest.approx([0.5e-9, 1e-9, 2e-9])
    assert rows[0]["isi_rate_hz"] < rows[1]["isi_rate_hz"] < rows[2]["isi_rate_hz"]
    stored = pd.read_csv(out / "summary.csv").query("metric == 'isi_rate_hz'")
    assert stored["mean"].tolist() == pytest.approx([r["isi_rate_hz"] for r in rows])
    printed = runner.invoke(app, ["sweep", "axon-hillock", "--vary", "i_in=0.5n,1n", "--tstop", "20m"])
    assert printed.exit_code == 0 and "i_in=500 pA" in printed.output and " Hz" in printed.output


@pytest.mark.parametrize("circuit", ["dpi-synapse", "dpi-neuron", "axon-hillock"])
def test_every_metric_is_declared_with_its_unit_and_printed_in_it(circuit: str) -> None:
    """What measure() returns is exactly what the circuit declares; the CLI prints each in its unit."""
    from neurospice.circuits import get_circuit
    from neurospice.sim.simulation import simulate

    c = get_circuit(circuit)
    result = simulate(c, "ekv", tstop=0.03)
    assert list(result.metrics) == [m.name for m in c.metrics]
    assert all(m.predicts in result.metrics for m in c.metrics if m.predicts)
    assert {m.kind for m in c.metrics} <= {"measured", "closed form", "model, measured inputs", "technology", "setting"}
    printed = runner.invoke(app, ["simulate", circuit, "--tech", "ekv", "--tstop", "30m"])
    assert printed.exit_code == 0, printed.output
    for m in c.metrics:
        line = next(ln for ln in printed.output.splitlines() if ln.split()[:1] == [m.name])
        value = result.metrics[m.name]
        if m.unit and np.isfinite(value) and value != 0:
            assert line.split()[2].endswith(m.unit), line  # e.g. "11.56 ms", "545.4 pA"
