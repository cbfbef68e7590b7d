"""A user's own netlist, as xschem or another tool exports it: imported, simulated, mismatched, reported.

The example netlists are real circuits at transistor level (an Axon-Hillock neuron on sky130 in
xschem's export style, one on GF180MCU instantiating the PDK's own subcircuits); the broken ones
each carry one fault.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from neurospice.circuits import get_circuit
from neurospice.cli import app
from neurospice.montecarlo import monte_carlo
from neurospice.netlists.imported import NetlistImportError, read_user_netlist
from neurospice.ngspice_models import fetch_sky130, get_technology
from neurospice.params import ParameterError
from neurospice.sim.simulation import simulate

ROOT = Path(__file__).resolve().parents[1]
SKY_AH = ROOT / "examples" / "axon_hillock_sky130.spice"
DATA = Path(__file__).parent / "data" / "user"
GF_AH = DATA / "axon_hillock_gf180.spice"
runner = CliRunner()


def test_an_xschem_export_is_imported_with_its_changes_reported() -> None:
    net = read_user_netlist(SKY_AH)
    assert net.params == {"iin": 1e-9, "cmem": 1e-12, "cfb": 0.5e-12, "vpw": 0.5}  # mc_mm_switch is the PDK's
    assert net.technologies == {"sky130"} and [d.instance for d in net.devices] == [f"xm{i}" for i in range(1, 7)]
    assert net.devices[0].w == "1" and net.devices[5].l == "2"  # µm, as the PDK expects, quoted sizes skipped
    assert set(net.nodes) == {"vdd", "vinv", "vmem", "vout", "vpw", "vrst"}
    notes = "\n".join(net.notes)
    for removed in (".control block removed", "sky130.lib.spice replaced", ".save removed", ".option removed",
                    "mc_mm_switch left to the technology", ".end removed"):  # fmt: skip
        assert removed in notes, removed
    body = "\n".join(net.body)
    assert "/home/someone" not in body.replace("* .lib /home/someone", "")  # the author's path never reaches a deck
    assert "wrdata" not in body and "plot" not in body


@pytest.mark.parametrize(
    ("name", "message"),
    [("syntax_error.spice", "line 5: not a SPICE element or command"),
     ("foreign_include.spice", "line 2: .include /home/someone/my_cells/special.spice: outside the folders a netlist may include from"),
     ("no_devices.spice", "no transistor of a supported PDK"),
     ("binary.spice", "a binary file"),
     ("missing.spice", "no such file")],
)  # fmt: skip
def test_a_netlist_it_cannot_handle_is_one_error_naming_the_line(name: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(NetlistImportError, match=message):
        read_user_netlist(DATA / name)
    out = tmp_path / "never"
    result = runner.invoke(app, ["simulate", str(DATA / name), "--tech", "sky130", "--out", str(out)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: parameter 'circuit'") and message in lines[0]
    assert not out.exists()


@pytest.mark.ngspice
def test_gf180_netlist_with_the_pdk_subcircuits_fires_with_the_charge_balance_period() -> None:
    """An Axon-Hillock period is (C_mem + C_fb) V_hys / I_in plus the reset; V_hys = V_dd C_fb/(C_mem + C_fb)."""
    result = simulate(str(GF_AH), "gf180mcu", {"spike_node": "vout"}, tstop=0.01)
    m = result.metrics
    assert m["n_spikes"] >= 5
    t_low = (1e-12 + 0.5e-12) * (3.3 * 0.5 / 1.5) / 1e-9  # 1.65 ms: the charging phase alone
    assert t_low < 1 / m["isi_rate_hz"] < 1.25 * t_low  # the reset adds a little
    doubled = simulate(str(GF_AH), "gf180mcu", {"spike_node": "vout", "iin": 2e-9}, tstop=0.01).metrics
    assert doubled["isi_rate_hz"] > 1.7 * m["isi_rate_hz"]  # the .param override reaches the netlist


@pytest.mark.ngspice
@pytest.mark.slow
def test_sky130_xschem_export_simulates_mismatches_and_reports(tmp_path: Path) -> None:
    fetch_sky130()
    result = runner.invoke(app, ["simulate", str(SKY_AH), "--tech", "sky130", "--spike-node", "vout",
                                 "--tstop", "20m", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output)["metrics"]
    assert metrics["n_spikes"] >= 15 and 800 < metrics["isi_rate_hz"] < 1400
    out = tmp_path / "mc"
    mc = runner.invoke(app, ["mismatch", str(SKY_AH), "--tech", "sky130", "--spike-node", "vout", "-n", "16",
                             "--tstop", "20m", "--out", str(out), "--report", "--json", "--quiet"])  # fmt: skip
    assert mc.exit_code == 0, mc.output
    data = json.loads(mc.output)
    assert data["ok"] == 16 and data["metrics"]["isi_rate_hz"]["cv"] > 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["circuit_source"]["sha256"] and manifest["params"]["spike_node"] == "vout"
    assert "isi_rate_hz" in (out / "report.html").read_text()


@pytest.mark.ngspice
def test_pelgrom_mode_offsets_every_transistor_and_moves_the_period() -> None:
    """Offsets drawn per device from the technology's law, applied as a gate series source, stored by instance."""
    table = monte_carlo(str(GF_AH), "gf180mcu", samples=6, seed=3, overrides={"spike_node": "vout"}, tstop=0.006,
                        mismatch="pelgrom", workers=2)  # fmt: skip
    offsets = table.filter(like="dvt_top.")
    assert list(offsets.columns) == [f"dvt_top.xm{i}" for i in range(1, 7)]
    sigma = get_technology("gf180mcu").nmos.sigma_vt(1e-6, 2e-6)
    assert 0 < offsets["dvt_top.xm6"].abs().max() < 5 * sigma
    assert (table["status"] == "ok").all() and table["isi_rate_hz"].std() > 0
    circuit = get_circuit(str(GF_AH))
    values = circuit.values({"spike_node": "vout"}, get_technology("gf180mcu"))
    bench = circuit.bind(values, get_technology("gf180mcu"), 1e-3).body({"top.xm6": 0.01})
    assert "Vdvt_xm6 vpw vpw_dvt_xm6 0.01" in bench and "XM6 vrst vpw_dvt_xm6 0 0 nmos_3p3" in bench


