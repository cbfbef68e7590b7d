"""Generate every command transcript the documentation shows, by running the commands.

    python docs/transcripts.py             # all of them, into docs/transcripts/NAME.txt
    python docs/transcripts.py synapse ota # some of them

Each transcript is one or more ``neurospice`` commands run in a scratch folder that holds copies of the
repository's ``examples/`` and ``tests/data/user/`` (so paths print as a user types them), with fixed seeds. The pages
include the files; ``tests/test_docs.py`` runs each command again and fails when a printed figure differs.
Timings (``(ngspice 39, 0.14 s)``) are the only figures allowed to differ.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "transcripts"


@dataclass(frozen=True)
class Step:
    """One command (the text after ``neurospice``), and which of its printed lines the page shows."""

    command: str
    head: int | None = None  # the first N lines only (the page then shows "...")
    tail: int | None = None  # the last N lines only
    stderr: bool = False  # show what it printed on stderr (an error's one line)
    exit_code: int = 0

    @property
    def args(self) -> list[str]:
        return shlex.split(self.command)


@dataclass(frozen=True)
class Transcript:
    steps: tuple[Step, ...]
    #: files the run writes, shown after the commands: (path, number of lines shown)
    files: tuple[tuple[str, int], ...] = field(default=())


TRANSCRIPTS: dict[str, Transcript] = {
    "synapse": Transcript((Step("simulate dpi-synapse --tech gf180mcu"),)),
    "make-run-mismatch": Transcript(
        (
            Step(
                "mismatch dpi-neuron --tech gf180mcu --samples 64 --seed 1 --tstop 0.1 --out runs/mismatch-dpi-neuron "
                "--report"
            ),
        )
    ),
    "bad-value": Transcript((Step("simulate dpi-synapse --set i_tau=1", stderr=True, exit_code=2),)),
    "neuron": Transcript(
        (Step("simulate dpi-neuron --set i_in=1n --set i_ahw=10n --tstop 0.15 --out runs/neuron-example"),)
    ),
    "extract-neuron": Transcript((Step("extract dpi-neuron"),)),
    "axon-hillock-sky130": Transcript(
        (
            Step("show examples/axon_hillock_sky130.spice", tail=6),
            Step("simulate examples/axon_hillock_sky130.spice --tech sky130"),
            Step("mismatch examples/axon_hillock_sky130.spice --tech sky130 -n 12 --out runs/ah"),
        )
    ),
    "dpi-neuron-sky130": Transcript(
        (
            Step("simulate examples/dpi_neuron_sky130.spice --tech sky130"),
            Step(
                "mismatch examples/dpi_neuron_sky130.spice --tech sky130 -n 6 --mismatch pelgrom --tstop 30m "
                "--out runs/dn"
            ),
        )
    ),
    "ota": Transcript(
        (
            Step("simulate tests/data/user/ota5t_gf180.spice"),
            Step("mismatch tests/data/user/ota5t_gf180.spice -n 16 --mismatch pelgrom"),
        )
    ),
    "specs": Transcript(
        (Step("mismatch dpi-synapse -n 16 --tstop 60m --spec tau_s=10m:13m --spec peak_current_a=50p:", tail=3),)
    ),
    "datasheet": Transcript(
        (
            Step(
                "sweep dpi-synapse --vary corner=typical,ff,ss --vary temp=-40:120:3 -n 6 --tstop 60m --out runs/pvt",
                head=1,
            ),
            Step("datasheet runs/pvt --spec tau_s=8m:16m --spec peak_current_a=300p:"),
        ),
        files=(("runs/pvt/datasheet.md", 6),),
    ),
    "tau-sweep": Transcript((Step("sweep dpi-synapse --vary i_tau=2p:40p:4:log -n 16 --out runs/tau --plot"),)),
    "budget": Transcript(
        (Step("budget dpi-neuron --set input_kind=none -n 12 --scales 1,4 --clusters 1,2,3,6 --tstop 0.08"),)
    ),
}

#: printed figures that may differ between two runs of the same command: wall-clock times
TIMING = re.compile(r"\(ngspice [0-9.]+, [0-9.]+ (?:ms|s)\)|[0-9.]+ s wall|took [0-9.]+ s|in [0-9.]+ s\b")


def figures(text: str) -> list[str]:
    """The printed numbers of a transcript, timings left out: what a fresh run must reproduce."""
    return re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", TIMING.sub("", text))


def _scratch(folder: Path) -> None:
    """The files the commands read, copied (not linked: a netlist's path prints as the user typed it)."""
    for name in ("examples", "tests/data/user"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("*.ipynb", "__pycache__"))


def _select(text: str, step: Step) -> str:
    lines = text.rstrip("\n").split("\n")
    if step.head is not None and len(lines) > step.head:
        lines = [*lines[: step.head], "  ..."]
    if step.tail is not None and len(lines) > step.tail:
        lines = ["...", *lines[-step.tail :]]
    return "\n".join(lines)


def run(name: str, folder: Path | None = None) -> str:
    """Run one transcript's commands in a scratch folder and return the text the page shows."""
    transcript = TRANSCRIPTS[name]
    with tempfile.TemporaryDirectory(prefix="neurospice-transcript-") as scratch:
        where = Path(scratch) if folder is None else folder
        _scratch(where)
        env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
        parts = []
        for step in transcript.steps:
            cmd = [sys.executable, "-m", "neurospice", *step.args]
            proc = subprocess.run(cmd, cwd=where, env=env, capture_output=True, text=True, check=False)
            if proc.returncode != step.exit_code:
                raise RuntimeError(f"{name}: `neurospice {step.command}` exited {proc.returncode}:\n"
                                   f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")  # fmt: skip
            shown = proc.stderr if step.stderr else proc.stdout
            parts.append(f"$ neurospice {step.command}\n{_select(shown, step)}")
        for file, lines in transcript.files:
            text = (where / file).read_text().rstrip().split("\n")
            parts.append(f"$ head -{lines} {file}\n" + "\n".join(text[:lines]))
    return "\n".join(parts) + "\n"


def main(names: list[str]) -> None:
    OUT.mkdir(exist_ok=True)
    for name in names or list(TRANSCRIPTS):
        start = time.perf_counter()
        text = run(name)
        (OUT / f"{name}.txt").write_text(text)
        print(f"{name}: {len(text.splitlines())} lines, {time.perf_counter() - start:.1f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
