"""Follow one parameter through a command: how often its value is coerced, how often a full parameter
record is resolved, how often the testbench text is built, how often the ``.sp`` files are read and their
subcircuits parsed (the acceptance figures of the bound-testbench change; results in docs/benchmarks/).

Counters are wrapped around the functions that do each step before the command runs; the Monte
Carlo workers are forked from this process, so they count too: every count is appended as one line to
a file that the parent and its workers share, and summed at the end. ``--samples 2`` runs two mismatch
samples at every point (``-n 2``) instead of one nominal run.

Usage: python benchmarks/value_path.py [--samples 0]
"""

from __future__ import annotations

import argparse
import collections
import functools
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

import neurospice.netlists as netlists
import neurospice.netlists.imported as imported
from neurospice.circuits import base
from neurospice.cli import app
from neurospice.params import Param, ParamSpec

LOG = Path(tempfile.mkdtemp(prefix="value-path-")) / "counts"


def add(label: str) -> None:
    """One more ``label``, from whichever process runs it (one short line: appended whole)."""
    with LOG.open("a") as out:
        out.write(label + "\n")


def count(owner: Any, name: str, label: str, when: Callable[..., bool] = lambda *a, **k: True) -> None:
    """Wrap ``owner.name`` so that each call that ``when`` accepts adds one to ``COUNTS[label]``."""
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if when(*args, **kwargs):
            add(label)
        return original(*args, **kwargs)

    setattr(owner, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=0, help="mismatch samples per point (0: one nominal run)")
    args = parser.parse_args()
    count(Param, "coerce", "i_tau coerced", lambda self, raw: self.name == "i_tau")
    count(ParamSpec, "resolve", "parameter records resolved")
    sp_reads = "'.sp' files read"
    original_read = Path.read_text

    def read_text(self: Path, *a: Any, **k: Any) -> str:
        if self.suffix == ".sp" and self.parent == netlists.NETLIST_DIR:
            add(sp_reads)
        return original_read(self, *a, **k)

    Path.read_text = read_text  # type: ignore[method-assign]
    for module in (imported, base):
        if hasattr(module, "parse_subckt"):
            count(module, "parse_subckt", "subcircuits parsed")
    # the testbench text: ``Circuit.render`` writes it (``testbench`` did before the bound testbench)
    for cls in (base.Circuit, *base.Circuit.__subclasses__()):
        for attr in ("render", "testbench"):
            if attr in vars(cls):
                count(cls, attr, "testbench text built")
    deck_owner = getattr(base, "Bench", base.Circuit)  # the whole deck: Bench.deck (Circuit.deck before)
    count(deck_owner, "deck", "decks written")
    with tempfile.TemporaryDirectory() as tmp:
        result = CliRunner().invoke(
            app,
            [
                "sweep",
                "dpi-synapse",
                "--vary",
                "i_tau=2p:8p:3:log",
                "-n",
                str(args.samples),
                "--out",
                str(Path(tmp) / "sweep"),
            ],
        )
    if result.exit_code != 0:
        raise SystemExit(result.output)
    counts = collections.Counter(LOG.read_text().splitlines())
    print(
        f"neurospice sweep dpi-synapse --vary i_tau=2p:8p:3:log -n {args.samples} "
        "(counts over the parent and its workers)"
    )
    print("| step | count |\n|---|---:|")
    for label in (
        "i_tau coerced",
        "parameter records resolved",
        "testbench text built",
        "decks written",
        sp_reads,
        "subcircuits parsed",
    ):
        print(f"| {label} | {counts[label]} |")


if __name__ == "__main__":
    main()