def test_the_netlist_must_run_on_its_own_technology_and_spike_node_must_exist() -> None:
    circuit = get_circuit(str(SKY_AH))
    with pytest.raises(ParameterError, match=r"uses sky130 devices .*--tech sky130"):
        circuit.values({}, get_technology("gf180mcu"))
    with pytest.raises(ParameterError, match=r"spike_node.*one of none, vdd, vinv, vmem, vout"):
        circuit.values({"spike_node": "out"}, get_technology("sky130"))
    with pytest.raises(ParameterError, match="parameter 'iin'"):
        circuit.values({"iin": "1 nA; .include x"}, get_technology("sky130"))
    assert np.isclose(float(circuit.values({"iin": "2n"}, get_technology("sky130"))["iin"]), 2e-9)


def test_a_sidecar_declares_units_ranges_spike_node_and_length(tmp_path: Path) -> None:
    circuit = get_circuit(str(SKY_AH))  # examples/axon_hillock_sky130.toml beside it
    assert circuit.params["iin"].unit == "A" and circuit.params["iin"].accepted() == "a number in [10 pA, 100 nA]"
    assert circuit.params["spike_node"].default == "vout" and circuit.default_tstop == pytest.approx(0.02)
    with pytest.raises(ParameterError, match=r"parameter 'iin': got '1'; accepted: a number in \[10 pA, 100 nA\]"):
        circuit.values({"iin": "1"}, get_technology("sky130"))
    netlist = tmp_path / "ah.spice"
    netlist.write_text(SKY_AH.read_text())
    for text, message in (("tstep = 1", "unknown keys"), ("spike_node = 'nowhere'", "not a node"),
                          ("[params.iin]\nlow = '2n'", "out of range"), ("[params.nope]\nunit = 'A'", "params.nope"),
                          ("tstop = [", "not valid TOML")):  # fmt: skip
        netlist.with_suffix(".toml").write_text(text)
        with pytest.raises(NetlistImportError, match=message):
            get_circuit(str(netlist))


SKY_DPI = ROOT / "examples" / "dpi_neuron_sky130.spice"


