"""Hostile input: one line naming the option (exit 2) before any simulation, nothing half-written;
printed bounds are accepted; the Python API refuses wrong types and unsafe simulator options."""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from neurospice.circuits import CIRCUITS, get_circuit
from neurospice.cli import app
from neurospice.montecarlo import monte_carlo
from neurospice.ngspice_models import get_technology
from neurospice.params import Param, ParameterError
from neurospice.params.options import SimOptions
from neurospice.params.units import format_si, parse_si, spice_number
from neurospice.sim.simulation import simulate

pytestmark = pytest.mark.ngspice

runner = CliRunner()
FLOAT_PARAMS = [(c, p) for c in CIRCUITS for p in get_circuit(c).params if p.kind == "float"]


def _one_line_error(output: str, *needles: str) -> None:
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith("error: ") and "Traceback" not in output
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.parametrize(
    ("args", "needles"),
    [(["mismatch", "dpi-synapse", "-n", "abc"], ["parameter 'samples': got 'abc'", "a whole number in [1, 10000000]"]),
     (["mismatch", "dpi-synapse", "--workers", "x"], ["parameter 'workers'"]),
     (["mismatch", "dpi-synapse", "--grace", "-1"], ["parameter 'grace'"]),
     (["precision", "--shuffles", "2.5"], ["parameter 'shuffles'"]),
     (["characterize", "nmos", "--bogus"], ["No such option: --bogus"]),
     (["mismatch", "dpi-synapse", "--bogus"], ["No such option: --bogus"]),
     (["simulate"], ["Missing argument 'CIRCUIT'"]),
     (["sweep", "dpi-synapse", "-p", "i_w", "-v", "1n", "--out", "/proc/x"], ["parameter 'out'", "/proc"]),
     (["sweep", "dpi-synapse", "-p", "i_w", "-v", "1n", "--out", "{tmp}/afile"], ["parameter 'out'", "exists"]),
     (["mismatch", "dpi-synapse", "--out", "{tmp}/afile/sub"], ["parameter 'out'", "is a file, not a folder"]),
     (["mismatch", "dpi-synapse", "--out", "/proc/x"], ["parameter 'out'"]),
     (["simulate", "dpi-synapse", "--out", "{tmp}/afile/sub"], ["parameter 'out'", "is a file"]),
     (["simulate", "dpi-synapse", "--out", "/proc/x"], ["parameter 'out'"]),
     (["precision", "--out", "{tmp}/afile/sub"], ["parameter 'out'"]),
     (["netlist", "dpi-synapse", "--set", "i_w=1n", "--set", "i_w=2n"], ["parameter 'i_w'", "given twice"]),
     (["mismatch", "dpi-synapse", "--dask", "tcp://x y"], ["parameter 'dask'"])],
)  # fmt: skip
def test_cli_bad_input_is_one_line_before_any_simulation(tmp_path: Path, args: list[str], needles: list[str]) -> None:
    (tmp_path / "afile").write_text("keep")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = runner.invoke(app, [a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.exit_code == 2, result.output
    _one_line_error(result.output, *needles)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written
    assert (tmp_path / "afile").read_text() == "keep"


def _printed_bounds(p: Param) -> tuple[str, str]:
    match = re.search(r"\[(.+), (.+)\]", p.accepted())
    assert match is not None
    return match.group(1).replace(" ", ""), match.group(2).replace(" ", "")


@pytest.mark.parametrize(("circuit", "param"), FLOAT_PARAMS, ids=[f"{c}.{p.name}" for c, p in FLOAT_PARAMS])
def test_every_printed_bound_is_accepted(circuit: str, param: Param) -> None:
    for text, bound in zip(_printed_bounds(param), (param.low, param.high), strict=True):
        if math.isfinite(bound):
            assert param.coerce(text) == bound, text


def test_cli_accepts_the_maximum_show_prints(tmp_path: Path) -> None:
    assert "[10 fA, 100 nA]" in runner.invoke(app, ["show", "dpi-synapse"]).output
    result = runner.invoke(app, ["netlist", "dpi-synapse", "--set", "i_w=100n"])
    assert result.exit_code == 0, result.output
    assert "ibias=1e-07" in result.output


def test_resume_refuses_options_that_change_what_is_stored(tmp_path: Path) -> None:
    out = tmp_path / "run"
    base = ["mismatch", "axon-hillock", "-n", "2", "--tstop", "15m", "--out", str(out), "--quiet"]
    assert runner.invoke(app, base).exit_code == 0
    for extra, key in ((["--keep-waveforms"], "keep_waveforms"), (["--keep-spikes"], "keep_spikes")):
        result = runner.invoke(app, [*base, "--resume", *extra])
        assert result.exit_code == 2
        _one_line_error(result.output, "parameter 'resume'", f"differs in: {key}")


def test_outputs_get_normal_permissions(tmp_path: Path, umask_022: None) -> None:
    sim, mc, sweep = tmp_path / "sim", tmp_path / "mc", tmp_path / "sweep"
    assert runner.invoke(app, ["simulate", "dpi-synapse", "--tstop", "20m", "--out", str(sim)]).exit_code == 0
    assert (
        runner.invoke(app, ["mismatch", "axon-hillock", "-n", "2", "--tstop", "15m", "--out", str(mc)]).exit_code == 0
    )
    result = runner.invoke(
        app, ["sweep", "dpi-synapse", "-p", "i_w", "-v", "1n", "--tstop", "20m", "--out", str(sweep)]
    )
    assert result.exit_code == 0, result.output
    folders = [sim, mc, mc / "samples", sweep, sweep / "samples"]
    files = [*sim.iterdir(), mc / "manifest.json", *(mc / "samples").iterdir(), sweep / "summary.csv"]
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in folders} == {"0o755"}
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {"0o644"}
    assert set(pd.read_csv(sweep / "summary.csv")["i_w"]) == {1e-9}


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"method": "gear\n.control\nshell touch /tmp/neurospice-pwned\n.endc"}, "method"), ({"gmin": -1}, "gmin"),
     ({"abstol": float("nan")}, "abstol"), ({"reltol": float("inf")}, "reltol"), ({"chgtol": "1e-16"}, "chgtol"),
     ({"points": 2.5}, "points"), ({"points": 0}, "points"), ({"reltol": True}, "reltol"), ({"xmu": 0.6}, "xmu"),
     ({"xmu": 0}, "xmu"), ({"xmu": "0.49\n.control"}, "xmu")],
)  # fmt: skip
def test_sim_options_refuse_anything_but_numbers_and_known_words(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(ParameterError, match=f"parameter '{name}'"):
        SimOptions(**kwargs)  # type: ignore[arg-type]


def test_api_wrong_types_name_the_argument() -> None:
    with pytest.raises(ParameterError, match="parameter 'overrides'"):
        simulate("dpi-synapse", "ekv", "abc")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="parameter 'overrides'"):
        monte_carlo("dpi-synapse", samples=2, seed=1, overrides="abc")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="parameter 'options'"):
        simulate("dpi-synapse", "ekv", options="method=trap")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="parameter 'circuit'"):
        simulate(42, "ekv")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="parameter 'technology'"):
        simulate("dpi-synapse", ["ekv"])  # type: ignore[arg-type]
    for workers in (0, -1, 2.5, True):
        with pytest.raises(ParameterError, match="parameter 'workers'"):
            monte_carlo("dpi-synapse", samples=2, seed=1, workers=workers)  # type: ignore[arg-type]


