"""The other failures of the hostile-input pass (issue 21): each gets one line naming what is wrong (exit 2) or
works, and nothing half-written. Real ngspice, real models."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from neurospice.cli import app
from neurospice.netlists.imported import NetlistImportError, read_user_netlist
from neurospice.store import load_run
from neurospice.store.runs import RunFolderError

pytestmark = pytest.mark.ngspice
runner = CliRunner()

NETLIST = """* a diode-connected nFET
.param ib=10n
Vdd vdd 0 3.3
Ib vdd d {ib}
XM1 d d 0 0 nmos_3p3 L=1u W=1u
"""


def _one_line(output: str, *needles: str) -> None:
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in output, output
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_a_netlist_under_a_folder_named_error_simulates_and_every_sample_runs(tmp_path: Path) -> None:
    """ngspice echoes the deck's title; the title holds no user text and loads are judged by ngspice's status."""
    folder = tmp_path / "error_budget"
    folder.mkdir()
    path = folder / "terror.spice"
    path.write_text(NETLIST)
    result = runner.invoke(app, ["simulate", str(path), "--tstop", "1m"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["mismatch", str(path), "--tstop", "1m", "-n", "2", "--out", str(tmp_path / "run")])
    assert result.exit_code == 0 and "2 ok, 0 failed" in result.output, result.output


def test_a_report_of_a_run_with_nothing_to_show_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.spice"
    bad.write_text(NETLIST + "Vx d 0 1\nVy d 0 2\n")  # two sources across one node: every sample fails
    run = tmp_path / "run"
    result = runner.invoke(app, ["mismatch", str(bad), "--tstop", "1m", "-n", "2", "--out", str(run), "--report"])
    assert result.exit_code == 1 and "Traceback" not in result.output and "no sample succeeded" in result.output
    assert not (run / "report.html").exists()
    result = runner.invoke(app, ["report", str(run)])
    assert result.exit_code == 2
    _one_line(result.output, "parameter 'run_dir'", "nothing to report", "2 of 2 stored, all failed")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "manifest.json").write_text((run / "manifest.json").read_text())
    result = runner.invoke(app, ["report", str(empty)])
    assert result.exit_code == 2
    _one_line(result.output, "nothing to report", "0 of 2 stored", "2 not run yet")


@pytest.mark.parametrize("field", [("samples", 10**12), ("samples", -3), ("seed", "x"), ("seed", 2**70)])
def test_a_manifest_with_absurd_fields_is_refused_at_once(field: tuple[str, object], tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    manifest = {"format": "neurospice-mc-1", "circuit": "dpi-synapse", "samples": 4, "seed": 1, field[0]: field[1]}
    (run / "manifest.json").write_text(json.dumps(manifest))
    start = time.monotonic()
    with pytest.raises(RunFolderError, match=f"'{field[0]}'"):
        load_run(run)
    assert time.monotonic() - start < 1.0
    result = runner.invoke(app, ["report", str(run)])
    assert result.exit_code == 2
    _one_line(result.output, "malformed manifest", f"'{field[0]}'")


def test_a_sweep_over_a_choice_parameter_works_and_draws(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    result = runner.invoke(app, ["sweep", "dpi-synapse", "--vary", "input_kind=regular,poisson", "--tstop", "20m",
                                 "-n", "2", "--out", str(out), "--plot"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "input_kind=poisson" in result.output and (out / "sweep.png").stat().st_size > 10_000


@pytest.mark.parametrize(
    ("args", "needles"),
    [(["--clusters", "0,1"], ["parameter 'clusters'", "[1, 16]"]),
     (["--clusters", "1,100000"], ["parameter 'clusters'", "[1, 16]"]),
     (["--clusters", "1" * 400], ["parameter 'clusters'"]),
     (["--bits", "-1"], ["parameter 'bits'", "(0, 24]"]),
     (["--bits", "0"], ["parameter 'bits'"]),
     (["--bits", "100"], ["parameter 'bits'"])],
)  # fmt: skip
def test_budget_targets_are_checked_before_anything_runs(args: list[str], needles: list[str], tmp_path: Path) -> None:
    out = tmp_path / "never"
    start = time.monotonic()
    result = runner.invoke(app, ["budget", "dpi-neuron", *args, "--out", str(out)])
    assert result.exit_code == 2 and time.monotonic() - start < 20
    _one_line(result.output, *needles)
    assert not out.exists()


@pytest.fixture
def not_a_scheduler() -> Iterator[int]:
    """A loopback server that accepts connections and never answers (what a web server does to dask)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


def test_a_dask_address_where_no_scheduler_answers_is_one_line_within_seconds(
    not_a_scheduler: int, tmp_path: Path
) -> None:
    out = tmp_path / "never"
    start = time.monotonic()
    result = runner.invoke(app, ["mismatch", "dpi-synapse", "-n", "2", "--dask", f"tcp://127.0.0.1:{not_a_scheduler}",
                                 "--out", str(out)])  # fmt: skip
    assert result.exit_code == 2 and time.monotonic() - start < 30
    _one_line(result.output, "parameter 'dask'", "not as a dask scheduler")
    assert not out.exists()