def test_devices_inside_the_netlists_own_subcircuits_are_found_once_per_instance() -> None:
    circuit = get_circuit(str(SKY_DPI))
    values = circuit.values({}, get_technology("sky130"))
    devices = circuit.devices(values)
    names = [d.name for d in devices]
    assert names[:5] == [f"xb{i}" for i in range(1, 6)]  # the shared bias diodes, top level
    assert len(names) == 5 + 2 * 18 and len(set(names)) == len(names)
    assert "x1.xml3" in names and "x2.xml3" in names
    xmr1 = next(d for d in devices if d.name == "x1.xmr1")
    assert (xmr1.kind, xmr1.w, xmr1.l) == ("pmos", pytest.approx(0.42e-6), pytest.approx(4e-6))
    # each instance's offset is a parameter of its own instance line, passed down to the gate source
    bench = circuit.bind(values, get_technology("sky130"), 0.01).body({d.key: 0.001 * i for i, d in enumerate(devices)})
    assert "dvt_xml3=0" in bench  # the subcircuit's default
    assert "Vdvt_xml3 vlk vlk_dvt_xml3 {dvt_xml3}" in bench
    x1 = next(line for line in bench.splitlines() if line.startswith("x1 "))
    x2 = next(line for line in bench.splitlines() if line.startswith("x2 "))
    k1, k2 = names.index("x1.xml3"), names.index("x2.xml3")
    assert float(x1.split("dvt_xml3=")[1].split()[0]) == pytest.approx(0.001 * k1)
    assert x1.split("dvt_xml3=")[1].split()[0] != x2.split("dvt_xml3=")[1].split()[0]
    assert float(x2.split("dvt_xml3=")[1].split()[0]) == pytest.approx(0.001 * k2)


def test_flavours_and_multipliers_set_each_devices_sigma(tmp_path: Path) -> None:
    sky = get_technology("sky130")
    lvt, std = sky.device("nmos", "sky130_fd_pr__nfet_01v8_lvt"), sky.device("nmos", "sky130_fd_pr__nfet_01v8")
    # the PDK's sw_mm_vth0: 5.456 mV um (lvt) against 3.356 mV um (standard, with its size factor)
    assert lvt.sigma_vt(1e-6, 1e-6) == pytest.approx(5.456e-3, rel=1e-9)
    assert std.sigma_vt(1e-6, 1e-6) == pytest.approx(3.356e-3 * (0.008 * 8 + 0.992) * (0.035 * 7 + 0.965)
                                                     * (0.001 * 56 + 0.999), rel=1e-9)  # fmt: skip
    assert sky.device("pmos", "sky130_fd_pr__pfet_01v8_hvt").sigma_vt(1e-6, 1e-6) == pytest.approx(5.5e-3)
    text = SKY_AH.read_text().replace("sky130_fd_pr__nfet_01v8 L=2 W=1", "sky130_fd_pr__nfet_01v8_lvt L=2 W=1")
    text = text.replace("XM1 vinv vmem GND GND sky130_fd_pr__nfet_01v8 L=1 W=1", "XM1 vinv vmem GND GND "
                        "sky130_fd_pr__nfet_01v8 L=1 W=1", 1)  # fmt: skip
    net = tmp_path / "ah.spice"
    net.write_text(text.replace("sa=0 sb=0 sd=0 mult=1 m=1", "sa=0 sb=0 sd=0 mult=1 m=4", 1))
    circuit = get_circuit(str(net))
    sigmas = circuit.device_sigmas(circuit.values({}, sky), sky)
    assert sigmas["xm6"] == pytest.approx(5.456e-3 / np.sqrt(2))  # lvt, 1 x 2 um
    assert sigmas["xm1"] == pytest.approx(std.sigma_vt(1e-6, 1e-6) / 2)  # m=4: four devices in parallel


