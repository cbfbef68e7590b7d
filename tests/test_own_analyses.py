"""A netlist's own analyses and measures (issue: real netlists): ``.op``, ``.dc``, ``.ac``, ``.tran`` and
``.meas``, as cards or as commands of its ``.control`` block, run by neurospice and compared with plain ngspice.

The two testbenches are written in the form xschem exports for gf180mcu (today's device names, the model
block, the analyses in a ``.control`` block or as cards): a five-transistor OTA driving 1 pF (``.op`` and
``.ac``, gain, unity-gain frequency, phase) and a beta-multiplier current reference (``.op`` and a ``.dc``
sweep of the supply, its line regulation as a ``param=`` measure).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from neurospice.cli import app
from neurospice.netlists.imported import NetlistImportError, read_user_netlist
from neurospice.sim.simulation import simulate
from tests.plain import plain_measures

ROOT = Path(__file__).resolve().parents[1]
OTA = ROOT / "tests" / "data" / "user" / "ota5t_gf180.spice"
BETA = ROOT / "tests" / "data" / "user" / "beta_multiplier_gf180.spice"
runner = CliRunner()


def _plain_ngspice(tmp_path: Path, netlist: Path, edits: dict[str, str] | None = None) -> dict[str, float]:
    """The netlist as its author runs it, in plain ``ngspice -b``: model lines pointing at the verified files,
    the pinned release's device names (proved the same cards); the measures ngspice prints."""
    from neurospice.ngspice_models import get_technology

    models = get_technology("gf180mcu").model_files()
    text = netlist.read_text()
    for old, new in (edits or {}).items():
        assert old in text
        text = text.replace(old, new)
    for name in ("design.ngspice", "sm141064.ngspice"):
        text = text.replace(f"/foss/pdks/gf180mcuD/libs.tech/ngspice/{name}", str(models[name]))
    text = text.replace("nfet_03v3", "nmos_3p3").replace("pfet_03v3", "pmos_3p3")
    # design.ngspice turns the PDK's global and mismatch variation on by default: each plain run is a random
    # sample (the OTA's output at 2.03, 1.95, 3.18 V in three runs). The nominal run turns both off.
    include = f".include {models['design.ngspice']}\n"
    text = text.replace(include, include + ".param sw_stat_global=0 sw_stat_mismatch=0\n")
    (tmp_path / "plain.spice").write_text(text)
    return plain_measures(tmp_path, "plain.spice")


def test_analyses_and_measures_are_read_as_data_from_cards_and_from_the_control_block() -> None:
    ota, beta = read_user_netlist(OTA), read_user_netlist(BETA)
    assert [a.kind for a in ota.analyses] == ["op", "ac"]  # from its .control block
    assert [a.card() for a in beta.analyses] == [".op", ".dc vdd 1.8 3.6 0.05"]  # cards
    assert [m.name for m in ota.measures] == ["gain_db", "ugf", "pm"]
    assert [(m.unit, m.analysis) for m in ota.measures] == [("dB", "ac"), ("Hz", "ac"), ("rad", "ac")]
    assert [m.unit for m in beta.measures] == ["A", "A", ""]
    assert beta.measures[2].expression == "(i_hi-i_lo)/i_lo/0.8"
    assert ota.measures[1].command({}) == "meas ac ugf when vdb(out)=0"
    notes = "\n".join(ota.notes)
    assert ".control block removed (its analyses and measures read as data)" in notes


@pytest.mark.ngspice
def test_an_ota_s_ac_measures_equal_plain_ngspice_s(tmp_path: Path) -> None:
    result = simulate(str(OTA), "gf180mcu")
    plain = _plain_ngspice(tmp_path, OTA)
    assert result.tstop == 0  # its own analyses hold no transient: none is run
    for name in ("gain_db", "ugf", "pm"):
        assert result.metrics[name] == pytest.approx(plain[name], rel=1e-5), name  # ngspice prints 7 digits
    m = result.metrics
    # physics: a 5-transistor OTA at 1 uA, 1 pF: about 50 dB, g_m / (2 pi C_L) in the MHz, about 90 degrees
    assert 40 < m["gain_db"] < 60 and 0.5e6 < m["ugf"] < 5e6 and 1.3 < m["pm"] < 1.6
    assert m["op_i_vdd"] == pytest.approx(2e-6, rel=0.05)  # I_bias and the tail's copy
    assert m["power_w"] == pytest.approx(3.3 * m["op_i_vdd"], rel=1e-9)


