"""Schematics as input (issue: real netlists): an xschem ``.sch`` netlisted by the machine's real xschem.

The schematic is xschem's own ``cmos_example.sch`` (a differential pair with a current-mirror load and its
``.dc`` sweep, by Stefan Schippers) as Debian's xschem 2.8.1 package ships it, ported to gf180mcu the way a
designer ports one: its ``nmos4``/``pmos4`` instances get the PDK's model names and its MOSIS model block
becomes the PDK's model lines (with two measures). Everything else, its HSPICE ``.option`` lines, its
``.temp 30``, its ``.probe`` cards included, is as shipped.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from neurospice.cli import app
from neurospice.netlists.xschem import SYSTEM_LIBRARY
from tests.plain import plain_measures

runner = CliRunner()
EXAMPLE = SYSTEM_LIBRARY / "examples" / "cmos_example.sch"
pytestmark = pytest.mark.skipif(shutil.which("xschem") is None, reason="xschem is not installed (make setup)")

MODELS = (
    'C {devices/code} 1010 -190 0 0 {name=MODELS value=".lib '
    "/foss/pdks/gf180mcuD/libs.tech/ngspice/sm141064.ngspice typical\n"
    ".include /foss/pdks/gf180mcuD/libs.tech/ngspice/design.ngspice\n"
    ".meas dc vout_mid find v(diffout) at=1.5\n"
    '.meas dc vout_max max v(diffout)"}'
)


def _ported(folder: Path) -> Path:
    text = EXAMPLE.read_text()
    text = text.replace("model=cmosn", "model=nfet_03v3").replace("model=cmosp", "model=pfet_03v3")
    start = text.index("C {devices/code} 1010 -190 0 0 {name=MOSIS_MODELS")
    text = text[:start] + MODELS + text[text.index('"\n}', start) + 3 :]
    path = folder / "cmos_example.sch"
    path.write_text(text)
    return path


@pytest.mark.ngspice
def test_a_schematic_is_netlisted_by_xschem_and_runs_its_own_dc_sweep_like_plain_ngspice(tmp_path: Path) -> None:
    from neurospice.circuits import get_circuit
    from neurospice.ngspice_models import get_technology
    from neurospice.sim.simulation import simulate

    sch = _ported(tmp_path)
    circuit = get_circuit(str(sch))
    assert circuit.name == str(sch.resolve()) and circuit.provenance()["schematic"] == str(sch.resolve())
    assert len(circuit.source.devices) == 6 and [a.kind for a in circuit.source.analyses] == ["dc"]  # M lines
    notes = "\n".join(circuit.source.notes)
    assert "the run's default temperature is 30 °C" in notes and ".option removed" in notes
    assert circuit.params["temp"].default == 30.0
    result = simulate(str(sch), "gf180mcu")
    # plain ngspice on the netlist xschem wrote: model lines at the verified files, the pinned names, the
    # PDK's statistics off (as the nominal run has them), an output card for batch mode
    models = get_technology("gf180mcu").model_files()
    text = circuit.netlist_path.read_text()
    for name in ("design.ngspice", "sm141064.ngspice"):
        text = text.replace(f"/foss/pdks/gf180mcuD/libs.tech/ngspice/{name}", str(models[name]))
    text = text.replace("nfet_03v3", "nmos_3p3").replace("pfet_03v3", "pmos_3p3")
    text = text.replace(".end\n", ".param sw_stat_global=0 sw_stat_mismatch=0\n.print dc v(diffout)\n.end\n")
    text = re.sub(r"(?m)^\.option.*$", "", text)  # its HSPICE options: ngspice's defaults, as neurospice's deck
    (tmp_path / "plain.spice").write_text(text)
    plain = plain_measures(tmp_path, "plain.spice", r"vout_\w+")
    assert result.metrics["vout_max"] == pytest.approx(plain["vout_max"], rel=1e-4)
    assert result.metrics["vout_mid"] == pytest.approx(plain["vout_mid"], rel=0.01)  # the pair's high-gain point
    assert 0.5 < result.metrics["vout_mid"] < result.metrics["vout_max"] <= 3.0 + 1e-6


def test_a_schematic_holding_tcl_is_refused_before_xschem_starts(tmp_path: Path) -> None:
    sch = _ported(tmp_path)
    sch.write_text(sch.read_text().replace("name=m1 model=nfet_03v3", 'name=m1 model="tcleval(exec touch pwned)"'))
    out = runner.invoke(app, ["show", str(sch)])
    assert out.exit_code == 2 and len(out.output.strip().splitlines()) == 1, out.output
    assert "holds Tcl (tcleval or tclcommand)" in out.output and not (tmp_path / "pwned").exists()
    sym = tmp_path / "evil.sym"
    sym.write_text('v {xschem version=2.8.1 file_version=1.1}\nK {tclcommand="exec touch pwned"}\n')
    sch.write_text(EXAMPLE.read_text())  # the schematic itself as shipped: the symbol beside it is refused
    out = runner.invoke(app, ["show", str(sch)])
    assert out.exit_code == 2 and "evil.sym beside it holds Tcl" in out.output, out.output


def test_without_xschem_a_schematic_is_one_line_saying_how_to_export_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no xschem on it
    out = runner.invoke(app, ["show", str(_ported(tmp_path))])
    assert out.exit_code == 2 and len(out.output.strip().splitlines()) == 1, out.output
    assert "xschem is not installed here" in out.output and "xschem -n -s -q -x -r FILE.sch" in out.output