def test_describe_names_a_description_file_anywhere(tmp_path: Path) -> None:
    netlist = tmp_path / "neuron.spice"
    netlist.write_text(SKY_DPI.read_text())
    plain = get_circuit(str(netlist))  # no NETLIST.toml beside it: .params unbounded, no spike node
    assert plain.params["spike_node"].default == "none" and plain.params["iin"].unit == ""
    desc = tmp_path / "elsewhere" / "neuron.toml"
    desc.parent.mkdir()
    desc.write_text(SKY_DPI.with_suffix(".toml").read_text())
    described = get_circuit(str(netlist), str(desc))
    assert described.params["spike_node"].default == "out1" and described.params["iin"].unit == "A"
    assert described.params["spike_onset"].default == pytest.approx(5e-3)
    assert described.provenance()["description"] == str(desc.resolve())
    shown = runner.invoke(app, ["show", str(netlist), "--describe", str(desc)])
    assert shown.exit_code == 0 and "DC input current into each neuron" in shown.output
    missing = runner.invoke(app, ["netlist", str(netlist), "--tech", "sky130", "--describe", str(tmp_path / "no.toml")])
    assert missing.exit_code == 2 and "'describe'" in missing.output and "no such file" in missing.output
    builtin = runner.invoke(app, ["show", "dpi-neuron", "--describe", str(desc)])
    assert builtin.exit_code == 2 and "'describe'" in builtin.output


@pytest.mark.ngspice
@pytest.mark.slow
def test_sky130_dpi_neuron_export_fires_and_each_instance_has_its_own_mismatch(tmp_path: Path) -> None:
    """Two DPI neurons in one xschem export: a weaker refractory discharge in x1 alone slows x1 and not x2."""
    from neurospice.engines import get_engine

    fetch_sky130()
    sky = get_technology("sky130")
    circuit = get_circuit(str(SKY_DPI))
    values = circuit.values({"spike_onset": "5m"}, sky)

    costs: list[dict[str, float]] = []

    def rates(offsets: dict[str, float]) -> tuple[float, float]:
        vectors = get_engine().simulate(circuit.deck(values, sky, 0.025, offsets=offsets), sky.ngspice_settings)
        waves = circuit.waveforms(vectors)
        costs.append(circuit.cost(circuit.bind(values, sky, 0.025), waves))
        return tuple(  # type: ignore[return-value]
            circuit.measure(circuit.bind(values.replace({"spike_node": node}), sky, 0.025), waves)["isi_rate_hz"]
            for node in ("out1", "out2")
        )

    zero = {d.key: 0.0 for d in circuit.devices(values)}
    base = rates(zero)
    assert 150 < base[0] < 300 and base[0] == pytest.approx(base[1], rel=1e-3)  # identical neurons, identical rates
    # before the input, the supply delivers the five reference currents (101.6 nA) and little else
    assert costs[0]["power_static_w"] == pytest.approx(1.8 * (50e-12 + 5e-12 + 1e-9 + 100e-9 + 500e-12), rel=0.05)
    assert costs[0]["area_transistors_um2"] == pytest.approx(5 + 2 * (6 * 1 + 10 * 0.5 + 0.42 * 4 + 1 * 4))
    weaker = rates({**zero, "top.x1.xmr3": 0.03})  # I_ref falls by exp(-kappa 30 mV / U_T), about 0.42x
    assert weaker[0] < 0.9 * base[0]  # a longer refractory period: x1 fires less often
    assert weaker[1] == pytest.approx(base[1], rel=1e-3)  # x2's MR3 is its own device
    # pelgrom mode reloads the deck per sample (4.7 s on sky130): 8 samples keep the test short
    mc = runner.invoke(app, ["mismatch", str(SKY_DPI), "--tech", "sky130", "--mismatch", "pelgrom", "-n", "8",
                             "--tstop", "25m", "--out", str(tmp_path / "mc"), "--report", "--json", "--quiet"])  # fmt: skip
    assert mc.exit_code == 0, mc.output
    data = json.loads(mc.output)
    assert data["ok"] == 8 and data["metrics"]["isi_rate_hz"]["cv"] > 0.02
    table = json.loads((tmp_path / "mc" / "manifest.json").read_text())
    assert table["circuit_source"]["description_sha256"]
    report = (tmp_path / "mc" / "report.html").read_text()
    assert "isi_rate_hz" in report and "8 usable samples for 41 devices: need at least 44" in report
    from neurospice import load_run

    stored = load_run(tmp_path / "mc")
    assert {"dvt_top.x1.xml3", "dvt_top.x2.xml3", "dvt_top.xb1"} <= set(stored.columns)
    assert stored["dvt_top.x1.xml3"].std() > 0 and not np.allclose(stored["dvt_top.x1.xml3"], stored["dvt_top.x2.xml3"])