@pytest.mark.ngspice
def test_a_bias_generator_s_dc_sweep_and_param_measure_equal_plain_ngspice_s(tmp_path: Path) -> None:
    result = simulate(str(BETA), "gf180mcu")
    # plain ngspice 39 prints no .meas result of a deck that also holds .op (the same deck without it does),
    # and runs a .dc in batch mode only with an output card
    edits = {".op\n": "", ".end\n": ".print dc i(vout)\n.end\n"}
    defaults = _plain_ngspice(tmp_path, BETA, edits)
    # at ngspice's default gmin (1 pS across every junction) a 9 nA reference reads 0.4 % higher: with the
    # gmin and tolerances neurospice runs pA-nA circuits at, plain ngspice gives every printed digit
    options = {**edits, ".op\n": ".options gmin=1e-15 abstol=1e-15 reltol=1e-4\n"}
    plain = _plain_ngspice(tmp_path, BETA, options)
    for name in ("i_lo", "i_hi", "line_reg"):
        assert result.metrics[name] == pytest.approx(plain[name], rel=1e-5), name
        assert result.metrics[name] == pytest.approx(defaults[name], rel=0.01), name
    assert result.metrics["i_lo"] > 0 and result.metrics["i_hi"] > result.metrics["i_lo"]  # the sign ngspice gives


@pytest.mark.ngspice
@pytest.mark.parametrize("mode", ["pdk", "pelgrom"])
def test_the_measures_get_a_monte_carlo_spread(mode: str) -> None:
    from neurospice.montecarlo import monte_carlo

    first = monte_carlo(str(OTA), "gf180mcu", samples=6, seed=3, mismatch=mode, workers=1)
    again = monte_carlo(str(OTA), "gf180mcu", samples=6, seed=3, mismatch=mode, workers=1)
    assert (first["status"] == "ok").all()
    assert first["ugf"].std() > 0 and first["op_v_tail"].std() > 0
    assert first["ugf"].tolist() == again["ugf"].tolist()  # the per-sample seeds reproduce every sample
    nominal = simulate(str(OTA), "gf180mcu").metrics["ugf"]
    assert abs(first["ugf"].mean() / nominal - 1) < 0.1
    reference = monte_carlo(str(BETA), "gf180mcu", samples=4, seed=3, mismatch=mode, workers=1)
    assert (reference["status"] == "ok").all() and reference["i_hi"].std() > 0 and reference["line_reg"].std() > 0


@pytest.mark.ngspice
def test_a_measure_that_finds_nothing_is_nan_with_ngspice_s_message(tmp_path: Path) -> None:
    text = OTA.read_text().replace("meas ac pm find vp(out) when vdb(out)=0", "meas ac never when vdb(out)=200")
    path = tmp_path / "never.spice"
    path.write_text(text)
    result = simulate(str(path), "gf180mcu")
    assert math.isnan(result.metrics["never"]) and math.isfinite(result.metrics["ugf"])
    assert any(w.startswith("measure never:") and "out of interval" in w for w in result.warnings)
    out = runner.invoke(app, ["mismatch", str(path), "-n", "2", "--seed", "1", "--json"])
    assert out.exit_code == 0, out.output


@pytest.mark.ngspice
def test_tstop_adds_a_transient_to_a_netlist_whose_own_analyses_hold_none() -> None:
    from neurospice.circuits import get_circuit
    from neurospice.ngspice_models import get_technology

    circuit, gf = get_circuit(str(BETA)), get_technology("gf180mcu")
    values = circuit.values({}, gf)
    assert ".tran" not in circuit.deck(values, gf, 0.0) and ".dc vdd 1.8 3.6 0.05" in circuit.deck(values, gf, 0.0)
    result = simulate(str(BETA), "gf180mcu", tstop=1e-3)
    assert result.tstop == pytest.approx(1e-3) and "time" in result.waves
    assert result.metrics["power_w"] == pytest.approx(simulate(str(BETA), "gf180mcu").metrics["power_w"], rel=1e-3)


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("meas ac x when vdb(out)=0 > /tmp/leak", "measure word"),  # the control language's redirection
        ("meas ac x when vdb(out)=`shell ls`", "measure"),
        ("meas op x find v(out)", "accepted: dc, ac, tran"),
        ("meas tran x find v(out) at=1m", "does not ask for"),
        ("meas ac gain_db find vdb(out) at=1", "a second measure named"),
        ("meas ac x find q(out) at=1", "measure vector"),
        ("meas ac x param='ugf*foo'", "is not a measure before it"),
        ("meas ac area_transistors_um2 find vdb(out) at=1", "a metric of every netlist"),
    ],
)
def test_a_measure_outside_the_grammar_is_one_line_naming_it(tmp_path: Path, line: str, why: str) -> None:
    path = tmp_path / "bad.spice"
    path.write_text(OTA.read_text().replace("let phase = 180/pi*vp(out)", line))
    out = runner.invoke(app, ["show", str(path)])
    assert out.exit_code == 2 and len(out.output.strip().splitlines()) == 1, out.output
    assert why in out.output


@pytest.mark.parametrize(
    ("card", "why"),
    [(".dc vdd 0 3 0", "the step is 0"), (".ac dec 10 1k 1", "0 < FSTART < FSTOP"), (".op 1", "no arguments")],
)
def test_an_analysis_outside_the_grammar_is_one_line(tmp_path: Path, card: str, why: str) -> None:
    path = tmp_path / "bad.spice"
    path.write_text(BETA.read_text().replace(".op\n", f"{card}\n"))
    with pytest.raises(NetlistImportError, match=re.escape(why)):
        read_user_netlist(path)


