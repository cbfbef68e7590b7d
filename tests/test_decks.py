"""Every registered circuit on every technology: the generated deck is stable (golden copy) and runs in plain ngspice.

Golden decks live in ``tests/data/golden`` with the model and package folders replaced by
``{MODELS}`` and ``{PACKAGE}``. A deliberate change to a netlist or a testbench shows up here as
a diff: review it, then rewrite the copies with ``NEUROSPICE_UPDATE_GOLDEN=1 pytest tests/test_decks.py``.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

import neurospice
from neurospice.circuits import CIRCUITS, get_circuit
from neurospice.netlists import NETLIST_DIR
from neurospice.ngspice_models import TECHNOLOGIES, get_technology

pytestmark = pytest.mark.ngspice

GOLDEN = Path(__file__).parent / "data" / "golden"
TSTOP = 2e-3
CASES = [(c, t) for c in CIRCUITS for t in TECHNOLOGIES]


def _deck(circuit: str, tech: str) -> str:
    c = get_circuit(circuit)
    technology = get_technology(tech)
    return c.deck(c.values({}, technology), technology, TSTOP)


def _portable(deck: str, tech: str) -> str:
    folders = {str(p.parent) for p in get_technology(tech).model_files().values()}
    for folder in sorted(folders, key=len, reverse=True):
        deck = deck.replace(folder, "{MODELS}")
    return deck.replace(str(Path(neurospice.__file__).parent), "{PACKAGE}")


@pytest.mark.parametrize(("circuit", "tech"), CASES)
def test_deck_matches_its_golden_copy(circuit: str, tech: str) -> None:
    text = _portable(_deck(circuit, tech), tech)
    path = GOLDEN / f"{circuit}-{tech}.cir"
    if os.environ.get("NEUROSPICE_UPDATE_GOLDEN"):
        path.write_text(text)
    assert path.is_file(), f"{path} missing: create it with NEUROSPICE_UPDATE_GOLDEN=1"
    assert text == path.read_text(), f"the {circuit} deck on {tech} changed: review, then NEUROSPICE_UPDATE_GOLDEN=1"


@pytest.mark.parametrize(("circuit", "tech"), CASES)
def test_deck_runs_in_plain_ngspice(circuit: str, tech: str, tmp_path: Path) -> None:
    settings = get_technology(tech).ngspice_settings  # what the PDK's own spinit asks for (sky130)
    (tmp_path / ".spiceinit").write_text("".join(f"set {s}\n" for s in ("num_threads=1", *settings)))
    (tmp_path / "deck.cir").write_text(_deck(circuit, tech))
    proc = subprocess.run(["ngspice", "-b", "-r", "out.raw", "deck.cir"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert not re.search(r"^\s*error", output, re.IGNORECASE | re.MULTILINE), output
    header = (tmp_path / "out.raw").read_bytes().split(b"Binary:")[0].decode(errors="replace").lower()
    points = int(re.search(r"no\. points:\s*(\d+)", header).group(1))  # type: ignore[union-attr]
    assert points > 100
    for probe in get_circuit(circuit).probes:  # every probe the toolkit reads is in ngspice's own output
        name = probe.vector.lower()
        raw_name = f"i({name.removesuffix('#branch')})" if name.endswith("#branch") else f"v({name})"
        assert f"\t{raw_name}\t" in header, f"{probe.name} ({raw_name}) not in {circuit}'s raw file"


def test_every_netlist_file_is_used_by_a_deck_and_closes_each_subcircuit() -> None:
    decks = "\n".join(_deck(c, "ekv") for c in CIRCUITS)
    for path in NETLIST_DIR.glob("*.sp"):
        opened = re.findall(r"^\.subckt\s+(\S+)", path.read_text(), re.MULTILINE | re.IGNORECASE)
        closed = re.findall(r"^\.ends\s+(\S+)", path.read_text(), re.MULTILINE | re.IGNORECASE)
        assert opened and opened == closed, f"{path.name}: .subckt {opened} vs .ends {closed}"
        for name in opened:
            assert re.search(rf"^\.subckt\s+{re.escape(name)}\b", decks, re.MULTILINE), f"{name} is in no deck"