def test_simulate_accepts_names() -> None:
    result = simulate("dpi-synapse", "ekv", {"i_tau": "10p"}, tstop=0.05)
    assert result.circuit == "dpi-synapse" and result.technology == "ekv" and result.metrics["tau_s"] > 0


# ------------------------------------------------------------------ properties of the value parser and the deck

INJECTIONS = ["\n.control\nshell touch X\n.endc", "\n.include /etc/passwd", "{5p}", "'5p'", "5p ; x", "$x", "*x",
              "5p\r\nX1 a b c", "5p)", "=5p", "5p,1"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(FLOAT_PARAMS), st.text(max_size=8), st.sampled_from(INJECTIONS), st.text(max_size=8))
def test_spice_syntax_never_reaches_a_deck(item: tuple[str, Param], head: str, payload: str, tail: str) -> None:
    circuit, param = item
    with pytest.raises(ParameterError, match=f"parameter '{param.name}'"):
        get_circuit(circuit).params.resolve({param.name: head + payload + tail})


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(list(CIRCUITS)), st.text(max_size=24))
def test_any_accepted_text_reaches_the_deck_as_a_plain_number_or_declared_word(circuit: str, text: str) -> None:
    c = get_circuit(circuit)
    for p in c.params:
        try:
            value = p.coerce(text)
        except ParameterError:
            continue
        if p.kind == "choice":
            assert value in p.choices
        else:
            numbers = value if isinstance(value, tuple) else (value,)
            assert all(isinstance(v, (int, float)) and math.isfinite(v) for v in numbers)
        if p.name == "corner":
            continue  # a corner is checked against the technology's own (ekv has none but typical)
        # the deck depends on the validated value only, never on the text it came from
        tech = get_technology("ekv")
        as_value = list(value) if isinstance(value, tuple) else value
        assert c.deck(c.params.resolve({p.name: text}), tech, 1e-3) == c.deck(
            c.params.resolve({p.name: as_value}), tech, 1e-3
        )


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(FLOAT_PARAMS), st.floats(0, 1))
def test_every_accepted_value_round_trips(item: tuple[str, Param], u: float) -> None:
    _, p = item
    low, high = (max(p.low, -1e30), min(p.high, 1e30))
    x = low + u * (high - low)
    assert p.coerce(spice_number(x)) == pytest.approx(x, rel=1e-12)  # exact, or the bound it is within 1e-12 of
    assert p.coerce(x) == p.coerce(spice_number(x))
    text = format_si(x, p.unit, digits=17).replace(" ", "")
    assert p.coerce(text) == pytest.approx(x, rel=1e-11, abs=1e-300)
    assert parse_si(spice_number(x)) == x