@pytest.mark.ngspice
def test_the_engine_runs_only_measures_it_could_have_written() -> None:
    from neurospice.engines import SimulationError, get_engine

    with pytest.raises(SimulationError, match="not a measure neurospice writes"):
        get_engine().measure("ac", "meas ac x when vdb(out)=0 > /tmp/leak")


def test_vacask_refuses_a_netlist_s_own_ac_and_measures_before_anything_runs() -> None:
    from neurospice.circuits import get_circuit
    from neurospice.engines import check_engine
    from neurospice.params import ParameterError

    with pytest.raises(
        ParameterError, match=r"vacask cannot run the netlist's own \.op, \.ac, \.meas; accepted: ngspice"
    ):
        check_engine("vacask", None, get_circuit(str(OTA)))


LIF = ROOT / "tests" / "data" / "user" / "lif_gf180.spice"


@pytest.mark.ngspice
def test_a_lif_whose_dc_input_starts_at_its_operating_point_spikes_alike_at_every_preset() -> None:
    """The DC input is on from t = 0, so the run starts at the operating point: every preset must leave it
    and give the same spikes (the count may differ by the one spike the run's end cuts)."""
    from neurospice.params.options import ACCURACY

    runs = {name: simulate(str(LIF), "gf180mcu", {"spike_node": "spk"}, options=o) for name, o in ACCURACY.items()}
    counts = {name: r.metrics["n_spikes"] for name, r in runs.items()}
    assert min(counts.values()) > 10 and max(counts.values()) - min(counts.values()) <= 1, counts
    rates = [r.metrics["isi_rate_hz"] for r in runs.values()]
    assert max(rates) / min(rates) < 1.005
    assert not any(r.warnings for r in runs.values())


@pytest.mark.ngspice
def test_a_spiking_netlist_that_never_leaves_its_operating_point_carries_a_warning(tmp_path: Path) -> None:
    """Without C_fb the threshold loop is negative feedback: the operating point is stable and the neuron
    never fires. That is the circuit, not mismatch: the run and every Monte Carlo sample say so."""
    from neurospice.montecarlo import monte_carlo

    path = tmp_path / "no_feedback.spice"
    path.write_text(LIF.read_text().replace("Cfb spk vmem 0.5p\n", ""))
    result = simulate(str(path), "gf180mcu", {"spike_node": "spk"})
    assert result.metrics["n_spikes"] == 0
    assert any(w.startswith("stuck at the operating point") for w in result.warnings)
    rows = monte_carlo(str(path), "gf180mcu", samples=2, seed=1, overrides={"spike_node": "spk"}, workers=1)
    assert rows["message"].str.startswith("stuck at the operating point").all()
    moving = simulate(str(LIF), "gf180mcu", {"spike_node": "spk"})
    assert not moving.warnings


@pytest.mark.ngspice
def test_a_marginal_equilibrium_that_one_integrator_holds_is_a_warning_naming_the_other(tmp_path: Path) -> None:
    """With C_fb = 50 fF the LIF's operating point is barely unstable: gear at its 4 us steps damps the
    growing oscillation away (BDF2's numerical damping; steps of 0.1 us leave it), trapezoidal leaves it. The
    legacy run says it is stuck and that the reference preset leaves: the result is the integrator's."""
    from neurospice.params.options import accuracy

    path = tmp_path / "marginal.spice"
    path.write_text(LIF.read_text().replace("Cfb spk vmem 0.5p", "Cfb spk vmem 0.05p"))
    held = simulate(str(path), "gf180mcu", {"spike_node": "spk"}, options=accuracy("legacy"))
    assert held.metrics["n_spikes"] == 0
    said = [w for w in held.warnings if w.startswith("accuracy: the reference preset leaves the operating point")]
    assert len(said) == 1 and "the legacy one does not" in said[0]
    left = simulate(str(path), "gf180mcu", {"spike_node": "spk"})  # trapezoidal: it fires, nothing to say
    assert left.metrics["n_spikes"] > 100 and not left.warnings


@pytest.mark.ngspice
def test_a_sweep_of_the_ota_s_bias_moves_its_unity_gain_frequency_as_subthreshold_g_m_does() -> None:
    """In weak inversion g_m = kappa I / U_T: the unity-gain frequency g_m / (2 pi C_L) doubles with the bias."""
    import neurospice as ns

    table = ns.design_sweep(str(OTA), "gf180mcu", ["ibias=0.25u:0.5u:2"], samples=2, seed=1, workers=1)
    assert (table["status"] == "ok").all()
    ugf = table.groupby("ibias")["ugf"].mean()
    assert ugf.loc[0.5e-6] / ugf.loc[0.25e-6] == pytest.approx(2.0, rel=0.15)