def test_a_sweep_states_its_total_and_refuses_an_absurd_one(tmp_path: Path) -> None:
    result = runner.invoke(app, ["sweep", "dpi-synapse", "--vary", "i_tau=1p:8p:1000", "-n", "100000"])
    assert result.exit_code == 2
    _one_line(result.output, "100000000 simulations", "at most 10000000")
    result = runner.invoke(app, ["sweep", "dpi-synapse", "--vary", "i_tau=1p:8p:1000", "-n", "100"])
    assert result.exit_code == 2
    _one_line(result.output, "parameter 'allow-large'", "100000 simulations")
    result = runner.invoke(app, ["sweep", "dpi-synapse", "--vary", "i_tau=2p,4p", "--tstop", "20m"])
    assert result.exit_code == 0 and "sweep: 2 points x 1 nominal run = 2 simulations" in result.output


def test_plot_out_never_overwrites_a_file(tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert runner.invoke(app, ["simulate", "dpi-synapse", "--tstop", "20m", "--out", str(run)]).exit_code == 0
    target = tmp_path / "mine.png"
    target.write_text("keep me")
    result = runner.invoke(app, ["plot", str(run), "--out", str(target)])
    assert result.exit_code == 2
    _one_line(result.output, "parameter 'out'", "exists")
    assert target.read_text() == "keep me"


def test_a_nan_metric_is_skipped_by_the_plot_and_the_run_succeeds(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    result = runner.invoke(app, ["sweep", "dpi-synapse", "--vary", "i_tau=2p:8p:3:log", "-n", "2", "--tech", "ekv",
                                 "--tstop", "20m", "--out", str(out), "--plot"])  # fmt: skip
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output


def test_a_library_value_error_is_an_internal_error_not_bad_input() -> None:
    import typer

    from neurospice.cli.common import guard

    def matplotlib_fails() -> None:
        import matplotlib.colors

        matplotlib.colors.to_rgba("not a colour")

    with pytest.raises(typer.Exit) as info:
        guard(matplotlib_fails)
    assert info.value.exit_code == 1


def test_an_unexpected_error_is_one_line_naming_the_step(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug (here a KeyError inside the sweep) is exit 1 with one line naming what the command was doing."""
    import neurospice.studies.design

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(neurospice.studies.design, "design_sweep", broken)
    result = runner.invoke(app, ["sweep", "axon-hillock", "--vary", "i_in=1n,2n", "--quiet"])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    _one_line(result.output, "internal error in the sweep", "KeyError")
    bad = runner.invoke(app, ["sweep", "axon-hillock", "--vary", "i_in=1n,2x"])  # the user's own mistake: still 2
    assert bad.exit_code == 2


def test_a_pdk_file_of_another_technology_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "mixed.spice"
    path.write_text(NETLIST + ".lib /somewhere/sky130A/libs.tech/ngspice/sky130.lib.spice tt\n")
    result = runner.invoke(app, ["simulate", str(path), "--tech", "gf180mcu", "--tstop", "1m"])
    assert result.exit_code == 2
    _one_line(result.output, "parameter 'technology'", "line 6 loads sky130's models")


def test_a_1500_deep_subcircuit_chain_is_one_line_in_pelgrom_mode(tmp_path: Path) -> None:
    lines = ["* a deep chain", "Vdd vdd 0 3.3", "Ib vdd d 10n", "X0 d s0"]
    for i in range(1500):
        inner = f"X{i} a s{i + 1}" if i < 1499 else "R1 a 0 1G"
        lines += [f".subckt s{i} a", f"XM{i} a a 0 0 nmos_3p3 L=1u W=1u", inner, f".ends s{i}"]
    path = tmp_path / "deep.spice"
    path.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["mismatch", str(path), "--tstop", "1m", "-n", "2", "--mismatch", "pelgrom"])
    assert result.exit_code == 2
    _one_line(result.output, "parameter 'mismatch'", "nested deeper than 64 levels")


def test_a_netlist_with_no_top_level_is_refused_saying_what_to_add(tmp_path: Path) -> None:
    path = tmp_path / "pex.spice"
    path.write_text("* a layout extraction\n.subckt inv a y vdd vss\nXM1 y a vss vss nmos_3p3 L=1u W=1u\n"
                    "XM2 y a vdd vdd pmos_3p3 L=1u W=2u\n.ends inv\n")  # fmt: skip
    with pytest.raises(NetlistImportError, match="no testbench"):
        read_user_netlist(path)
    result = runner.invoke(app, ["show", str(path)])
    assert result.exit_code == 2
    _one_line(result.output, "no testbench", "add a top level that instantiates it")
